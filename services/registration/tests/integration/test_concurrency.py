"""Real concurrent clients against a running gunicorn server on the real database."""

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


@pytest.fixture(scope="module")
def server(dsn, topology, redis_prefix, shared_clock, tmp_path_factory):
    """gunicorn with 2 workers x 8 threads, its clock moved to the tests' START."""
    clock_file = str(tmp_path_factory.mktemp("clock") / "now")
    port = free_port()
    env = {**os.environ, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2",
           "WEB_THREADS": "8", "DATABASE_URL": dsn, "BUS_NAMESPACE": topology.namespace,
           "REDIS_URL": REDIS, "REDIS_PREFIX": f"{redis_prefix}:server",
           "DIGEST_SECRET": SECRET, "TEST_CLOCK_FILE": clock_file, "LOG_LEVEL": "WARNING",
           "ARGON2_MEMORY_KIB": "8192", "ARGON2_TIME_COST": "1", "DB_POOL_SIZE": "10",
           "RATE_LIMIT_APPLICATIONS": "100000", "RATE_LIMIT_PASSWORD_REGISTRATIONS": "100000",
           "RATE_LIMIT_SESSIONS": "100000", "RATE_LIMIT_READS": "100000"}
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


def body(code, number, birth_date="1990-01-02", email="taro@example.jp"):
    return {"privacy_policy_version": "2026-04-01", "terms_of_use_version": "2026-04-01",
            "email": email, "email_confirmation": email, "job_seeker_number": number,
            "birth_date": birth_date, "account_creation_code": code}


def post_all(url, bodies, workers=16):
    """POST every body from `workers` concurrent clients, each with its own connection."""
    return post_mixed([(url, item) for item in bodies], workers)


def post_mixed(requests_, workers=16):
    """POST every (url, body) from `workers` concurrent clients."""
    local = threading.local()

    def post(request):
        if not hasattr(local, "session"):
            local.session = requests.Session()
        response = local.session.post(request[0], json=request[1], timeout=30)
        return response.status_code, response.json()
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(post, requests_))


def test_r4_200_concurrent_wrong_submissions_count_exactly_10_failures(server, bus, conn,
                                                                      rows):
    code_id, code, number = bus.issue()
    _, other_code, _ = bus.issue()
    wrong = []
    for n in range(210):
        wrong.append([body(code, number, birth_date=f"19{50 + n % 40}-03-04"),
                      body("ZZZZZZZZ" + f"{n % 90 + 10}", number),
                      body(code, f"54321-{n}"),
                      body(other_code, number)][n % 4])
    answers = post_all(f"{server}/v1/applications", wrong)
    assert {(status, a["error"]["code"]) for status, a in answers} == {(400, "IDENTITY_MISMATCH")}
    state = conn.execute("SELECT failed_attempts, invalidated_at IS NOT NULL FROM codes "
                         "WHERE code_id = %s", (code_id,)).fetchone()
    assert state == (10, True)
    assert rows("outbox", "destination = 'code.invalidated' AND body->'payload'->>'code_id' = %s",
                (str(code_id),)) == 1
    status, answer = post_all(f"{server}/v1/applications", [body(code, number)])[0]
    assert (status, answer["error"]["code"]) == (410, "CODE_INVALIDATED")


def test_r9_concurrent_passing_step2s_leave_one_open_application_and_no_error(server, bus,
                                                                             rows):
    code_id, code, number = bus.issue()
    answers = post_all(f"{server}/v1/applications", [body(code, number)] * 8, workers=8)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] * 5 + [429] * 3  # R9: 5 mails per code per hour
    assert rows("applications", "status = 'open'") == 1
    assert rows("applications", "status = 'voided'") == 4


def test_r12_a_concurrent_double_step3_creates_one_account(server, bus, mailbox, rows):
    _, code, number = bus.issue()
    status, created = post_all(f"{server}/v1/applications", [body(code, number)])[0]
    assert status == 201
    key = mailbox.last_key()
    step3 = {"application_token": created["application_token"], "auth_key": key,
             "password": "Kx7#mQ2v-z", "password_confirmation": "Kx7#mQ2v-z"}
    answers = post_all(f"{server}/v1/password-registrations", [step3] * 8, workers=8)
    outcomes = sorted((s, a.get("error", {}).get("code", "CREATED")) for s, a in answers)
    assert outcomes[0] == (201, "CREATED")
    # A loser that reads the application before the winner closes it, and the winner's
    # account after it committed, is told the truth of R12: the person has an account.
    assert set(outcomes[1:]) <= {(404, "APPLICATION_NOT_FOUND"), (409, "CODE_ALREADY_USED"),
                                 (409, "ACCOUNT_EXISTS")}
    assert len(outcomes) == 8
    assert rows("accounts") == 1
    assert rows("outbox", "destination = 'code.used'") == 1
    assert rows("outbox", "destination = 'account.registered'") == 1


def test_r5_enumeration_answers_are_byte_identical_and_take_about_as_long(server, bus):
    _, code, number = bus.issue()
    probes = {"unknown number": body(code, "99999-12345678"),
              "wrong birth date": body(code, number, birth_date="1985-05-05"),
              "wrong code": body("ZZZZZZZZZZ", number)}
    answers, timings = {}, {name: [] for name in probes}
    session = requests.Session()
    for _ in range(4):  # fewer than 10 failures (R4), or the code would die midway
        for name, probe in probes.items():
            started = time.perf_counter()
            response = session.post(f"{server}/v1/applications", json=probe, timeout=10)
            timings[name].append(time.perf_counter() - started)
            answers.setdefault(name, set()).add((response.status_code, response.content))
    distinct = set().union(*answers.values())
    assert len(distinct) == 1 and next(iter(distinct))[0] == 400
    medians = [statistics.median(t) for t in timings.values()]
    assert max(medians) < 3 * min(medians) + 0.1  # no early return that skips the work


def test_r9_r12_concurrent_step2_and_step3_of_one_code_never_answer_500(server, bus, mailbox,
                                                                         rows):
    _, code, number = bus.issue()
    status, created = post_all(f"{server}/v1/applications", [body(code, number)])[0]
    step3 = {"application_token": created["application_token"], "auth_key": mailbox.last_key(),
             "password": "Kx7#mQ2v-z", "password_confirmation": "Kx7#mQ2v-z"}
    mixed = [(f"{server}/v1/password-registrations", step3),
             (f"{server}/v1/applications", body(code, number))] * 4
    answers = post_mixed(mixed, workers=8)
    assert all(status < 500 for status, _ in answers), answers
    allowed = {"CREATED", "APPLICATION_NOT_FOUND", "CODE_ALREADY_USED"}
    assert {a.get("error", {}).get("code", "CREATED") for _, a in answers} <= allowed
    assert rows("accounts") <= 1 and rows("applications", "status = 'open'") <= 1


def test_r12_two_applications_of_one_person_racing_through_step3_open_exactly_one_account(
        server, bus, mailbox, rows, shared_clock):
    """Several people at once, each with two live codes (two code.issued of the same
    instant) and an application for each: both step 3s of a person run concurrently on
    gunicorn's workers. Exactly one account per person; the other answer is ACCOUNT_EXISTS,
    whether step 3's check or the unique index caught it, never a 500."""
    step3s, numbers = [], []
    for n in range(6):
        _, first, number = bus.issue(issued_at=shared_clock.now())
        _, second, _ = bus.issue(number=number, issued_at=shared_clock.now())
        numbers.append(number)
        for m, code in enumerate((first, second)):
            status, created = post_all(f"{server}/v1/applications",
                                       [body(code, number, email=f"p{n}-{m}@example.jp")])[0]
            assert status == 201, created
            step3s.append({"application_token": created["application_token"],
                           "auth_key": mailbox.last_key(), "password": "Kx7#mQ2v-z",
                           "password_confirmation": "Kx7#mQ2v-z"})
    answers = post_all(f"{server}/v1/password-registrations", step3s, workers=12)
    for n in range(6):
        pair = sorted((s, a.get("error", {}).get("code", "CREATED"))
                      for s, a in answers[2 * n:2 * n + 2])
        assert pair == [(201, "CREATED"), (409, "ACCOUNT_EXISTS")], pair
        assert rows("accounts", "job_seeker_number = %s", (numbers[n],)) == 1
    assert rows("outbox", "destination = 'code.used'") == 6
