"""Not a test: proof that tests-ops can fail. Each mutant of tests-ops/mutants.yml breaks one
file of the alerts as code (a rule, a threshold, a `for:`, a runbook, the catalog, the
dashboard, the scrape configuration, the PromQL reader) in place, runs the test it names,
expects it red, and puts the file back. Run it with `.venv/bin/python tests-ops/mutants.py`:
one line a mutant, then "ALL RED" (exit 0) or "SOME MUTANT SURVIVED" (exit 1).
"""

import pathlib
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[1]
MUTANTS = yaml.safe_load((ROOT / "tests-ops" / "mutants.yml").read_text())


def main() -> int:
    survived = 0
    for mutant in MUTANTS:
        path = ROOT / mutant["file"]
        text = path.read_text()
        if mutant["old"] not in text:
            print("NOT APPLICABLE", mutant["test"], "|", mutant["file"])
            survived += 1
            continue
        path.write_text(text.replace(mutant["old"], mutant["new"]))
        try:
            result = subprocess.run(
                [str(ROOT / ".venv" / "bin" / "pytest"), "-q", "-p", "no:cacheprovider",
                 "tests-ops", "-k", mutant["test"]],
                cwd=ROOT, capture_output=True, text=True)
        finally:
            path.write_text(text)
        last = result.stdout.strip().splitlines()[-1]
        red = result.returncode != 0 and "failed" in last
        survived += not red
        print("RED   " if red else "GREEN!", mutant["test"], "|", mutant["file"], "|", last)
    print("ALL RED" if not survived else "SOME MUTANT SURVIVED")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
