"""Issue 13 item 13: `python -m devtools smtp` refuses production mode, and without a
configured token makes one and names the file that holds it (never the token) in its log."""

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from testsupport import eventually, free_port

pytestmark = pytest.mark.integration


def smtp_env(workdir, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_PAGE_", "APP_MODE"))}
    return {**env, "SMTP_LISTEN_PORT": str(free_port()), "MAIL_PAGE_PORT": str(free_port()),
            "MAIL_STORE_DIR": str(workdir / "mail"), "PYTHONUNBUFFERED": "1", **extra}


def test_item13_the_smtp_command_refuses_to_start_in_production_mode(tmp_path):
    env = smtp_env(tmp_path, APP_MODE="production")
    started = subprocess.run([sys.executable, "-m", "devtools", "smtp"], env=env, cwd=tmp_path,
                             capture_output=True, text=True, timeout=30)
    assert started.returncode != 0
    assert "refuse to start with APP_MODE=production" in started.stderr
    assert "Traceback" not in started.stderr
    assert not (tmp_path / "mail").exists()


def call(port: int, method: str, path: str, token: str | None) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     data=b"{}" if method == "POST" else None,
                                     headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310 - local
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_item13_without_a_configured_token_one_is_made_and_only_its_file_is_logged(tmp_path):
    env = smtp_env(tmp_path)
    port = int(env["MAIL_PAGE_PORT"])
    log_path = tmp_path / "smtp.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "devtools", "smtp"], cwd=tmp_path, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        token_file = tmp_path / "mail" / "page-token"
        def up():
            assert proc.poll() is None, log_path.read_text()
            try:
                return call(port, "GET", "/api/status", None) == 200
            except urllib.error.URLError:
                return False

        eventually(up, timeout=30, interval=0.1)
        token = token_file.read_text().strip()
        assert call(port, "DELETE", "/api/messages", None) == 401
        assert call(port, "POST", "/api/refuse", "guess") == 401
        assert call(port, "DELETE", "/api/messages", token) == 200
        assert call(port, "POST", "/api/accept", token) == 200
        started = [json.loads(line) for line in log_path.read_text().splitlines()
                   if "local SMTP server started" in line][0]
        assert started["controls_token_in"] == str(token_file)
        assert started["page"] == f"http://127.0.0.1:{port}/"
        assert token not in log_path.read_text()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
