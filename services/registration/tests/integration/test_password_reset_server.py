"""R15 against a running gunicorn server (2 workers) on the real database: the request's
answer takes as long whether or not anything matched, and two completions racing with
the right key set one password."""

import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from shared.clock import set_file_clock
from testsupport import REDIS, free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[4]
SECRET = "test-digest-secret-for-registration"
BIRTH = "1990-01-02"  # the `account` fixture's (conftest)
NEW_PASSWORD = "Nw9$pLk2-rT"  # noqa: S105 - a test password


@pytest.fixture(scope="module")
def server(dsn, topology, redis_prefix, shared_clock, tmp_path_factory):
    """gunicorn with 2 workers x 8 threads, no mail limit (every matching request mails),
    its clock at the tests' START."""
    clock_file = str(tmp_path_factory.mktemp("clock") / "now")
    port = free_port()
    env = {**os.environ, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
           "WEB_THREADS": "8", "DATABASE_URL": dsn, "BUS_NAMESPACE": topology.namespace,
           "REDIS_URL": REDIS, "REDIS_PREFIX": f"{redis_prefix}:reset-server",
           "DIGEST_SECRET": SECRET, "TEST_CLOCK_FILE": clock_file, "LOG_LEVEL": "WARNING",
           "ARGON2_MEMORY_KIB": "8192", "ARGON2_TIME_COST": "1", "DB_POOL_SIZE": "10",
           "RATE_LIMIT_PASSWORD_RESETS": "100000",
           "RESET_MAILS_PER_ACCOUNT_PER_HOUR": "100000"}
    set_file_clock(clock_file, shared_clock.now())
    log = open(tmp_path_factory.mktemp("gunicorn") / "stderr.log", "w+b")  # noqa: SIM115
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "deploy/gunicorn.conf.py",
         "registration.wsgi:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:  # not listening or not ready yet
            pass
        assert process.poll() is None, log.seek(0) or log.read().decode()[-2000:]
        assert time.monotonic() < deadline, "gunicorn did not start"
        time.sleep(0.2)
    yield url
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def test_r15_the_answer_is_the_same_in_body_and_time_whether_or_not_anything_matched(
        server, account, rows):
    right = {"email": account["email"], "job_seeker_number": account["number"],
             "birth_date": BIRTH}
    probes = {"match (mailed)": right,
              "wrong birth date": {**right, "birth_date": "1985-05-05"},
              "wrong number": {**right, "job_seeker_number": "54321-1"},
              "unknown email": {**right, "email": "nobody@example.jp"}}
    shapes, timings = set(), {name: [] for name in probes}
    session = requests.Session()
    for probe in probes.values():  # warm both workers' paths
        for _ in range(3):
            session.post(f"{server}/v1/password-resets", json=probe, timeout=10)
    for round_ in range(25):
        names = list(probes)
        names = names[round_ % len(names):] + names[:round_ % len(names)]  # no fixed order
        for name in names:
            started = time.perf_counter()
            response = session.post(f"{server}/v1/password-resets", json=probes[name],
                                    timeout=10)
            timings[name].append(time.perf_counter() - started)
            body = response.json()
            shapes.add((response.status_code, len(response.content), tuple(sorted(body)),
                        len(body["reset_token"]), len(body["reset_key_expires_at"])))
    assert len(shapes) == 1 and next(iter(shapes))[0] == 202
    assert rows("password_resets") == 28  # the matching probe did mail every time
    medians = {name: statistics.median(t) for name, t in timings.items()}
    assert max(medians.values()) <= 1.10 * min(medians.values()), medians


def test_r15_two_completions_racing_with_the_right_key_set_one_password(
        server, account, mailbox, rows):
    mailbox.tasks()
    right = {"email": account["email"], "job_seeker_number": account["number"],
             "birth_date": BIRTH}
    token = requests.post(f"{server}/v1/password-resets", json=right,
                          timeout=10).json()["reset_token"]
    [key] = [kw["key"] for _, kw in mailbox.tasks() if kw.get("kind") == "password_reset_key"]
    local = threading.local()

    def complete(password):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        response = local.session.post(f"{server}/v1/password-reset-completions", json={
            "reset_token": token, "reset_key": key, "password": password,
            "password_confirmation": password}, timeout=30)
        return response.status_code, response.json()

    passwords = [f"{NEW_PASSWORD}{n}" for n in range(8)]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(complete, passwords))
    outcomes = sorted((s, a.get("error", {}).get("code", "DONE")) for s, a in answers)
    assert outcomes == [(200, "DONE")] + [(404, "RESET_NOT_FOUND")] * 7
    assert rows("password_resets", "status = 'used'") == 1
    assert rows("outbox", "destination = 'account.password_changed'") == 1
    notices = [kw for _, kw in mailbox.tasks() if kw.get("kind") == "password_changed"]
    assert len(notices) == 1
    winner = passwords[[s for s, _ in answers].index(200)]
    login = requests.post(f"{server}/v1/sessions", timeout=30,
                          json={"email": account["email"], "password": winner})
    assert login.status_code == 201
