"""Step 3 through the HTTP API: R10 auth key, R11 password, R12 account (real servers)."""

from datetime import timedelta

import pytest

pytestmark = pytest.mark.integration


def error(response):
    return response.status_code, response.get_json()["error"]["code"]


@pytest.fixture
def opened(bus, apply, mailbox):
    """An open application: (token, auth key, application_id, code_id, code, number)."""
    code_id, code, number = bus.issue()
    token = apply(code, number).get_json()["application_token"]
    kwargs = mailbox.tasks()[-1][1]
    return token, kwargs["auth_key"], kwargs["application_id"], code_id, code, number


def wrong_key(key):
    return ("0" if key[0] != "0" else "1") + key[1:]


def test_r10_unknown_token_answers_application_not_found(register):
    assert error(register("A" * 43, "ABCDEFGH")) == (404, "APPLICATION_NOT_FOUND")


def test_r10_key_valid_until_49_59_after_delivery_and_expired_at_50_00(
        opened, register, bus, clock):
    token, key, application_id, *_ = opened
    clock.advance(minutes=20)
    delivered = clock.now()
    bus.publish("auth_key.mailed", {"application_id": application_id, "delivered_at": delivered})
    clock.set(delivered + timedelta(minutes=50))
    assert error(register(token, key)) == (410, "AUTH_KEY_EXPIRED")
    clock.set(delivered + timedelta(minutes=49, seconds=59))
    assert register(token, key).status_code == 201


def test_r10_without_a_delivery_time_the_key_counts_from_issue(opened, register, clock):
    token, key, *_ = opened
    clock.advance(minutes=50)
    assert error(register(token, key)) == (410, "AUTH_KEY_EXPIRED")


def test_r10_a_second_delivery_report_does_not_move_the_start(opened, register, bus, clock):
    token, key, application_id, *_ = opened
    bus.publish("auth_key.mailed", {"application_id": application_id,
                                    "delivered_at": clock.now() + timedelta(minutes=1)})
    bus.publish("auth_key.mailed", {"application_id": application_id,
                                    "delivered_at": clock.now() + timedelta(minutes=30)})
    clock.advance(minutes=51)
    assert error(register(token, key)) == (410, "AUTH_KEY_EXPIRED")


def test_r10_the_expiry_event_closes_the_application_and_purges_the_key(
        opened, register, bus, clock, rows):
    token, key, application_id, *_ = opened
    clock.advance(minutes=50)
    bus.publish("auth_key.expired", {"application_id": application_id, "expired_at": clock.now()})
    assert rows("applications", "status = 'expired' AND auth_key_digest IS NULL") == 1
    clock.set(clock.now() - timedelta(minutes=30))  # even a late clock cannot revive it
    assert error(register(token, key)) == (410, "AUTH_KEY_EXPIRED")


def test_delivery_failure_closes_the_application_with_a_clear_answer(opened, register, bus,
                                                                     rows):
    token, key, application_id, *_ = opened
    bus.publish("auth_key.delivery_failed", {"application_id": application_id,
                                             "reason": "550 mailbox unavailable"})
    assert rows("applications", "status = 'undeliverable' AND auth_key_digest IS NULL") == 1
    assert error(register(token, key)) == (410, "AUTH_KEY_NOT_DELIVERED")


def test_r10_five_wrong_keys_void_the_application_and_the_code_stays_usable(
        opened, register, apply, rows):
    token, key, _app, code_id, code, number = opened
    for _ in range(5):
        assert error(register(token, wrong_key(key))) == (400, "AUTH_KEY_MISMATCH")
    assert rows("applications", "status = 'voided' AND key_failures = 5") == 1
    assert error(register(token, key)) == (404, "APPLICATION_NOT_FOUND")
    assert rows("codes", "code_id = %s AND failed_attempts = 0", (code_id,)) == 1
    assert apply(code, number).status_code == 201


@pytest.mark.parametrize("password, clause", [
    ("Kx7#mQ2", "Use 8 to 32 characters."),
    ("Kx7#mQ2v" * 4 + "x", "Use 8 to 32 characters."),
    ("Kx7# mQ2v", "Use half-width letters, digits and symbols only (no spaces)."),
    ("Kxyz#mQv", "Include at least one digit."),
    ("1234#5678", "Include at least one letter."),
    ("Kx7mmQ2v", "Include at least one symbol."),
    ("#1Taro", "Use 8 to 32 characters."),
    ("x#1TARO!z", "Must not contain the email address."),
    ("NUMBER", "Must not contain the job-seeker number."),
    ("NUMBER-PLAIN", "Must not contain the job-seeker number."),
    ("P@ssw0rd", "This password is too common."),
])
def test_r11_each_password_clause_is_refused_with_the_field_named(opened, register, rows,
                                                                  client, password, clause):
    token, key, _app, _code_id, _code, number = opened
    password = {"NUMBER": f"a!{number}", "NUMBER-PLAIN": f"a!{number.replace('-', '')}"}.get(
        password, password)
    response = client.post("/v1/password-registrations", json={
        "application_token": token, "auth_key": key, "password": password,
        "password_confirmation": password}, headers={"Accept-Language": "en"})
    assert error(response) == (422, "VALIDATION_FAILED")
    assert clause in response.get_json()["error"]["fields"]["password"]
    assert rows("accounts") == 0 and rows("applications", "key_failures > 0") == 0
    assert register(token, key).status_code == 201


@pytest.mark.parametrize("password", ["password1!", "Qwerty123!", "Admin123!"])
def test_item10_composed_but_easy_to_guess_passwords_are_refused_saying_why(
        opened, client, register, rows, password):
    token, key, *_ = opened
    body = {"application_token": token, "auth_key": key, "password": password,
            "password_confirmation": password}
    en = client.post("/v1/password-registrations", json=body, headers={"Accept-Language": "en"})
    ja = client.post("/v1/password-registrations", json=body)
    assert error(en) == error(ja) == (422, "VALIDATION_FAILED")
    assert en.get_json()["error"]["fields"]["password"][0] == (
        "Too easy to guess: avoid common words, names, keyboard patterns and dates.")
    assert ja.get_json()["error"]["fields"]["password"][0] == (
        "推測されやすいパスワードです。よく使われる単語、名前、キーボードの並び、日付は避けてください。")
    assert rows("accounts") == 0 and rows("applications", "key_failures > 0") == 0
    assert register(token, key, "Hello-w0rk-2026").status_code == 201


def test_r11_the_confirmation_must_match(opened, register):
    token, key, *_ = opened
    response = register(token, key, "Kx7#mQ2v-z", "Kx7#mQ2v-Z")
    assert error(response) == (422, "VALIDATION_FAILED")
    assert list(response.get_json()["error"]["fields"]) == ["password_confirmation"]


def test_r11_passwords_are_stored_as_argon2id_only(opened, register, conn):
    token, key, *_ = opened
    assert register(token, key).status_code == 201
    stored = conn.execute("SELECT password_hash FROM accounts").fetchone()[0]
    assert stored.startswith("$argon2id$") and "Kx7#mQ2v-z" not in stored


def test_r12_a_finished_application_cannot_be_used_again(opened, register, apply, rows):
    token, key, _app, _code_id, code, number = opened
    assert register(token, key).status_code == 201
    assert error(register(token, key)) == (404, "APPLICATION_NOT_FOUND")
    assert error(apply(code, number, email="again@example.jp")) == (409, "CODE_ALREADY_USED")
    assert rows("accounts") == 1


@pytest.mark.parametrize("event, answer", [
    ({"type": "code.revoked", "payload": {"reason": "revoked_by_office"}}, "CODE_REVOKED"),
    ({"type": "code.revoked", "payload": {"reason": "superseded"}}, "CODE_SUPERSEDED"),
    ({"type": "code.expired", "payload": {}}, "CODE_EXPIRED"),
])
def test_r12_the_code_must_still_be_valid_at_step3(opened, register, bus, clock, rows,
                                                   event, answer):
    token, key, _app, code_id, *_ = opened
    payload = {"code_id": code_id, **event["payload"]}
    if event["type"] == "code.expired":
        payload["expired_at"] = clock.now()
    bus.publish(event["type"], payload)
    assert error(register(token, key)) == (410, answer)
    assert rows("accounts") == 0 and rows("outbox", "destination = 'code.used'") == 0


def test_r12_the_code_expiring_by_the_clock_between_step2_and_step3_is_refused(
        bus, apply, register, mailbox, clock):
    issued = clock.now() - timedelta(days=5, hours=23, minutes=40)
    _, code, number = bus.issue(issued_at=issued, expires_at=clock.now() + timedelta(minutes=10))
    token = apply(code, number).get_json()["application_token"]
    key = mailbox.last_key()
    clock.advance(minutes=10)
    assert error(register(token, key)) == (410, "CODE_EXPIRED")


def test_r6_an_email_registered_meanwhile_is_refused_at_step3(bus, apply, register, mailbox,
                                                              rows):
    _, code_a, number_a = bus.issue()
    _, code_b, number_b = bus.issue()
    token_a = apply(code_a, number_a, email="same@example.jp").get_json()["application_token"]
    key_a = mailbox.last_key()
    token_b = apply(code_b, number_b, email="SAME@example.jp").get_json()["application_token"]
    key_b = mailbox.last_key()
    assert register(token_a, key_a).status_code == 201
    assert error(register(token_b, key_b)) == (409, "EMAIL_ALREADY_REGISTERED")
    assert rows("accounts") == 1 and rows("codes", "used_at IS NOT NULL") == 1


def test_every_step3_attempt_is_audited(opened, register, conn):
    token, key, application_id, code_id, *_ = opened
    register(token, wrong_key(key))
    register(token, key)
    audit = conn.execute("SELECT outcome, code_id, application_id::text, account_id IS NOT NULL "
                         "FROM audit_log WHERE action = 'password_registration' ORDER BY id"
                         ).fetchall()
    assert audit == [("AUTH_KEY_MISMATCH", code_id, application_id, False),
                     ("CREATED", code_id, application_id, True)]
