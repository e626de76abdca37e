"""Load and races against every process running (issue 7): counts stay exact however many
clients hit one code or one application at once."""

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from crowd import PASSWORD, Seeker

from shared.config import DEFAULT_SECRET
from shared.tokens import keyed_digest
from testsupport import eventually


def post_from(clients: int, url: str, bodies: list[dict]) -> list[tuple[int, dict]]:
    """POST every body from `clients` concurrent clients, each behind its own address."""
    local = threading.local()
    counter = iter(range(1, 10**6))
    lock = threading.Lock()

    def post(body):
        if not hasattr(local, "session"):
            with lock:
                n = next(counter)
            local.session = requests.Session()
            local.session.headers["X-Forwarded-For"] = f"198.19.{n // 250}.{1 + n % 250}"
        response = local.session.post(url, json=body, timeout=60)
        return response.status_code, response.json()

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(post, bodies))


def error_codes(answers) -> set[tuple[int, str]]:
    return {(status, body.get("error", {}).get("code", "CREATED")) for status, body in answers}


def test_r4_1000_wrong_step2s_from_64_clients_count_exactly_10_and_nothing_passes_after(system):
    seeker = Seeker(system)
    wrong = [seeker.step2(birth_date=f"19{50 + n % 40}-0{1 + n % 9}-1{n % 10}") if n % 3 == 0
             else seeker.step2(account_creation_code=f"ZZZZZ{n:05d}") if n % 3 == 1
             else seeker.step2(job_seeker_number=f"54321-{n}") for n in range(1000)]
    answers = post_from(64, f"{system.registration_url}/v1/applications", wrong)
    assert error_codes(answers) == {(400, "IDENTITY_MISMATCH")}
    (count, invalidated), = seeker.query(
        "SELECT failed_attempts, invalidated_at IS NOT NULL FROM codes WHERE code_id = %s",
        seeker.code_id)
    assert (count, invalidated) == (10, True)
    events = seeker.query("SELECT count(*) FROM outbox WHERE destination = 'code.invalidated' "
                          "AND body->'payload'->>'code_id' = %s", seeker.code_id)
    assert events == [(1,)]
    right = post_from(50, f"{system.registration_url}/v1/applications", [seeker.step2()] * 50)
    assert error_codes(right) == {(410, "CODE_INVALIDATED")}
    assert seeker.query("SELECT count(*) FROM applications WHERE code_id = %s",
                        seeker.code_id) == [(0,)]
    view = eventually(lambda: (v := seeker.office_view())["status"] == "invalidated" and v,
                      timeout=30)
    assert view["failed_attempts"] == 10


def wait_for_keys(system, email, count):
    from crowd import Mailbox

    mailbox = Mailbox(system.mail_dir)
    return eventually(lambda: len(keys := mailbox.keys_for(email)) >= count and keys,
                      timeout=60, interval=0.2)


def test_r12_one_token_with_the_right_key_50_times_at_once_opens_one_account(system):
    seeker = Seeker(system)
    status, created = post_from(1, f"{system.registration_url}/v1/applications",
                                [seeker.step2()])[0]
    assert status == 201, created
    (key,) = wait_for_keys(system, seeker.email, 1)
    step3 = {"application_token": created["application_token"], "auth_key": key,
             "password": PASSWORD, "password_confirmation": PASSWORD}
    answers = post_from(50, f"{system.registration_url}/v1/password-registrations",
                        [step3] * 50)
    outcomes = [code for _, code in sorted(error_codes(answers))]
    assert sum(1 for status, _ in answers if status == 201) == 1
    # A loser that read the application before the winner closed it, and the winner's
    # account after it committed, is told the truth of R12 (issue 17): ACCOUNT_EXISTS.
    assert set(outcomes) <= {"CREATED", "APPLICATION_NOT_FOUND", "CODE_ALREADY_USED",
                             "ACCOUNT_EXISTS"}
    assert all(status < 500 for status, _ in answers)
    assert seeker.query("SELECT count(*) FROM accounts WHERE lower(email) = %s",
                        seeker.email) == [(1,)]
    for kind, mark in (("code.used", seeker.code_id), ("account.registered", seeker.email)):
        assert seeker.query("SELECT count(*) FROM outbox WHERE destination = %s AND "
                            "body::text LIKE %s", kind, f"%{mark}%") == [(1,)]
    eventually(lambda: seeker.office_view()["status"] == "used", timeout=30)


def test_r9_the_same_code_in_step2_from_50_clients_leaves_only_the_newest_application_open(
        system):
    clients = 50
    seeker = Seeker(system)
    answers = post_from(clients, f"{system.registration_url}/v1/applications",
                        [seeker.step2()] * clients)
    assert error_codes(answers) == {(201, "CREATED")}
    rows = seeker.query("SELECT a.application_id, a.status, a.auth_key_digest FROM "
                        "applications a WHERE a.code_id = %s", seeker.code_id)
    assert len(rows) == clients
    opened = [row for row in rows if row[1] == "open"]
    assert len(opened) == 1 and sum(1 for row in rows if row[1] == "voided") == clients - 1
    # The newest is the last to have held the code's lock: its audit row came last.
    (newest,), = seeker.query(
        "SELECT application_id FROM audit_log WHERE code_id = %s AND outcome = 'CREATED' "
        "ORDER BY id DESC LIMIT 1", seeker.code_id)
    assert opened[0][0] == newest
    keys = wait_for_keys(system, seeker.email, clients)
    key = next(k for k in keys if keyed_digest(DEFAULT_SECRET, k, "auth_key") == opened[0][2])
    tokens = [body["application_token"] for _, body in answers]
    step3 = [{"application_token": token, "auth_key": key, "password": PASSWORD,
              "password_confirmation": PASSWORD} for token in tokens]
    done = post_from(8, f"{system.registration_url}/v1/password-registrations", step3)
    assert sorted(error_codes(done)) == [(201, "CREATED"), (404, "APPLICATION_NOT_FOUND")]
    assert sum(1 for status, _ in done if status == 201) == 1
