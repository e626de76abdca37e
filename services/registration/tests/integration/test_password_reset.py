"""R15 forgotten password through the API, on the real servers: the request's one answer,
the reset-key mail task, the 50 minutes from delivery, wrong keys, the new password."""

import uuid
from datetime import timedelta

import pytest

from shared.tokens import keyed_digest

pytestmark = pytest.mark.integration
BIRTH = "1990-01-02"  # the `account` fixture's (conftest)
SECRET = "test-digest-secret-for-registration"
NEW_PASSWORD = "Nw9$pLk2-rT"  # noqa: S105 - a test password


def error(response):
    return response.status_code, response.get_json()["error"]["code"]


@pytest.fixture
def ask(client):
    def ask(account, headers=None, **over):
        body = {"email": account["email"], "job_seeker_number": account["number"],
                "birth_date": BIRTH}
        body.update(over)
        return client.post("/v1/password-resets", json=body, headers=headers or {})
    return ask


@pytest.fixture
def complete(client):
    def complete(token, key, password=NEW_PASSWORD, confirmation=None, headers=None):
        return client.post("/v1/password-reset-completions", json={
            "reset_token": token, "reset_key": key, "password": password,
            "password_confirmation": confirmation or password}, headers=headers or {})
    return complete


def key_mails(mailbox):
    return [kwargs for _, kwargs in mailbox.tasks() if kwargs.get("kind") == "password_reset_key"]


def login(client, email, password):
    return client.post("/v1/sessions", json={"email": email, "password": password})


def test_r15_a_matching_request_mails_a_key_that_sets_a_new_password_and_ends_sessions(
        client, account, ask, complete, mailbox, clock, rows, conn):
    session = login(client, account["email"], account["password"]).get_json()["session_token"]
    mailbox.tasks()
    answer = ask(account)
    assert answer.status_code == 202
    body = answer.get_json()
    assert set(body) == {"reset_token", "reset_key_expires_at"}
    assert body["reset_key_expires_at"] == "2026-04-01T01:50:00Z"  # R10's 50 minutes
    [mail] = key_mails(mailbox)
    assert mail["email"] == account["email"] and mail["language"] == "ja"
    assert mail["valid_until"] == "2026-04-01T01:50:00Z"
    # Only digests are kept.
    stored = conn.execute("SELECT reset_id, token_digest, key_digest FROM password_resets"
                          ).fetchone()
    assert str(stored[0]) == mail["mail_id"]
    assert stored[1] == keyed_digest(SECRET, body["reset_token"], "reset_token")
    assert stored[2] == keyed_digest(SECRET, mail["key"], "reset_key")

    clock.advance(minutes=10)
    done = complete(body["reset_token"], mail["key"].lower())  # normalised like R1
    assert (done.status_code, done.get_json()) == (200, {"email": account["email"]})
    assert error(login(client, account["email"], account["password"])) == (401, "LOGIN_FAILED")
    assert login(client, account["email"], NEW_PASSWORD).status_code == 201
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {session}"})
    assert error(me) == (401, "UNAUTHORIZED")  # every earlier session ended
    assert conn.execute("SELECT password_hash FROM accounts").fetchone()[0].startswith(
        "$argon2id$")
    notices = [kw for _, kw in mailbox.tasks() if kw.get("kind") == "password_changed"]
    assert len(notices) == 1 and notices[0]["email"] == account["email"]
    assert notices[0]["occurred_at"] == "2026-04-01T01:10:00Z"
    assert rows("outbox", "destination = 'account.password_changed' "
                "AND body->'payload'->>'how' = 'reset'") == 1
    assert rows("password_resets", "status = 'used' AND key_digest IS NULL") == 1
    # Single use: the same token and key again lead nowhere.
    assert error(complete(body["reset_token"], mail["key"], "Other#pass9-x")) == (
        404, "RESET_NOT_FOUND")


@pytest.mark.parametrize("over", [
    {"birth_date": "1985-05-05"},
    {"job_seeker_number": "54321-1"},
    {"email": "nobody@example.jp"},
])
def test_r15_nothing_matched_gives_the_same_answer_and_a_token_that_leads_nowhere(
        account, ask, complete, mailbox, rows, over):
    matched = ask(account)
    mailbox.tasks()
    unmatched = ask(account, **over)
    assert unmatched.status_code == matched.status_code == 202
    a, b = matched.get_json(), unmatched.get_json()
    assert set(a) == set(b) and a["reset_key_expires_at"] == b["reset_key_expires_at"]
    assert len(a["reset_token"]) == len(b["reset_token"]) and len(matched.data) == len(
        unmatched.data)
    assert key_mails(mailbox) == []
    assert rows("password_resets") == 1
    assert error(complete(b["reset_token"], "ABCDEFGH")) == (404, "RESET_NOT_FOUND")


def test_r15_the_mail_is_in_english_when_english_is_asked_for(account, ask, mailbox):
    mailbox.tasks()
    ask(account, headers={"Accept-Language": "en-US,en;q=0.9"})
    ask(account, headers={"Accept-Language": "fr"})
    assert [m["language"] for m in key_mails(mailbox)] == ["en", "ja"]


def test_r15_at_most_3_reset_mails_per_account_per_hour_without_telling(
        account, ask, complete, mailbox, clock):
    mailbox.tasks()
    answers = []
    for _ in range(4):
        answers.append(ask(account))
        clock.advance(minutes=1)
    assert [a.status_code for a in answers] == [202] * 4
    assert {len(a.data) for a in answers} == {len(answers[0].data)}
    mails = key_mails(mailbox)
    assert len(mails) == 3
    # The 4th token leads nowhere, and did not void the 3rd reset.
    assert error(complete(answers[3].get_json()["reset_token"], mails[2]["key"])) == (
        404, "RESET_NOT_FOUND")
    assert complete(answers[2].get_json()["reset_token"], mails[2]["key"]).status_code == 200
    clock.advance(minutes=57)  # the first mail leaves the hour
    ask(account)
    assert len(key_mails(mailbox)) == 1


def test_r15_a_new_reset_voids_the_earlier_one(account, ask, complete, mailbox):
    mailbox.tasks()
    first = ask(account).get_json()
    second = ask(account).get_json()
    old, new = key_mails(mailbox)
    assert error(complete(first["reset_token"], old["key"])) == (404, "RESET_NOT_FOUND")
    assert complete(second["reset_token"], new["key"]).status_code == 200


def test_r15_wrong_keys_tell_the_attempts_left_and_the_fifth_voids_the_reset(
        account, ask, complete, mailbox, rows):
    mailbox.tasks()
    token = ask(account).get_json()["reset_token"]
    [mail] = key_mails(mailbox)
    wrong = "ZZZZZZZZ" if mail["key"] != "ZZZZZZZZ" else "YYYYYYYY"
    lefts = []
    for _ in range(5):
        answer = complete(token, wrong)
        assert error(answer) == (400, "RESET_KEY_MISMATCH")
        lefts.append(answer.get_json()["error"]["attempts_left"])
    assert lefts == [4, 3, 2, 1, 0]
    assert error(complete(token, mail["key"])) == (404, "RESET_NOT_FOUND")
    assert rows("password_resets", "status = 'voided' AND key_digest IS NULL") == 1


def test_r15_the_key_expires_50_minutes_after_issue_while_its_delivery_is_unknown(
        account, ask, complete, mailbox, clock):
    mailbox.tasks()
    token = ask(account).get_json()["reset_token"]
    [mail] = key_mails(mailbox)
    clock.advance(minutes=50)
    assert error(complete(token, mail["key"])) == (410, "RESET_KEY_EXPIRED")


def test_r15_the_key_lives_50_minutes_from_its_mails_delivery(
        account, ask, complete, mailbox, clock, bus):
    mailbox.tasks()
    token = ask(account).get_json()["reset_token"]
    [mail] = key_mails(mailbox)
    issued = clock.now()
    bus.publish("notice.mailed", {"notice_id": mail["mail_id"], "kind": "password_reset_key",
                                  "delivered_at": issued + timedelta(minutes=10)})
    clock.advance(minutes=59, seconds=59)
    assert error(complete(token, "ZZZZZZZZ" if mail["key"] != "ZZZZZZZZ" else "YYYYYYYY")
                 ) == (400, "RESET_KEY_MISMATCH")  # not expired: the key is still checked
    clock.advance(seconds=1)  # delivery + 50 minutes
    assert error(complete(token, mail["key"])) == (410, "RESET_KEY_EXPIRED")


def test_r15_an_undeliverable_key_mail_closes_its_reset(account, ask, complete, mailbox, bus):
    mailbox.tasks()
    token = ask(account).get_json()["reset_token"]
    [mail] = key_mails(mailbox)
    bus.publish("notice.delivery_failed", {"notice_id": mail["mail_id"],
                                           "kind": "password_reset_key",
                                           "reason": "550 mailbox unavailable"})
    assert error(complete(token, mail["key"])) == (404, "RESET_NOT_FOUND")


def test_r15_other_kinds_of_notice_reports_change_nothing(account, ask, mailbox, bus, conn):
    mailbox.tasks()
    ask(account)
    [mail] = key_mails(mailbox)
    for kind in ("email_change_key", "password_changed"):
        bus.publish("notice.mailed", {"notice_id": mail["mail_id"], "kind": kind,
                                      "delivered_at": bus.clock.now()})
        bus.publish("notice.delivery_failed", {"notice_id": uuid.uuid4(), "kind": kind,
                                               "reason": "gone"})
    assert conn.execute("SELECT status, delivered_at FROM password_resets").fetchone() == (
        "open", None)


def test_r15_the_new_password_follows_r11_and_differs_from_the_current_one(
        account, ask, complete, mailbox, rows):
    mailbox.tasks()
    token = ask(account).get_json()["reset_token"]
    [mail] = key_mails(mailbox)
    weak = complete(token, mail["key"], "password")
    assert error(weak) == (422, "VALIDATION_FAILED")
    assert "password" in weak.get_json()["error"]["fields"]
    containing = complete(token, mail["key"], f"x#1{account['number']}")
    assert containing.get_json()["error"]["fields"]["password"]
    differs = complete(token, mail["key"], NEW_PASSWORD, NEW_PASSWORD + "x")
    assert "password_confirmation" in differs.get_json()["error"]["fields"]
    same = complete(token, mail["key"], account["password"])
    assert error(same) == (422, "PASSWORD_UNCHANGED")
    assert same.get_json()["error"]["fields"]["password"] == [
        "現在のパスワードとは異なるパスワードを入力してください。"]
    assert rows("password_resets", "key_failures = 0 AND status = 'open'") == 1  # none counted
    assert complete(token, mail["key"]).status_code == 200


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/password-resets", {"job_seeker_number": "12345-1", "birth_date": BIRTH}, "email"),
    ("/v1/password-resets", {"email": "a@example.jp", "job_seeker_number": "1-1",
                             "birth_date": BIRTH}, "job_seeker_number"),
    ("/v1/password-resets", {"email": "a@example.jp", "job_seeker_number": "12345-1",
                             "birth_date": "2999-01-01"}, "birth_date"),
    ("/v1/password-resets", {"email": "a..b@example.jp", "job_seeker_number": "12345-1",
                             "birth_date": BIRTH}, "email"),
    ("/v1/password-reset-completions", {"reset_token": "x" * 43, "reset_key": "ABC",
                                        "password": "a", "password_confirmation": "a"},
     "reset_key"),
    ("/v1/password-reset-completions", {"reset_token": "bad token!", "reset_key": "ABCDEFGH",
                                        "password": "a", "password_confirmation": "a"},
     "reset_token"),
    ("/v1/password-reset-completions", {"reset_token": "x" * 43, "reset_key": "ABCDEFGH",
                                        "password": 5, "password_confirmation": "a"},
     "password"),
])
def test_r15_bad_input_is_a_422_naming_the_field(client, path, body, field):
    answer = client.post(path, json=body)
    assert error(answer) == (422, "VALIDATION_FAILED")
    assert field in answer.get_json()["error"]["fields"]


def test_r15_errors_are_in_japanese_and_english(client):
    body = {"reset_token": "x" * 43, "reset_key": "ABCDEFGH", "password": NEW_PASSWORD,
            "password_confirmation": NEW_PASSWORD}
    ja = client.post("/v1/password-reset-completions", json=body).get_json()["error"]
    en = client.post("/v1/password-reset-completions", json=body,
                     headers={"Accept-Language": "en"}).get_json()["error"]
    assert ja["code"] == en["code"] == "RESET_NOT_FOUND"
    assert "パスワード再設定" in ja["message"] and "password reset" in en["message"]
    bad = client.post("/v1/password-reset-completions", json={**body, "reset_key": "?"},
                      headers={"Accept-Language": "en"}).get_json()["error"]
    assert bad["fields"]["reset_key"] == ["Enter the 8-character reset key from the mail."]


def test_r15_requests_are_rate_limited_per_client_address(make_client, account):
    client = make_client(rate_limit_password_resets=2)
    body = {"email": account["email"], "job_seeker_number": account["number"],
            "birth_date": BIRTH}
    headers = {"X-Forwarded-For": "198.51.100.7"}
    statuses = [client.post("/v1/password-resets", json=body, headers=headers).status_code
                for _ in range(3)]
    assert statuses == [202, 202, 429]
    other = client.post("/v1/password-reset-completions", headers=headers, json={
        "reset_token": "x" * 43, "reset_key": "ABCDEFGH", "password": NEW_PASSWORD,
        "password_confirmation": NEW_PASSWORD})
    assert error(other) == (429, "RATE_LIMITED") and other.headers["Retry-After"]


def test_r15_the_openapi_document_lists_both_endpoints(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert "202" in paths["/v1/password-resets"]["post"]["responses"]
    assert "200" in paths["/v1/password-reset-completions"]["post"]["responses"]


def test_r15_a_reset_lifts_the_login_throttle_of_the_account(make_client, account, mailbox):
    client = make_client(login_failures_per_account=2)
    for _ in range(2):
        assert error(login(client, account["email"], "Wrong#pass1")) == (401, "LOGIN_FAILED")
    assert error(login(client, account["email"], account["password"])) == (429, "RATE_LIMITED")
    mailbox.tasks()
    token = client.post("/v1/password-resets", json={
        "email": account["email"], "job_seeker_number": account["number"],
        "birth_date": BIRTH}).get_json()["reset_token"]
    [mail] = key_mails(mailbox)
    done = client.post("/v1/password-reset-completions", json={
        "reset_token": token, "reset_key": mail["key"], "password": NEW_PASSWORD,
        "password_confirmation": NEW_PASSWORD})
    assert done.status_code == 200
    assert login(client, account["email"], NEW_PASSWORD).status_code == 201
