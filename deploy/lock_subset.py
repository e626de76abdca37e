"""Print the blocks (pin and hashes) of the named packages from a uv-compiled lock file.

`python lock_subset.py requirements-dev.lock aiosmtpd atpublic` gives a requirements file
that `pip install --require-hashes` accepts: deploy/Dockerfile's development SMTP stage
installs one tool from the development lock without the rest of it.
"""

import re
import sys


def main() -> None:
    path, wanted = sys.argv[1], {n.lower().replace("_", "-") for n in sys.argv[2:]}
    keep, found = False, set()
    with open(path) as lock:
        for line in lock:
            if line[:1].isalnum():
                name = re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0].lower().replace("_", "-")
                keep = name in wanted
                found |= {name} if keep else set()
            elif not line.strip() or line.startswith("#"):
                keep = False
            if keep:
                sys.stdout.write(line)
    missing = wanted - found
    if missing:
        sys.exit(f"not in {path}: {', '.join(sorted(missing))}")


if __name__ == "__main__":
    main()
