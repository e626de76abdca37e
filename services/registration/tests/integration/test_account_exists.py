"""R12 (issue 17): one open account per job seeker, told as ACCOUNT_EXISTS only after the
code check passed, re-checked at step 3 and made exact by a unique index (real servers)."""

import threading
import time
import uuid

import psycopg
import pytest
from registration.app import create_app
from registration.passwords import Passwords
from registration.runtime import build
from registration.store import accounts

from testsupport import eventually

pytestmark = pytest.mark.integration

PASSWORD = "Kx7#mQ2v-z"  # noqa: S105 - a test account's password


def error(response):
    return response.status_code, response.get_json()["error"]["code"]


def failures(conn, code_id):
    return conn.execute("SELECT failed_attempts FROM codes WHERE code_id = %s",
                        (code_id,)).fetchone()[0]


def two_live_codes(bus, clock):
    """Two codes of one number both active in registration's view, as two code.issued
    events of the same instant without `supersedes` leave them: (a, b) of (code_id, code),
    and the number."""
    a_id, a, number = bus.issue(issued_at=clock.now())
    b_id, b, _ = bus.issue(number=number, issued_at=clock.now())
    return (a_id, a), (b_id, b), number


def test_r12_a_passing_step2_for_a_number_with_an_open_account_answers_account_exists(
        client, bus, account, conn, rows, mailbox):
    code_id, code, _ = bus.issue(number=account["number"])  # a re-issue at the counter
    mailbox.tasks()
    body = {"privacy_policy_version": "2026-04-01", "terms_of_use_version": "2026-04-01",
            "email": "another@example.jp", "email_confirmation": "another@example.jp",
            "job_seeker_number": account["number"], "birth_date": "1990-01-02",
            "account_creation_code": code}
    ja = client.post("/v1/applications", json=body)
    en = client.post("/v1/applications", json=body, headers={"Accept-Language": "en"})
    assert error(ja) == error(en) == (409, "ACCOUNT_EXISTS")
    assert "ログイン" in ja.get_json()["error"]["message"]
    assert "パスワードを忘れた" in ja.get_json()["error"]["message"]
    assert "log in" in en.get_json()["error"]["message"]
    assert "Forgot your password?" in en.get_json()["error"]["message"]
    # Nothing opened or mailed; the code is neither charged nor used (a closed account
    # would let it open one, R18).
    assert rows("applications", "code_id = %s", (code_id,)) == 0
    assert mailbox.tasks() == []
    assert failures(conn, code_id) == 0
    assert rows("codes", "code_id = %s AND used_at IS NULL", (code_id,)) == 1
    assert rows("audit_log", "code_id = %s AND outcome = 'ACCOUNT_EXISTS'", (code_id,)) == 2


def test_r12_a_wrong_triple_for_a_number_with_an_account_is_the_generic_mismatch_and_counts(
        apply, bus, account, conn):
    code_id, code, number = bus.issue(number=account["number"])
    _, _, other_number = bus.issue()  # a person without an account
    with_account = apply(code, number, birth_date="1970-01-01", email="x@example.jp")
    without = apply(code, other_number, birth_date="1970-01-01", email="x@example.jp")
    assert error(with_account) == (400, "IDENTITY_MISMATCH")
    assert with_account.get_data() == without.get_data()  # R5: nothing tells the account
    assert failures(conn, code_id) == 2  # R4: both counted against the entered code
    assert error(apply("ABCDEFGHJK", number, email="x@example.jp")) == (
        400, "IDENTITY_MISMATCH")
    assert failures(conn, code_id) == 3


def test_r12_a_dead_code_tells_its_own_reason_before_account_exists(apply, bus, account, clock):
    """R5's reasons come first: ACCOUNT_EXISTS needs an active code."""
    assert error(apply(account["code"], account["number"], email="x@example.jp")) == (
        409, "CODE_ALREADY_USED")
    old_id, old, number = bus.issue(number=account["number"])
    bus.issue(number=number, supersedes=[old_id])
    assert error(apply(old, number, email="x@example.jp")) == (410, "CODE_SUPERSEDED")


def test_r12_account_exists_comes_before_r6_email_taken_and_r9_mail_limit(
        apply, register, bus, clock, mailbox):
    (a_id, a), (b_id, b), number = two_live_codes(bus, clock)
    for _ in range(5):  # R9: the 5 mails of code b
        assert apply(b, number, email="b@example.jp").status_code == 201
    assert error(apply(b, number, email="b@example.jp")) == (429, "MAIL_LIMIT_REACHED")
    token = apply(a, number, email="a@example.jp").get_json()["application_token"]
    assert register(token, mailbox.last_key()).status_code == 201
    # The person's own email (R6) and a code past its mails (R9): the account comes first.
    assert error(apply(b, number, email="a@example.jp")) == (409, "ACCOUNT_EXISTS")
    assert error(apply(b, number, email="b@example.jp")) == (409, "ACCOUNT_EXISTS")


def test_r12_step3_refuses_an_application_whose_number_got_an_account_meanwhile(
        apply, register, bus, clock, mailbox, rows):
    (a_id, a), (b_id, b), number = two_live_codes(bus, clock)
    token_a = apply(a, number, email="a@example.jp").get_json()["application_token"]
    key_a = mailbox.last_key()
    token_b = apply(b, number, email="b@example.jp").get_json()["application_token"]
    key_b = mailbox.last_key()
    assert register(token_a, key_a).status_code == 201
    refused = register(token_b, key_b)
    assert error(refused) == (409, "ACCOUNT_EXISTS")
    assert rows("accounts", "job_seeker_number = %s", (number,)) == 1
    assert rows("codes", "code_id = %s AND used_at IS NULL", (b_id,)) == 1
    assert rows("audit_log", "code_id = %s AND action = 'password_registration' "
                "AND outcome = 'ACCOUNT_EXISTS'", (b_id,)) == 1


class HashingWhileAnotherOpens(Passwords):
    """argon2id as configured; while it hashes, another step 3 opens the number's account."""

    def __init__(self, config, open_other):
        super().__init__(config.argon2_memory_kib, config.argon2_time_cost,
                         config.argon2_parallelism)
        self.open_other = open_other

    def hash(self, password):
        self.open_other()
        return super().hash(password)


def test_r12_an_account_opened_while_step3_hashed_is_caught_after_the_hash(
        config, clock, bus, mailbox, rows, good_body):
    (a_id, a), (b_id, b), number = two_live_codes(bus, clock)
    other_app = create_app(config, build(config, clock=clock))
    other = other_app.test_client()
    token_a = other.post("/v1/applications", json=good_body(
        a, number, email="a@example.jp")).get_json()["application_token"]
    key_a = mailbox.last_key()
    token_b = other.post("/v1/applications", json=good_body(
        b, number, email="b@example.jp")).get_json()["application_token"]
    key_b = mailbox.last_key()

    def open_other():
        assert other.post("/v1/password-registrations", json={
            "application_token": token_a, "auth_key": key_a, "password": PASSWORD,
            "password_confirmation": PASSWORD}).status_code == 201
    app = create_app(config, build(config, clock=clock,
                                   passwords=HashingWhileAnotherOpens(config, open_other)))
    try:
        refused = app.test_client().post("/v1/password-registrations", json={
            "application_token": token_b, "auth_key": key_b, "password": PASSWORD,
            "password_confirmation": PASSWORD})
    finally:
        for each in (app, other_app):
            each.extensions["registration"].pool.close()
    assert error(refused) == (409, "ACCOUNT_EXISTS")
    assert rows("accounts", "job_seeker_number = %s", (number,)) == 1
    assert rows("codes", "code_id = %s AND used_at IS NULL", (b_id,)) == 1


def _waiting_for_a_lock(conn, dsn):
    database = psycopg.conninfo.conninfo_to_dict(dsn)["dbname"]
    return conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
        (database,)).fetchone()[0] > 0


def test_r12_a_step3_that_passed_the_check_during_another_commit_is_answered_by_the_index(
        apply, register, bus, clock, mailbox, rows, conn, dsn):
    """The race made certain: another transaction has inserted the number's account but not
    committed when step 3 checks, so step 3 inserts too, waits on the unique index, and gets
    ACCOUNT_EXISTS (never a 500) once the other commits."""
    (a_id, _a), (b_id, b), number = two_live_codes(bus, clock)
    token = apply(b, number, email="b@example.jp").get_json()["application_token"]
    key = mailbox.last_key()
    answers = []
    with psycopg.connect(dsn) as other:
        accounts.insert_account(other, {
            "account_id": uuid.uuid4(), "email": "a@example.jp", "job_seeker_number": number,
            "code_id": a_id, "password_hash": "$argon2id$x", "registered_at": clock.now(),
            "privacy_policy_version": "2026-04-01", "terms_of_use_version": "2026-04-01"})
        step3 = threading.Thread(target=lambda: answers.append(register(token, key)))
        step3.start()
        eventually(lambda: _waiting_for_a_lock(conn, dsn), timeout=20)
        time.sleep(0.1)
        other.commit()
    step3.join(timeout=20)
    assert error(answers[0]) == (409, "ACCOUNT_EXISTS")
    assert rows("accounts", "job_seeker_number = %s", (number,)) == 1
    assert rows("codes", "code_id = %s AND used_at IS NULL", (b_id,)) == 1  # rolled back
    assert rows("outbox", "destination IN ('account.registered', 'code.used')") == 0


def test_r12_the_index_allows_one_open_account_per_number_and_any_number_of_closed_ones(
        conn, bus, clock):
    number = "12345-42"
    for n in range(3):
        code_id, _, _ = bus.issue(number=number, issued_at=clock.now())
        row = {"account_id": uuid.uuid4(), "email": f"p{n}@example.jp",
               "job_seeker_number": number, "code_id": code_id, "password_hash": "$argon2id$x",
               "registered_at": clock.now(), "privacy_policy_version": "v",
               "terms_of_use_version": "v"}
        if n == 2:
            with pytest.raises(psycopg.errors.UniqueViolation) as violation:
                accounts.insert_account(conn, row)
            assert violation.value.diag.constraint_name == accounts.ONE_OPEN_PER_NUMBER
            break
        accounts.insert_account(conn, row)
        assert accounts.has_open_account(conn, number)
        if n == 0:  # R18's withdrawal closes it: the number is free again
            conn.execute("UPDATE accounts SET closed_at = %s WHERE job_seeker_number = %s",
                         (clock.now(), number))
            assert not accounts.has_open_account(conn, number)


def test_r12_a_closed_account_lets_a_new_code_open_a_new_one(apply, register, bus, account,
                                                            conn, mailbox, rows):
    conn.execute("UPDATE accounts SET closed_at = now() WHERE job_seeker_number = %s",
                 (account["number"],))
    _, code, number = bus.issue(number=account["number"])
    created = apply(code, number, email="new@example.jp")
    assert created.status_code == 201, created.get_json()
    assert register(created.get_json()["application_token"], mailbox.last_key()).status_code == 201
    assert rows("accounts", "job_seeker_number = %s AND closed_at IS NULL", (number,)) == 1
    assert rows("accounts", "job_seeker_number = %s", (number,)) == 2


@pytest.mark.parametrize("typed", [
    "{office}{rest}",  # R7: no hyphen (phone keypads)
    "{office_fw}{rest_fw}",  # full-width digits, no hyphen
    "{office_fw}－{rest_fw}",  # full-width digits and hyphen
    " {office}ー{rest} ",  # a long-vowel mark for the hyphen, spaces around
])
def test_r7_step2_accepts_the_number_as_people_type_it(apply, bus, typed):
    _, code, number = bus.issue()
    office, rest = number.split("-")
    full_width = str.maketrans("0123456789", "０１２３４５６７８９")
    spelled = typed.format(office=office, rest=rest, office_fw=office.translate(full_width),
                           rest_fw=rest.translate(full_width))
    answer = apply(code, spelled)
    assert answer.status_code == 201, (spelled, answer.get_json())


@pytest.mark.parametrize("typed", ["12345", "12345123456789", "1234-5678", "12345_678"])
def test_r7_step2_refuses_what_cannot_be_a_number_naming_the_field_and_counts_nothing(
        apply, bus, conn, typed):
    code_id, code, _ = bus.issue()
    answer = apply(code, typed)
    assert error(answer) == (422, "VALIDATION_FAILED")
    assert list(answer.get_json()["error"]["fields"]) == ["job_seeker_number"]
    assert failures(conn, code_id) == 0


def test_r7_a_number_typed_without_hyphen_counts_against_the_same_code_when_wrong(
        apply, bus, conn):
    code_id, code, number = bus.issue()
    assert error(apply(code, number.replace("-", ""), birth_date="1970-01-01")) == (
        400, "IDENTITY_MISMATCH")
    assert failures(conn, code_id) == 1  # the same number, however it was typed (R4)
