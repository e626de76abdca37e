"""R16 password change, R17 email change and R18 withdrawal with a session, on the real
servers (PostgreSQL, RabbitMQ for the mail tasks, Redis for R13's throttles)."""

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from registration.usecases import email_changes

from .conftest import PASSWORD

pytestmark = pytest.mark.integration
NEW_PASSWORD = "Pw9!tsubame-Q"  # noqa: S105 - a test account's new password


def error(response):
    return response.status_code, response.get_json()["error"]["code"]


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def log_in(client, email, password=PASSWORD):
    response = client.post("/v1/sessions", json={"email": email, "password": password})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["session_token"]


def change_password(client, token, current=PASSWORD, new=NEW_PASSWORD, confirmation=None):
    return client.put("/v1/me/password", headers=bearer(token), json={
        "current_password": current, "password": new,
        "password_confirmation": new if confirmation is None else confirmation})


def request_change(client, token, email, current=PASSWORD, confirmation=None):
    return client.post("/v1/me/email-changes", headers=bearer(token), json={
        "current_password": current, "email": email,
        "email_confirmation": email if confirmation is None else confirmation})


def confirm(client, token, change_token, key):
    return client.post("/v1/me/email-change-confirmations", headers=bearer(token),
                       json={"change_token": change_token, "key": key})


def withdraw(client, token, current=PASSWORD):
    return client.post("/v1/me/withdrawal", headers=bearer(token),
                       json={"current_password": current})


def sent(mailbox, task):
    """The kwargs of the mail tasks named `task` published so far."""
    return [kwargs for headers, kwargs in mailbox.tasks() if headers["task"] == task]


def events(conn, type_):
    return [row[0]["payload"] for row in conn.execute(
        "SELECT body FROM outbox WHERE kind = 'event' AND destination = %s ORDER BY id",
        (type_,)).fetchall()]


@pytest.fixture
def second_account(bus, apply, register, mailbox):
    """Another job seeker's account: (email, number)."""
    _, code, number = bus.issue()
    token = apply(code, number, email="jiro@example.jp").get_json()["application_token"]
    assert register(token, mailbox.last_key(), PASSWORD).status_code == 201
    return "jiro@example.jp", number


# --- R16 ----------------------------------------------------------------------------------
def test_r16_a_password_change_ends_the_other_sessions_keeps_this_one_and_mails_a_notice(
        client, account, mailbox, conn):
    this, other = log_in(client, account["email"]), log_in(client, account["email"])
    mailbox.tasks()
    response = change_password(client, this)
    assert response.status_code == 204, response.get_json()
    assert client.get("/v1/me", headers=bearer(this)).status_code == 200
    assert error(client.get("/v1/me", headers=bearer(other))) == (401, "UNAUTHORIZED")
    assert error(client.post("/v1/sessions", json={
        "email": account["email"], "password": PASSWORD})) == (401, "LOGIN_FAILED")
    log_in(client, account["email"], NEW_PASSWORD)
    [notice] = sent(mailbox, "notifier.send_notice")
    assert (notice["kind"], notice["email"], notice["language"]) == (
        "password_changed", account["email"], "ja")
    [event] = events(conn, "account.password_changed")
    assert event["how"] == "change" and set(event) == {"account_id", "how", "changed_at"}


def test_r16_the_new_password_follows_r11_and_a_refusal_changes_nothing(client, account,
                                                                       mailbox):
    token = log_in(client, account["email"])
    mailbox.tasks()
    weak = change_password(client, token, new="password1!")
    assert error(weak) == (422, "VALIDATION_FAILED")
    assert "password" in weak.get_json()["error"]["fields"]
    differs = change_password(client, token, confirmation=NEW_PASSWORD + "x")
    assert list(differs.get_json()["error"]["fields"]) == ["password_confirmation"]
    local = change_password(client, token, new="Hanako#2026xyz")  # the email's local part
    assert error(local) == (422, "VALIDATION_FAILED")
    assert sent(mailbox, "notifier.send_notice") == []
    log_in(client, account["email"], PASSWORD)


def test_r16_the_current_password_as_the_new_one_is_password_unchanged(client, account):
    token = log_in(client, account["email"])
    response = change_password(client, token, new=PASSWORD)
    assert error(response) == (422, "PASSWORD_UNCHANGED")
    assert list(response.get_json()["error"]["fields"]) == ["password"]


def test_r16_a_wrong_current_password_is_refused_and_changes_nothing(client, account):
    token = log_in(client, account["email"])
    response = change_password(client, token, current=PASSWORD + "x")
    assert error(response) == (400, "CURRENT_PASSWORD_WRONG")
    assert list(response.get_json()["error"]["fields"]) == ["current_password"]
    log_in(client, account["email"], PASSWORD)


@pytest.mark.parametrize("attempt", ["password", "email", "withdrawal"])
def test_r16_r17_r18_wrong_current_passwords_count_in_the_login_throttle_of_the_account(
        make_client, account, attempt):
    """R13: one throttle per account: 2 wrong logins and 1 wrong current password reach a
    limit of 3, for the endpoints and for login alike."""
    client = make_client(login_failures_per_account=3)
    token = log_in(client, account["email"])
    for _ in range(2):
        assert error(client.post("/v1/sessions", json={
            "email": account["email"], "password": "wrong"})) == (401, "LOGIN_FAILED")
    wrong = {"password": lambda: change_password(client, token, current="wrong"),
             "email": lambda: request_change(client, token, "new@example.jp", current="wrong"),
             "withdrawal": lambda: withdraw(client, token, current="wrong")}[attempt]
    assert error(wrong()) == (400, "CURRENT_PASSWORD_WRONG")
    throttled = wrong()
    assert error(throttled) == (429, "RATE_LIMITED")
    assert int(throttled.headers["Retry-After"]) > 0
    # even the right password waits now, here and at login: a stolen session cannot guess
    assert error(change_password(client, token)) == (429, "RATE_LIMITED")
    assert error(client.post("/v1/sessions", json={
        "email": account["email"], "password": PASSWORD})) == (429, "RATE_LIMITED")


def test_r16_a_right_current_password_clears_the_accounts_login_failures(make_client,
                                                                         account):
    client = make_client(login_failures_per_account=3)
    token = log_in(client, account["email"])
    for _ in range(2):
        client.post("/v1/sessions", json={"email": account["email"], "password": "wrong"})
    assert change_password(client, token).status_code == 204
    for _ in range(2):
        client.post("/v1/sessions", json={"email": account["email"], "password": "wrong"})
    log_in(client, account["email"], NEW_PASSWORD)


@pytest.mark.parametrize("method, path", [
    ("put", "/v1/me/password"), ("post", "/v1/me/email-changes"),
    ("post", "/v1/me/email-change-confirmations"), ("post", "/v1/me/withdrawal")])
def test_r16_r17_r18_need_a_live_session(client, account, method, path):
    assert error(getattr(client, method)(path, json={})) == (401, "UNAUTHORIZED")
    token = log_in(client, account["email"])
    assert client.delete("/v1/sessions/current", headers=bearer(token)).status_code == 204
    body = {"put": {"current_password": PASSWORD, "password": NEW_PASSWORD,
                    "password_confirmation": NEW_PASSWORD}}.get(method, {})
    if path == "/v1/me/email-changes":
        body = {"current_password": PASSWORD, "email": "x@example.jp",
                "email_confirmation": "x@example.jp"}
    elif path == "/v1/me/email-change-confirmations":
        body = {"change_token": "t" * 43, "key": "ABCDEFGH"}
    elif path == "/v1/me/withdrawal":
        body = {"current_password": PASSWORD}
    response = getattr(client, method)(path, json=body, headers=bearer(token))
    assert error(response) == (401, "UNAUTHORIZED")
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("path, body, field", [
    ("/v1/me/password", {"password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD},
     "current_password"),
    ("/v1/me/password", {"current_password": PASSWORD, "password": 12,
                         "password_confirmation": "x"}, "password"),
    ("/v1/me/email-changes", {"current_password": PASSWORD, "email": "a[b@example.jp",
                              "email_confirmation": "a[b@example.jp"}, "email"),
    ("/v1/me/email-changes", {"current_password": PASSWORD, "email": "a@example.jp",
                              "email_confirmation": "b@example.jp"}, "email_confirmation"),
    ("/v1/me/email-changes", {"current_password": PASSWORD, "email": ".a@example.jp",
                              "email_confirmation": ".a@example.jp"}, "email"),
    ("/v1/me/email-change-confirmations", {"change_token": "short", "key": "ABCDEFGH"},
     "change_token"),
    ("/v1/me/email-change-confirmations", {"change_token": "t" * 43, "key": "ABC"}, "key"),
    ("/v1/me/withdrawal", {"current_password": "x\x00y"}, "current_password"),
    ("/v1/me/withdrawal", {"current_password": PASSWORD, "extra": 1}, "extra"),
])
def test_r16_r17_r18_bad_input_is_a_422_naming_the_field(client, account, path, body, field):
    token = log_in(client, account["email"])
    method = client.put if path == "/v1/me/password" else client.post
    response = method(path, json=body, headers=bearer(token))
    assert error(response) == (422, "VALIDATION_FAILED")
    assert field in response.get_json()["error"]["fields"]


# --- R17 ----------------------------------------------------------------------------------
def test_r17_the_key_goes_to_the_new_address_and_confirms_it(client, account, mailbox, conn):
    this, other = log_in(client, account["email"]), log_in(client, account["email"])
    mailbox.tasks()
    response = request_change(client, this, "Hanako.New@Example.JP")
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert set(body) == {"change_token", "key_expires_at"}
    [mail] = sent(mailbox, "notifier.send_key_mail")
    assert (mail["kind"], mail["email"]) == ("email_change_key", "Hanako.New@example.jp")
    assert conn.execute("SELECT count(*) FROM email_changes WHERE change_id = %s AND "
                        "key_digest <> %s", (mail["mail_id"], mail["key"])).fetchone()[0] == 1
    # nothing changes until the key comes back
    assert client.get("/v1/me", headers=bearer(other)).get_json()["email"] == account["email"]
    confirmed = confirm(client, this, body["change_token"], mail["key"].lower())
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json() == {"email": "Hanako.New@example.jp"}
    assert client.get("/v1/me", headers=bearer(this)).get_json()["email"] == (
        "Hanako.New@example.jp")
    assert error(client.get("/v1/me", headers=bearer(other))) == (401, "UNAUTHORIZED")
    [notice] = sent(mailbox, "notifier.send_notice")
    assert (notice["kind"], notice["email"]) == ("email_changed", account["email"])  # the OLD
    [event] = events(conn, "account.email_changed")
    assert set(event) == {"account_id", "changed_at"}
    log_in(client, "hanako.new@example.jp")
    assert error(client.post("/v1/sessions", json={
        "email": account["email"], "password": PASSWORD})) == (401, "LOGIN_FAILED")
    # the key is single-use
    assert error(confirm(client, this, body["change_token"], mail["key"])) == (
        404, "CHANGE_NOT_FOUND")


def test_r17_wrong_keys_tell_the_attempts_left_and_the_fifth_voids_the_change(
        client, account, mailbox):
    token = log_in(client, account["email"])
    mailbox.tasks()
    change = request_change(client, token, "new@example.jp").get_json()["change_token"]
    key = sent(mailbox, "notifier.send_key_mail")[0]["key"]
    wrong = "0000000Z" if key != "0000000Z" else "0000000Y"
    for left in (4, 3, 2, 1, 0):
        response = confirm(client, token, change, wrong)
        assert error(response) == (400, "CHANGE_KEY_MISMATCH")
        assert response.get_json()["error"]["attempts_left"] == left
    assert error(confirm(client, token, change, key)) == (404, "CHANGE_NOT_FOUND")
    assert client.get("/v1/me", headers=bearer(token)).get_json()["email"] == account["email"]


def deliver(bus, clock, mail, after):
    """The notifier's notice.mailed of the key mail, through the consumer: delivered `after`
    the request."""
    delivered = clock.now() + after
    bus.publish("notice.mailed", {"notice_id": uuid.UUID(mail["mail_id"]),
                                  "kind": "email_change_key", "delivered_at": delivered})
    return delivered


@pytest.mark.parametrize("delivered_after, expired_after", [
    (None, timedelta(minutes=50)),
    (timedelta(minutes=10), timedelta(minutes=60)),
])
def test_r17_the_key_expires_50_minutes_after_its_mail_was_delivered(
        client, account, mailbox, clock, bus, delivered_after, expired_after):
    token = log_in(client, account["email"])
    mailbox.tasks()
    start = clock.now()
    body = request_change(client, token, "new@example.jp").get_json()
    mail = sent(mailbox, "notifier.send_key_mail")[0]
    assert body["key_expires_at"] == mail["valid_until"]
    if delivered_after is not None:
        deliver(bus, clock, mail, delivered_after)
    clock.set(start + expired_after)
    token = log_in(client, account["email"])  # the first session idled out meanwhile
    assert error(confirm(client, token, body["change_token"], mail["key"])) == (
        410, "CHANGE_KEY_EXPIRED")
    assert client.get("/v1/me", headers=bearer(token)).get_json()["email"] == account["email"]


def test_r17_a_late_delivery_extends_the_key_beyond_issue_plus_50_minutes(
        client, account, mailbox, clock, bus, conn):
    token = log_in(client, account["email"])
    mailbox.tasks()
    start = clock.now()
    body = request_change(client, token, "new@example.jp").get_json()
    mail = sent(mailbox, "notifier.send_key_mail")[0]
    deliver(bus, clock, mail, timedelta(minutes=10))
    deliver(bus, clock, mail, timedelta(minutes=40))  # a later report: the first one counts
    with conn.transaction():  # another kind's report of the same id: not this use case's
        email_changes.record_key_mail_delivery(conn, SimpleNamespace(
            notice_id=uuid.UUID(mail["mail_id"]), kind="password_reset_key",
            delivered_at=start + timedelta(minutes=40)), clock.now())
    assert conn.execute("SELECT delivered_at FROM email_changes").fetchone()[0] == (
        start + timedelta(minutes=10))
    clock.set(start + timedelta(minutes=59, seconds=59))
    token = log_in(client, account["email"])
    assert confirm(client, token, body["change_token"], mail["key"]).status_code == 200


def test_r17_an_undeliverable_key_mail_closes_the_change(client, account, mailbox, bus):
    token = log_in(client, account["email"])
    mailbox.tasks()
    body = request_change(client, token, "new@example.jp").get_json()
    mail = sent(mailbox, "notifier.send_key_mail")[0]
    bus.publish("notice.delivery_failed", {"notice_id": uuid.UUID(mail["mail_id"]),
                                           "kind": "email_change_key",
                                           "reason": "550 no such user"})
    assert error(confirm(client, token, body["change_token"], mail["key"])) == (
        404, "CHANGE_NOT_FOUND")


def test_r17_a_new_request_voids_the_earlier_change(client, account, mailbox):
    token = log_in(client, account["email"])
    mailbox.tasks()
    first = request_change(client, token, "first@example.jp").get_json()["change_token"]
    first_key = sent(mailbox, "notifier.send_key_mail")[0]["key"]
    second = request_change(client, token, "second@example.jp").get_json()["change_token"]
    second_key = sent(mailbox, "notifier.send_key_mail")[0]["key"]
    assert error(confirm(client, token, first, first_key)) == (404, "CHANGE_NOT_FOUND")
    assert confirm(client, token, second, second_key).get_json() == {
        "email": "second@example.jp"}


def test_r17_a_taken_address_is_refused_at_the_request(client, account, second_account,
                                                      mailbox):
    token = log_in(client, account["email"])
    mailbox.tasks()
    assert error(request_change(client, token, second_account[0].upper())) == (
        409, "EMAIL_ALREADY_REGISTERED")
    current = request_change(client, token, account["email"].upper())
    assert error(current) == (422, "VALIDATION_FAILED")
    assert list(current.get_json()["error"]["fields"]) == ["email"]
    assert sent(mailbox, "notifier.send_key_mail") == []


def test_r17_an_address_taken_meanwhile_is_refused_at_the_confirmation(
        client, account, second_account, mailbox):
    """R6 at the moment of confirmation: the other account got the address first."""
    mine, theirs = log_in(client, account["email"]), log_in(client, second_account[0])
    mailbox.tasks()
    my_change = request_change(client, mine, "wanted@example.jp").get_json()["change_token"]
    my_key = sent(mailbox, "notifier.send_key_mail")[0]["key"]
    their_change = request_change(client, theirs, "wanted@example.jp").get_json()[
        "change_token"]
    their_key = sent(mailbox, "notifier.send_key_mail")[0]["key"]
    assert confirm(client, theirs, their_change, their_key).status_code == 200
    assert error(confirm(client, mine, my_change, my_key)) == (409, "EMAIL_ALREADY_REGISTERED")
    assert client.get("/v1/me", headers=bearer(mine)).get_json()["email"] == account["email"]
    assert error(confirm(client, mine, my_change, my_key)) == (404, "CHANGE_NOT_FOUND")


def test_r17_another_accounts_change_token_is_not_found(client, account, second_account,
                                                       mailbox):
    mine, theirs = log_in(client, account["email"]), log_in(client, second_account[0])
    mailbox.tasks()
    change = request_change(client, mine, "new@example.jp").get_json()["change_token"]
    key = sent(mailbox, "notifier.send_key_mail")[0]["key"]
    assert error(confirm(client, theirs, change, key)) == (404, "CHANGE_NOT_FOUND")
    assert confirm(client, mine, change, key).status_code == 200


def test_r17_at_most_3_key_mails_per_account_per_hour(client, account, mailbox, clock):
    token = log_in(client, account["email"])
    for n in range(3):
        assert request_change(client, token, f"n{n}@example.jp").status_code == 202
        clock.advance(minutes=10)
    limited = request_change(client, token, "n3@example.jp")
    assert error(limited) == (429, "RATE_LIMITED")
    assert int(limited.headers["Retry-After"]) == 30 * 60
    clock.advance(minutes=30)
    token = log_in(client, account["email"])
    assert request_change(client, token, "n3@example.jp").status_code == 202


def test_r17_the_request_in_english_mails_in_english(client, account, mailbox):
    token = log_in(client, account["email"])
    mailbox.tasks()
    response = client.post("/v1/me/email-changes", headers={
        **bearer(token), "Accept-Language": "en"}, json={
        "current_password": "wrong", "email": "n@example.jp", "email_confirmation": "n@example.jp"})
    assert response.get_json()["error"]["message"].startswith("The current password")
    response = client.post("/v1/me/email-changes", headers={
        **bearer(token), "Accept-Language": "en"}, json={
        "current_password": PASSWORD, "email": "n@example.jp",
        "email_confirmation": "n@example.jp"})
    assert response.status_code == 202
    assert sent(mailbox, "notifier.send_key_mail")[0]["language"] == "en"


# --- R18 ----------------------------------------------------------------------------------
def test_r18_withdrawal_closes_the_account_ends_every_session_and_erases_email_and_hash(
        client, account, mailbox, conn):
    this, other = log_in(client, account["email"]), log_in(client, account["email"])
    mailbox.tasks()  # the relay publishes account.registered meanwhile
    response = withdraw(client, this)
    assert response.status_code == 204, response.get_json()
    for token in (this, other):
        assert error(client.get("/v1/me", headers=bearer(token))) == (401, "UNAUTHORIZED")
    assert error(client.post("/v1/sessions", json={
        "email": account["email"], "password": PASSWORD})) == (401, "LOGIN_FAILED")
    [notice] = sent(mailbox, "notifier.send_notice")
    assert (notice["kind"], notice["email"]) == ("account_closed", account["email"])
    row = conn.execute(
        "SELECT account_id, email, email_canonical, password_hash, closed_at, closed_reason, "
        "closed_email_digest FROM accounts WHERE job_seeker_number = %s",
        (account["number"],)).fetchone()
    assert row[1:4] == (None, None, None) and row[4] is not None and row[5] == "withdrawal"
    assert len(row[6]) == 64
    [event] = events(conn, "account.closed")
    assert event == {"account_id": str(row[0]), "job_seeker_number": account["number"],
                     "closed_at": event["closed_at"], "reason": "withdrawal"}
    # nothing of the address or of the client's address stays in this database
    everything = " ".join(str(r) for table in ("accounts", "applications", "audit_log",
                                               "email_changes", "sessions")
                          for r in conn.execute(f"SELECT * FROM {table}").fetchall())
    published = " ".join(str(r[0]) for r in conn.execute(
        "SELECT body FROM outbox WHERE published_at IS NOT NULL").fetchall())
    assert account["email"] not in everything + published
    assert conn.execute("SELECT count(*) FROM audit_log WHERE account_id = %s AND "
                        "client_address = '127.0.0.1'", (row[0],)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM audit_log WHERE account_id = %s",
                        (row[0],)).fetchone()[0] >= 3
    # nor where its sessions came from (R19, R20)
    assert conn.execute("SELECT count(*) FROM sessions WHERE account_id = %s AND "
                        "(client_address IS NOT NULL OR browser IS NOT NULL)",
                        (row[0],)).fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM seen_clients WHERE account_id = %s",
                        (row[0],)).fetchone()[0] == 0


def test_r18_the_erased_account_frees_email_and_number_for_a_new_code(
        client, account, bus, apply, register, mailbox, rows):
    """R12: after withdrawal a new code from the counter opens a new account, with the
    same address if the person wants; the old code stays used."""
    assert withdraw(client, log_in(client, account["email"])).status_code == 204
    assert error(apply(account["code"], account["number"], email=account["email"])) == (
        409, "CODE_ALREADY_USED")
    _, code, number = bus.issue(number=account["number"])
    created = apply(code, number, email=account["email"])
    assert created.status_code == 201, created.get_json()
    assert register(created.get_json()["application_token"], mailbox.last_key()).status_code == 201
    assert rows("accounts", "job_seeker_number = %s", (number,)) == 2
    assert rows("accounts", "job_seeker_number = %s AND closed_at IS NULL", (number,)) == 1
    log_in(client, account["email"])


def test_r18_withdrawal_voids_an_open_email_change_and_erases_its_address(client, account,
                                                                         mailbox, rows):
    token = log_in(client, account["email"])
    mailbox.tasks()
    change = request_change(client, token, "new@example.jp").get_json()["change_token"]
    key = sent(mailbox, "notifier.send_key_mail")[0]["key"]
    assert withdraw(client, token).status_code == 204
    assert rows("email_changes", "status = 'voided' AND new_email IS NULL") == 1
    token = None
    assert error(confirm(client, "t" * 43, change, key)) == (401, "UNAUTHORIZED")


def test_r18_a_wrong_current_password_keeps_the_account_open(client, account, rows):
    token = log_in(client, account["email"])
    assert error(withdraw(client, token, current="wrong")) == (400, "CURRENT_PASSWORD_WRONG")
    assert client.get("/v1/me", headers=bearer(token)).status_code == 200
    assert rows("accounts", "closed_at IS NULL") == 1


MALFORMED = {
    "not JSON": (b"\x00", "application/json", 400),
    "over 16 KiB": (b'{"current_password": "' + b"a" * 17000 + b'"}', "application/json", 413),
    "not application/json": (b"{}", "text/plain", 415),
    "a JSON array": (b"[]", "application/json", 422),
}


@pytest.mark.parametrize("method, path", [
    ("put", "/v1/me/password"), ("post", "/v1/me/email-changes"),
    ("post", "/v1/me/email-change-confirmations"), ("post", "/v1/me/withdrawal")])
def test_r16_r17_r18_malformed_bodies_with_a_session_get_documented_4xx(client, account,
                                                                       method, path):
    token = log_in(client, account["email"])
    documented = client.get("/openapi.json").get_json()["paths"][path][method]["responses"]
    for name, (raw, mimetype, expected) in MALFORMED.items():
        response = getattr(client, method)(path, data=raw, content_type=mimetype,
                                           headers=bearer(token))
        assert response.status_code == expected, (name, response.status_code)
        assert response.get_json()["error"]["code"]
        assert str(expected) in documented, (name, expected)
    log_in(client, account["email"])  # nothing counted, nothing changed


def test_r17_neither_the_key_nor_the_change_token_is_stored_in_plain(client, account, mailbox,
                                                                    conn):
    token = log_in(client, account["email"])
    mailbox.tasks()
    change_token = request_change(client, token, "new@example.jp").get_json()["change_token"]
    key = sent(mailbox, "notifier.send_key_mail")[0]["key"]
    stored = " ".join(str(row) for table in ("email_changes", "audit_log", "sessions")
                      for row in conn.execute(f"SELECT * FROM {table}").fetchall())
    assert key not in stored and change_token not in stored
    # once the relay published the key mail, the outbox keeps no key either
    outbox = " ".join(str(row[0]) for row in conn.execute("SELECT body FROM outbox").fetchall())
    assert key not in outbox
    assert confirm(client, token, change_token, key).status_code == 200
    assert conn.execute("SELECT key_digest FROM email_changes").fetchone()[0] is None


def test_r18_withdrawal_voids_an_open_password_reset(client, account, mailbox):
    """R15's reset asked before the withdrawal cannot set a password on the closed account."""
    mailbox.tasks()
    asked = client.post("/v1/password-resets", json={
        "email": account["email"], "job_seeker_number": account["number"],
        "birth_date": "1990-01-02"})
    assert asked.status_code == 202, asked.get_json()
    key = sent(mailbox, "notifier.send_key_mail")[0]["key"]
    assert withdraw(client, log_in(client, account["email"])).status_code == 204
    completed = client.post("/v1/password-reset-completions", json={
        "reset_token": asked.get_json()["reset_token"], "reset_key": key,
        "password": NEW_PASSWORD, "password_confirmation": NEW_PASSWORD})
    assert error(completed) == (404, "RESET_NOT_FOUND")
