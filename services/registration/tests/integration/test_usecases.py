"""The use cases called directly, without Flask or the bus: each refusal code of steps 2
and 3 and of login is raised as shared.errors.Refused, and what the rules keep of a refusal
(its audit row, a counted failure) is committed before it is raised."""

import uuid
from datetime import date, timedelta

import pytest
from registration import commands
from registration.limits import Limits
from registration.passwords import Passwords
from registration.usecases import applications, codes, registrations, sessions

from shared.errors import Refused
from shared.tokens import keyed_digest, random_crockford
from testsupport import REDIS

from .conftest import PASSWORD, SECRET, settings

pytestmark = pytest.mark.integration
BIRTH = date(1990, 1, 2)
CALLER = commands.Caller(client_address="192.0.2.7", correlation_id="usecase-test")
KEY = "ABCDEFGH"  # every auth key these tests mail


@pytest.fixture
def config(dsn, topology, redis_prefix):
    return settings(dsn, topology, redis_prefix, mails_per_code_per_hour=2,
                    login_failures_per_account=2)


@pytest.fixture
def passwords():
    return Passwords(8192, 1, 1)


@pytest.fixture(autouse=True)
def known_key(monkeypatch):
    monkeypatch.setattr(applications, "random_crockford", lambda _length: KEY)


def issue(conn, clock, **over):
    """A code as code.issued would record it: (code_id, plain code, number)."""
    plain = random_crockford(10)
    number = f"{uuid.uuid4().int % 90000 + 10000}-{uuid.uuid4().int % 10**7}"
    cmd = commands.RecordIssue(
        code_id=uuid.uuid4(), job_seeker_number=number, birth_date=BIRTH,
        code_digest=keyed_digest(SECRET, plain, "code"), issued_at=clock.now(),
        expires_at=clock.now() + timedelta(days=5), supersedes=[])
    cmd = commands.RecordIssue(**{**cmd.__dict__, **over})
    codes.record_issue(conn, cmd, clock.now())
    return cmd.code_id, plain, cmd.job_seeker_number


def application(code, number, email="taro@example.jp", **over):
    values = dict(privacy_policy_version="2026-04-01", terms_of_use_version="2026-04-01",
                  email=email, job_seeker_number=number, birth_date=BIRTH,
                  account_creation_code=code)
    return commands.SubmitApplication(**{**values, **over})


def refused(call) -> Refused:
    with pytest.raises(Refused) as info:
        call()
    return info.value


def audited(conn, action):
    return [row[0] for row in conn.execute(
        "SELECT outcome FROM audit_log WHERE action = %s ORDER BY occurred_at, outcome",
        (action,))]


@pytest.fixture
def submit(conn, config, clock):
    def submit(cmd, config_=None):
        return applications.submit_application(conn, cmd, clock.now(), config=config_ or config,
                                               caller=CALLER)
    return submit


@pytest.fixture
def register(pool, config, clock, passwords):
    def register(token, key=KEY, password=PASSWORD, confirmation=None):
        cmd = commands.RegisterPassword(application_token=token, auth_key=key,
                                        password=password,
                                        password_confirmation=confirmation or password)
        return registrations.register_password(pool, cmd, clock.now(), config=config,
                                               passwords=passwords, clock=clock, caller=CALLER)
    return register


# --- steps 1-2 -------------------------------------------------------------------------------
def test_r8_terms_not_agreed_names_each_document_and_reads_nothing(submit, conn, clock):
    _, code, number = issue(conn, clock)
    refusal = refused(lambda: submit(application(code, number, privacy_policy_version=None,
                                                 terms_of_use_version="2025-01-01")))
    assert refusal.code == "TERMS_NOT_AGREED"
    assert refusal.fields == {"privacy_policy_version": ["Agreement is required."],
                              "terms_of_use_version": [
                                  "The agreed version is not the current one."]}
    assert audited(conn, "application") == []


def test_r4_identity_mismatch_is_counted_and_audited_before_it_is_raised(submit, conn, clock):
    code_id, code, number = issue(conn, clock)
    assert refused(lambda: submit(application(code, number, birth_date=date(1990, 1, 3)))
                   ).code == "IDENTITY_MISMATCH"
    assert conn.execute("SELECT failed_attempts FROM codes WHERE code_id = %s",
                        (code_id,)).fetchone()[0] == 1
    assert audited(conn, "application") == ["IDENTITY_MISMATCH"]


def test_r4_the_tenth_mismatch_invalidates_the_code(submit, conn, clock):
    _, code, number = issue(conn, clock)
    for _ in range(10):
        refused(lambda: submit(application(code, number, birth_date=date(1990, 1, 3))))
    assert refused(lambda: submit(application(code, number))).code == "CODE_INVALIDATED"


@pytest.mark.parametrize("dead, answer", [
    ({"revoke": "revoked_by_office"}, "CODE_REVOKED"),
    ({"revoke": "superseded"}, "CODE_SUPERSEDED"),
    ({"expire": True}, "CODE_EXPIRED"),
])
def test_r5_a_dead_code_is_named_when_the_whole_triple_matches(submit, conn, clock, dead,
                                                               answer):
    code_id, code, number = issue(conn, clock)
    if "revoke" in dead:
        codes.record_revocation(conn, commands.RecordRevocation(code_id, dead["revoke"]),
                                clock.now())
    else:
        codes.record_expiry(conn, commands.RecordExpiry(code_id, clock.now()), clock.now())
    assert refused(lambda: submit(application(code, number))).code == answer
    assert audited(conn, "application") == [answer]


def test_r2_a_code_past_its_expiry_is_expired_before_its_event(submit, conn, clock):
    _, code, number = issue(conn, clock, expires_at=clock.now() + timedelta(seconds=1))
    clock.advance(seconds=1)
    assert refused(lambda: submit(application(code, number))).code == "CODE_EXPIRED"


def test_r9_the_mail_limit_answers_with_retry_after(submit, conn, clock):
    _, code, number = issue(conn, clock)
    submit(application(code, number))
    clock.advance(minutes=10)
    submit(application(code, number))
    clock.advance(minutes=5)
    refusal = refused(lambda: submit(application(code, number)))
    assert (refusal.code, refusal.retry_after) == ("MAIL_LIMIT_REACHED", 45 * 60)


def test_r6_and_r12_an_email_with_an_account_and_a_used_code(submit, register, conn, clock):
    _, code, number = issue(conn, clock)
    created = submit(application(code, number, email="Hanako@example.jp"))
    assert set(created) == {"application_token", "email", "auth_key_expires_at"}
    assert register(created["application_token"])["email"] == "Hanako@example.jp"
    _, other, other_number = issue(conn, clock)
    assert refused(lambda: submit(application(other, other_number, email="hanako@example.jp"))
                   ).code == "EMAIL_ALREADY_REGISTERED"
    assert refused(lambda: submit(application(code, number))).code == "CODE_ALREADY_USED"


# --- step 3 ----------------------------------------------------------------------------------
def test_r10_unknown_token_and_wrong_keys(submit, register, conn, clock, config):
    assert refused(lambda: register("A" * 43)).code == "APPLICATION_NOT_FOUND"
    _, code, number = issue(conn, clock)
    token = submit(application(code, number))["application_token"]
    for _ in range(config.auth_key_max_failures - 1):
        assert refused(lambda: register(token, key="ZZZZZZZZ")).code == "AUTH_KEY_MISMATCH"
    # the 5th voids the application: from then on it is not found
    assert refused(lambda: register(token, key="ZZZZZZZZ")).code == "AUTH_KEY_MISMATCH"
    assert refused(lambda: register(token)).code == "APPLICATION_NOT_FOUND"
    assert audited(conn, "password_registration").count("AUTH_KEY_MISMATCH") == 5


def test_r11_a_bad_password_is_refused_with_its_fields_and_nothing_written(
        submit, register, conn, clock):
    _, code, number = issue(conn, clock)
    token = submit(application(code, number))["application_token"]
    refusal = refused(lambda: register(token, password="short", confirmation="other"))
    assert refusal.code == "VALIDATION_FAILED"
    assert set(refusal.fields) == {"password", "password_confirmation"}
    assert audited(conn, "password_registration") == []


def test_r10_expired_and_undelivered_keys(submit, register, conn, clock):
    _, code, number = issue(conn, clock)
    token = submit(application(code, number))["application_token"]
    clock.advance(minutes=50)
    assert refused(lambda: register(token)).code == "AUTH_KEY_EXPIRED"
    _, code, number = issue(conn, clock)
    token = submit(application(code, number))["application_token"]
    application_id = conn.execute("SELECT application_id FROM applications "
                                  "ORDER BY issued_at DESC LIMIT 1").fetchone()[0]
    applications.record_delivery_failure(
        conn, commands.RecordDeliveryFailure(application_id, "550 no such user"), clock.now())
    assert refused(lambda: register(token)).code == "AUTH_KEY_NOT_DELIVERED"


def test_r12_the_code_must_still_be_usable_at_step_3(submit, register, conn, clock):
    code_id, code, number = issue(conn, clock)
    token = submit(application(code, number))["application_token"]
    codes.record_revocation(conn, commands.RecordRevocation(code_id, "revoked_by_office"),
                            clock.now())
    assert refused(lambda: register(token)).code == "CODE_REVOKED"


def test_r6_two_applications_of_one_email_open_one_account(submit, register, conn, clock):
    _, code, number = issue(conn, clock)
    first = submit(application(code, number))["application_token"]
    _, other, other_number = issue(conn, clock)
    second = submit(application(other, other_number))["application_token"]
    register(first)
    assert refused(lambda: register(second)).code == "EMAIL_ALREADY_REGISTERED"


# --- login -----------------------------------------------------------------------------------
@pytest.fixture
def log_in(pool, config, clock, passwords, redis_prefix):
    limits = Limits(REDIS, f"{redis_prefix}:{uuid.uuid4().hex[:8]}", clock)

    def log_in(email, password=PASSWORD):
        return sessions.log_in(pool, commands.LogIn(email=email, password=password),
                               clock.now(), config=config, passwords=passwords,
                               limits=limits, clock=clock, caller=CALLER)
    return log_in


def test_r13_login_failures_then_the_throttle_then_a_session(submit, register, log_in, conn,
                                                              clock, config):
    refusal = refused(lambda: log_in("ｔａｒｏ@example.jp"))
    assert (refusal.code, list(refusal.fields)) == ("VALIDATION_FAILED", ["email"])
    _, code, number = issue(conn, clock)
    register(submit(application(code, number))["application_token"])
    for _ in range(config.login_failures_per_account):
        assert refused(lambda: log_in("taro@example.jp", "wrong-Passw0rd")).code == "LOGIN_FAILED"
    throttled = refused(lambda: log_in("TARO@example.jp"))
    assert throttled.code == "RATE_LIMITED" and throttled.retry_after > 0
    assert audited(conn, "login") == ["LOGIN_FAILED", "LOGIN_FAILED", "RATE_LIMITED"]


def test_r13_a_session_is_used_and_ended(submit, register, log_in, conn, clock, config):
    _, code, number = issue(conn, clock)
    register(submit(application(code, number))["application_token"])
    token = commands.UseSession(log_in("taro@example.jp")["session_token"])
    assert sessions.me(conn, token, clock.now(), config=config)["job_seeker_number"] == number
    assert sessions.log_out(conn, token, clock.now(), config=config)
    assert sessions.me(conn, token, clock.now(), config=config) is None
    assert not sessions.log_out(conn, token, clock.now(), config=config)
