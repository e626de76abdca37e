"""The whole flow through the HTTP API on the real servers (DESIGN.md §1, R8-R13)."""

import json
from datetime import timedelta

import pytest

from shared.clock import iso
from shared.contracts.events import parse_envelope

pytestmark = pytest.mark.integration


def test_whole_flow_from_code_issued_to_me(client, bus, apply, register, mailbox, published,
                                           clock, conn, rows):
    code_id, code, number = bus.issue()
    terms = client.get("/v1/terms").get_json()
    assert terms["privacy_policy"]["version"] == "2026-04-01"
    grouped = f"{code[:5].lower()}-{code[5:]}"  # as printed, typed in lower case
    response = apply(grouped, number, email="Taro@Example.JP")
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["email"] == "Taro@example.jp"
    assert created["auth_key_expires_at"] == iso(clock.now() + timedelta(minutes=50))
    assert len(created["application_token"]) >= 22  # >= 128 bits

    (headers, kwargs), = mailbox.tasks()
    assert headers["task"] == "notifier.send_auth_key_mail"
    assert set(kwargs) == {"application_id", "email", "auth_key", "issued_at", "valid_until",
                           "replaces_earlier", "language"}
    assert kwargs["replaces_earlier"] is False and kwargs["language"] == "ja"
    assert kwargs["email"] == "Taro@example.jp" and len(kwargs["auth_key"]) == 8
    assert kwargs["valid_until"] == created["auth_key_expires_at"]
    assert "[secret]" not in kwargs["auth_key"] and "kwargsrepr" in headers

    clock.advance(minutes=3)
    bus.publish("auth_key.mailed", {"application_id": kwargs["application_id"],
                                    "delivered_at": clock.now()})
    clock.advance(minutes=5)
    key = kwargs["auth_key"].lower()
    done = register(created["application_token"], key[:4] + "-" + key[4:])
    assert done.status_code == 201, done.get_json()
    account_id = done.get_json()["account_id"]
    assert done.get_json()["email"] == "Taro@example.jp"

    login = client.post("/v1/sessions", json={"email": "taro@example.jp",
                                               "password": "Kx7#mQ2v-z"})
    assert login.status_code == 201
    token = login.get_json()["session_token"]
    assert login.get_json()["expires_at"] == iso(clock.now() + timedelta(minutes=30))
    me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json() == {"email": "Taro@example.jp", "job_seeker_number": number,
                             "registered_at": iso(clock.now())}
    assert client.delete("/v1/sessions/current",
                         headers={"Authorization": f"Bearer {token}"}).status_code == 204
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    # R12: account, used code and both events, published by the relay
    mailbox.relay.run_once()
    events = {e["type"]: e for e in published.drain()}
    registered = parse_envelope(events["account.registered"]).payload
    assert registered["account_id"] == account_id and registered["job_seeker_number"] == number
    assert registered["privacy_policy_version"] == "2026-04-01"  # R8
    assert events["code.used"]["payload"]["code_id"] == str(code_id)
    assert rows("codes", "code_id = %s AND used_at IS NOT NULL", (code_id,)) == 1
    assert rows("applications", "status = 'completed' AND auth_key_digest IS NULL") == 1

    # No secret in plain text anywhere in the database (the task row was scrubbed).
    dump = json.dumps([conn.execute(f"SELECT row_to_json(t)::text FROM {t} t").fetchall()
                       for t in ("codes", "applications", "accounts", "sessions", "outbox",
                                 "audit_log")])
    for secret in (code, kwargs["auth_key"], created["application_token"], token, "Kx7#mQ2v-z"):
        assert secret not in dump
    assert "$argon2id$v=19$m=8192,t=1,p=1$" in dump


def test_r8_both_terms_must_be_agreed_in_their_current_versions(apply, bus, rows):
    _, code, number = bus.issue()
    missing = apply(code, number, privacy_policy_version=None)
    assert missing.status_code == 422
    assert missing.get_json()["error"]["code"] == "TERMS_NOT_AGREED"
    assert "privacy_policy_version" in missing.get_json()["error"]["fields"]
    old = apply(code, number, terms_of_use_version="2020-01-01")
    assert old.status_code == 422
    assert list(old.get_json()["error"]["fields"]) == ["terms_of_use_version"]
    assert rows("applications") == 0 and rows("codes", "failed_attempts > 0") == 0
    assert apply(code, number).status_code == 201


def test_r14_a_lost_application_token_means_starting_again_with_the_same_code(
        apply, register, bus, mailbox):
    _, code, number = bus.issue()
    apply(code, number)  # the password screen was closed: its token is lost
    again = apply(code, number).get_json()
    tasks = mailbox.tasks()
    assert len(tasks) == 2
    assert register(again["application_token"], tasks[-1][1]["auth_key"]).status_code == 201


def test_messages_are_japanese_by_default_and_english_on_request(client):
    ja = client.post("/v1/sessions", json={"email": "x@example.jp", "password": "nope"})
    en = client.post("/v1/sessions", json={"email": "x@example.jp", "password": "nope"},
                     headers={"Accept-Language": "en-US,en;q=0.9"})
    assert ja.get_json()["error"]["message"] == "メールアドレスまたはパスワードが正しくありません。"
    assert en.get_json()["error"]["message"] == "The email address or password is incorrect."
    bad = client.post("/v1/applications", json={"email": 1},
                      headers={"Accept-Language": "en"}).get_json()["error"]
    assert bad["fields"]["email"] == ["Must be a string."]


def test_openapi_docs_and_operations_endpoints(client):
    document = client.get("/openapi.json").get_json()
    assert {"/v1/terms", "/v1/applications", "/v1/password-registrations", "/v1/sessions",
            "/v1/me", "/v1/sessions/current"} <= set(document["paths"])
    request = document["paths"]["/v1/applications"]["post"]["requestBody"]
    assert request["content"]["application/json"]["schema"]
    assert "ApplicationRequest" in document["components"]["schemas"]
    assert client.get("/docs").status_code == 200
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    assert b"http_request_duration_seconds_count" in client.get("/metrics").data
