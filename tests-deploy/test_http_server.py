"""scripts/serve under both process servers (HTTP_SERVER=gunicorn|granian): what gunicorn
did for the services beyond serving holds for granian too (deploy/granian_server.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from testsupport import free_port

ROOT = Path(__file__).resolve().parent.parent
# Process variables a request must never see in its environ (granian copies them all).
SECRET = "postgresql://app:s3cret@db/registration"  # noqa: S105 - made up, looked for


@pytest.fixture(params=["gunicorn", "granian"])
def served(request, tmp_path) -> Iterator[tuple[str, subprocess.Popen, Path]]:
    port = free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "HTTP_SERVER": request.param, "WEB_CONCURRENCY": "2",
           "WEB_THREADS": "2", "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ['PATH']}",
           "PYTHONPATH": str(ROOT / "tests-deploy"), "DATABASE_URL": SECRET,
           "HTTP_X_FORWARDED_FOR": "6.6.6.6"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    with log.open("wb") as out:
        proc = subprocess.Popen([str(ROOT / "scripts" / "serve"), f"127.0.0.1:{port}",
                                 "http_probe:app"], env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url, timeout=1)
                break
            except requests.ConnectionError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield url, proc, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


def test_the_server_header_names_no_server_and_the_environ_holds_no_process_variable(served):
    url, _proc, _log = served
    answer = requests.get(url, timeout=5)
    assert answer.headers["Server"] == "jobportal"
    seen = answer.json()
    assert seen["remote_addr"] == "127.0.0.1"
    assert "DATABASE_URL" not in seen["keys"] and "PATH" not in seen["keys"]
    assert "HTTP_X_FORWARDED_FOR" not in seen["keys"]  # a process variable, not a header
    assert SECRET not in answer.text


def test_workers_share_a_fresh_metrics_directory(served):
    url, _proc, _log = served
    seen = [requests.get(url, timeout=5).json() for _ in range(20)]
    directories = {s["metrics_dir"] for s in seen}
    assert len(directories) == 1 and Path(directories.pop()).is_dir()


def test_sigterm_finishes_the_request_in_flight_then_exits(served):
    url, proc, log = served
    answers = []
    slow = threading.Thread(target=lambda: answers.append(requests.get(f"{url}/slow",
                                                                       timeout=15)))
    slow.start()
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGTERM)
    slow.join()
    assert answers[0].status_code == 200
    assert proc.wait(timeout=15) == 0
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines and all(json.loads(line)["level"] for line in lines), lines


def test_an_oversized_request_head_is_refused_before_the_application(served):
    url, _proc, _log = served
    assert requests.get(url, headers={"X-Cookieish": "a" * 6000}, timeout=5).status_code == 200
    refused = requests.get(url, headers={"X-Big": "a" * 20000}, timeout=5)
    assert 400 <= refused.status_code < 500
