"""Issue 17: what registration hands the notifier (the auth-key mail's `replaces_earlier`
and `language`, the "registration complete" notice) and the wrong keys left at step 3."""

import uuid

import pytest

from shared.clock import iso
from shared.contracts import tasks

pytestmark = pytest.mark.integration


def error(response):
    return response.status_code, response.get_json()["error"]["code"]


def wrong_key(key):
    return ("0" if key[0] != "0" else "1") + key[1:]


def only_task(mailbox, name):
    (headers, kwargs), = mailbox.tasks()
    assert headers["task"] == name
    tasks.check_arguments(name, kwargs)  # exactly what the contract takes
    return kwargs


def test_r9_the_mail_of_a_step2_that_voided_an_earlier_application_says_it_replaces_it(
        apply, bus, mailbox):
    _, code, number = bus.issue()
    assert apply(code, number).status_code == 201
    assert only_task(mailbox, tasks.SEND_AUTH_KEY_MAIL)["replaces_earlier"] is False
    assert apply(code, number).status_code == 201
    assert only_task(mailbox, tasks.SEND_AUTH_KEY_MAIL)["replaces_earlier"] is True


def test_r9_a_step2_after_the_earlier_application_closed_replaces_nothing(
        apply, bus, mailbox, clock):
    _, code, number = bus.issue()
    assert apply(code, number).status_code == 201
    application_id = only_task(mailbox, tasks.SEND_AUTH_KEY_MAIL)["application_id"]
    clock.advance(minutes=50)
    bus.publish("auth_key.expired", {"application_id": application_id, "expired_at": clock.now()})
    assert apply(code, number).status_code == 201
    assert only_task(mailbox, tasks.SEND_AUTH_KEY_MAIL)["replaces_earlier"] is False


def test_r9_a_mail_for_another_code_of_the_same_person_replaces_nothing(apply, bus, mailbox):
    old_id, old, number = bus.issue()
    assert apply(old, number).status_code == 201
    mailbox.tasks()
    _, new, _ = bus.issue(number=number, supersedes=[old_id])
    assert apply(new, number).status_code == 201
    assert only_task(mailbox, tasks.SEND_AUTH_KEY_MAIL)["replaces_earlier"] is False


@pytest.mark.parametrize("accept_language, language", [
    (None, "ja"), ("ja", "ja"), ("en", "en"), ("en-US,en;q=0.9,ja;q=0.8", "en"),
    ("ja-JP,en;q=0.5", "ja"), ("fr", "ja"),
])
def test_issue17_the_auth_key_mail_is_in_the_language_the_request_asked_for(
        client, bus, mailbox, good_body, accept_language, language):
    _, code, number = bus.issue()
    headers = {"Accept-Language": accept_language} if accept_language else {}
    answer = client.post("/v1/applications", json=good_body(code, number), headers=headers)
    assert answer.status_code == 201
    assert only_task(mailbox, tasks.SEND_AUTH_KEY_MAIL)["language"] == language


@pytest.fixture
def opened(bus, apply, mailbox):
    """An open application: (token, auth key); the mail queue emptied."""
    _, code, number = bus.issue()
    token = apply(code, number, email="Hanako@example.jp").get_json()["application_token"]
    return token, mailbox.last_key()


@pytest.mark.parametrize("accept_language, language", [(None, "ja"), ("en", "en")])
def test_r12_a_completed_step3_hands_the_registration_complete_notice_over(
        client, opened, mailbox, clock, conn, accept_language, language):
    token, key = opened
    clock.advance(minutes=7)
    headers = {"Accept-Language": accept_language} if accept_language else {}
    done = client.post("/v1/password-registrations", headers=headers, json={
        "application_token": token, "auth_key": key, "password": "Kx7#mQ2v-z",
        "password_confirmation": "Kx7#mQ2v-z"})
    assert done.status_code == 201
    notice = only_task(mailbox, tasks.SEND_NOTICE)
    assert notice["kind"] == "registration_complete"
    assert notice["email"] == "Hanako@example.jp" == done.get_json()["email"]
    assert notice["language"] == language
    assert notice["occurred_at"] == iso(clock.now())
    assert uuid.UUID(notice["notice_id"])
    assert conn.execute("SELECT count(*) FROM outbox WHERE kind = 'task'").fetchone()[0] == 2


def test_r12_a_refused_step3_writes_no_notice(opened, register, mailbox, clock, rows):
    token, key = opened
    assert error(register(token, wrong_key(key))) == (400, "AUTH_KEY_MISMATCH")
    clock.advance(minutes=50)
    assert error(register(token, key)) == (410, "AUTH_KEY_EXPIRED")
    assert mailbox.tasks() == []
    assert rows("outbox", "kind = 'task'") == 1  # step 2's auth-key mail alone


def test_r10_each_wrong_key_tells_how_many_are_left_before_the_fifth_voids_it(
        opened, client, register):
    token, key = opened
    for left in (4, 3, 2, 1):
        answer = register(token, wrong_key(key))
        assert answer.status_code == 400
        assert answer.get_json() == {"error": {
            "code": "AUTH_KEY_MISMATCH", "message": "認証キーが正しくありません。",
            "attempts_left": left}}
    fifth = client.post("/v1/password-registrations", headers={"Accept-Language": "en"}, json={
        "application_token": token, "auth_key": wrong_key(key), "password": "Kx7#mQ2v-z",
        "password_confirmation": "Kx7#mQ2v-z"})
    assert fifth.get_json() == {"error": {
        "code": "AUTH_KEY_MISMATCH", "message": "The auth key is incorrect.",
        "attempts_left": 0}}
    assert error(register(token, key)) == (404, "APPLICATION_NOT_FOUND")  # void: no count


def test_r10_attempts_left_follows_the_configured_limit(make_client, bus, mailbox, good_body):
    client = make_client(auth_key_max_failures=3)
    _, code, number = bus.issue()
    token = client.post("/v1/applications", json=good_body(code, number)).get_json()[
        "application_token"]
    key = mailbox.last_key()
    body = {"application_token": token, "auth_key": wrong_key(key), "password": "Kx7#mQ2v-z",
            "password_confirmation": "Kx7#mQ2v-z"}
    lefts = [client.post("/v1/password-registrations", json=body).get_json()["error"].get(
        "attempts_left") for _ in range(4)]
    assert lefts == [2, 1, 0, None]  # the 4th: APPLICATION_NOT_FOUND, no count to tell


def test_r10_a_right_key_after_wrong_ones_opens_the_account(opened, register):
    token, key = opened
    assert register(token, wrong_key(key)).get_json()["error"]["attempts_left"] == 4
    assert register(token, key).status_code == 201


def test_openapi_documents_attempts_left_and_account_exists(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    step3 = paths["/v1/password-registrations"]["post"]["responses"]
    assert "attempts_left" in str(step3["400"])
    assert "ACCOUNT_EXISTS" in step3["409"]["description"]
    assert "ACCOUNT_EXISTS" in paths["/v1/applications"]["post"]["responses"]["409"][
        "description"]
