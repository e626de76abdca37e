import json
import re
import uuid
from datetime import timedelta

import pytest

from shared.tokens import group
from testsupport import eventually

pytestmark = pytest.mark.integration

NUMBER = "12345-1234567"


def test_r1_issuing_publishes_one_code_issued_with_the_documented_payload(
        office, relay, published, config, clock):
    response = office.issue()
    assert response.status_code == 201
    body = response.get_json()
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{10}", body["code"])
    assert body["code_display"] == group(body["code"])
    assert body["job_seeker_number"] == NUMBER and body["superseded"] == []
    assert relay.run_once() == 1
    issued = eventually(lambda: published.of_type("code.issued"))
    assert len(issued) == 1
    event = issued[0]
    assert set(event) == {"event_id", "type", "version", "occurred_at", "producer",
                          "correlation_id", "payload"}
    assert event["producer"] == "code-issuer" and event["version"] == 1
    assert event["correlation_id"] == response.headers["X-Correlation-ID"]
    payload = event["payload"]
    assert payload == {
        "code_id": body["code_id"], "job_seeker_number": NUMBER, "birth_date": "1990-01-02",
        "code_digest": payload["code_digest"], "issued_at": body["issued_at"],
        "expires_at": body["expires_at"], "supersedes": [],
    }
    from code_issuer.domain import code_digest
    assert payload["code_digest"] == code_digest(config.digest_secret, body["code"])
    assert published.of_type("code.revoked") == []


def test_r1_the_plain_code_is_nowhere_in_the_database_or_the_message(
        office, relay, published, dump_database):
    body = office.issue().get_json()
    relay.run_once()
    eventually(lambda: published.of_type("code.issued"))
    stored = dump_database()
    assert body["code_id"] in stored  # the dump does hold the code's row
    for text in (stored, json.dumps(published.seen)):
        for form in (body["code"], body["code"].lower(), body["code_display"]):
            assert form not in text


def test_r2_expiry_is_midnight_office_time_after_the_5th_day(office, clock, config):
    body = office.issue().get_json()
    issue_date = clock.now().astimezone(config.tz).date()
    expires = clock.now().fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert expires.astimezone(config.tz).date() == issue_date + timedelta(days=6)
    assert expires.astimezone(config.tz).time().isoformat() == "00:00:00"
    assert body["valid_until"].endswith("T23:59:59+09:00")
    clock.set(expires - timedelta(seconds=1))
    assert office.status(body["code_id"])["status"] == "active"
    clock.set(expires)
    code = office.status(body["code_id"])
    assert code["status"] == "expired" and code["ended_at"] == body["expires_at"]


def test_r3_reissue_supersedes_the_earlier_code_with_code_revoked_and_code_issued(
        office, relay, published, clock):
    first = office.issue().get_json()
    clock.advance(minutes=5)
    second = office.issue().get_json()
    assert second["superseded"] == [first["code_id"]]
    relay.run_once()
    eventually(lambda: len(published.drain()) >= 3)
    revoked = published.of_type("code.revoked")
    assert [e["payload"] for e in revoked] == [{"code_id": first["code_id"], "reason": "superseded"}]
    issued = published.of_type("code.issued")
    assert [e["payload"]["supersedes"] for e in issued] == [[], [first["code_id"]]]
    listed = office.codes()
    assert [c["code_id"] for c in listed] == [second["code_id"], first["code_id"]]
    assert [c["status"] for c in listed] == ["active", "superseded"]
    assert listed[1]["reason"] == "superseded" and listed[1]["ended_at"] == second["issued_at"]


def test_r3_reissue_after_expiry_records_the_old_code_expired_without_an_event(
        office, relay, published, clock):
    first = office.issue().get_json()
    clock.advance(days=7)
    second = office.issue().get_json()
    assert second["superseded"] == []
    relay.run_once()
    eventually(lambda: len(published.of_type("code.issued")) == 2)
    assert published.of_type("code.revoked") == []
    assert office.status(first["code_id"])["status"] == "expired"


def test_revoke_by_the_office(office, relay, published):
    code = office.issue().get_json()
    response = office.revoke(code["code_id"])
    assert response.status_code == 200
    assert response.get_json()["status"] == "revoked"
    assert response.get_json()["reason"] == "revoked_by_office"
    relay.run_once()
    revoked = eventually(lambda: published.of_type("code.revoked"))
    assert revoked[0]["payload"] == {"code_id": code["code_id"], "reason": "revoked_by_office"}


def test_revoking_a_dead_code_is_409_and_an_unknown_one_404(office, relay, published):
    code = office.issue().get_json()
    office.revoke(code["code_id"])
    again = office.revoke(code["code_id"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "CODE_NOT_ACTIVE"
    for unknown in (uuid.uuid4(), "not-a-uuid"):
        missing = office.revoke(unknown)
        assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "CODE_NOT_FOUND"
    relay.run_once()
    eventually(lambda: len(published.drain()) >= 2)
    assert len(published.of_type("code.revoked")) == 1


def test_revoking_an_expired_code_is_409(office, clock):
    code = office.issue().get_json()
    clock.advance(days=7)
    response = office.revoke(code["code_id"])
    assert response.status_code == 409
    assert office.status(code["code_id"])["status"] == "expired"


def test_list_is_per_person_and_needs_a_valid_number(office, client):
    office.issue(number="12345-1")
    office.issue(number="12345-2")
    assert len(office.codes("12345-1")) == 1
    assert len(office.codes("１２３４５－２")) == 1
    assert office.codes("99999-9") == []
    bad = client.get("/v1/codes", query_string={"job_seeker_number": "12-3"},
                     headers={"Authorization": "Bearer dev-office-key"})
    assert bad.status_code == 422 and "job_seeker_number" in bad.get_json()["error"]["fields"]
    missing = client.get("/v1/codes", headers={"Authorization": "Bearer dev-office-key"})
    assert missing.status_code == 422 and "job_seeker_number" in missing.get_json()["error"]["fields"]


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer wrong-key"}, {"Authorization": "dev-office-key"},
    {"Authorization": "Basic dev-office-key"}, {"Authorization": "Bearer "},
    {"Authorization": "Bearer dev-office-key-and-more"},
])
def test_every_call_without_a_valid_office_key_is_401_without_detail(client, headers, dump_database):
    for method, path in (("post", "/v1/codes"), ("get", "/v1/codes?job_seeker_number=12345-1"),
                         ("post", f"/v1/codes/{uuid.uuid4()}/revoke")):
        response = getattr(client, method)(path, json={"job_seeker_number": NUMBER,
                                                       "birth_date": "1990-01-02"}, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert set(response.get_json()["error"]) == {"code", "message"}
        assert response.get_json()["error"]["code"] == "UNAUTHORIZED"
    assert "12345-1234567" not in dump_database()


def test_any_of_several_configured_keys_is_accepted(client):
    response = client.post("/v1/codes", json={"job_seeker_number": NUMBER, "birth_date": "1990-01-02"},
                           headers={"Authorization": "Bearer second-office-key"})
    assert response.status_code == 201


def test_errors_are_in_japanese_by_default_and_english_on_request(office):
    ja = office.issue(birth_date="1990-02-30")
    en = office.issue(birth_date="1990-02-30", **{"Accept-Language": "en-US,en;q=0.9"})
    assert ja.status_code == en.status_code == 422
    assert ja.get_json()["error"]["message"] == "入力内容に誤りがあります。"
    assert "西暦" in ja.get_json()["error"]["fields"]["birth_date"][0]
    assert en.get_json()["error"]["message"] == "Some fields are invalid."
    assert "western calendar" in en.get_json()["error"]["fields"]["birth_date"][0]


def test_a_birth_date_left_out_for_an_unknown_person_is_answered_as_a_missing_field(office):
    ja = office.issue(birth_date=None)
    en = office.issue(birth_date=None, **{"Accept-Language": "en"})
    assert ja.status_code == en.status_code == 422
    assert ja.get_json() == {"error": {"code": "VALIDATION_FAILED", "message": "入力内容に誤りがあります。",
                                       "fields": {"birth_date": ["必須項目です。"]}}}
    assert en.get_json() == {"error": {"code": "VALIDATION_FAILED", "message": "Some fields are invalid.",
                                       "fields": {"birth_date": ["This field is required."]}}}


@pytest.mark.parametrize(("body", "field"), [
    ({"birth_date": "1990-01-02"}, "job_seeker_number"),
    ({"job_seeker_number": 1234512345, "birth_date": "1990-01-02"}, "job_seeker_number"),
    ({"job_seeker_number": "1234-1234567", "birth_date": "1990-01-02"}, "job_seeker_number"),
    ({"job_seeker_number": "12345-123456789", "birth_date": "1990-01-02"}, "job_seeker_number"),
    ({"job_seeker_number": "12345-1\x00", "birth_date": "1990-01-02"}, "job_seeker_number"),
    ({"job_seeker_number": "12345-1' OR '1'='1", "birth_date": "1990-01-02"}, "job_seeker_number"),
    ({"job_seeker_number": ["12345-1"], "birth_date": "1990-01-02"}, "job_seeker_number"),
    ({"job_seeker_number": None, "birth_date": "1990-01-02"}, "job_seeker_number"),
    ({"job_seeker_number": NUMBER}, "birth_date"),  # unknown person: the date is required
    ({"job_seeker_number": NUMBER, "birth_date": "1990-02-30"}, "birth_date"),
    ({"job_seeker_number": NUMBER, "birth_date": "2999-01-01"}, "birth_date"),
    ({"job_seeker_number": NUMBER, "birth_date": "平成2年1月2日"}, "birth_date"),
    ({"job_seeker_number": NUMBER, "birth_date": 19900102}, "birth_date"),
    ({"job_seeker_number": NUMBER, "birth_date": "1990-01-02", "code": "X"}, "code"),
])
def test_bad_input_is_422_naming_the_field_and_writes_nothing(office, body, field, dump_database, pool):
    response = office.client.post("/v1/codes", json=body, headers={"Authorization": "Bearer dev-office-key"})
    assert response.status_code == 422, response.get_json()
    assert list(response.get_json()["error"]["fields"]) == [field]
    with pool.connection() as conn:
        assert conn.execute("SELECT (SELECT count(*) FROM codes) + (SELECT count(*) FROM job_seekers) "
                            "+ (SELECT count(*) FROM outbox)").fetchone()[0] == 0


def test_full_width_input_is_normalised(office):
    response = office.issue(number="１２３４５－１２３４５６７", birth_date="１９９０－０１－０２")
    assert response.status_code == 201
    assert response.get_json()["job_seeker_number"] == NUMBER


@pytest.mark.parametrize(("data", "content_type", "status", "code"), [
    ("not json", "application/json", 400, "BAD_REQUEST"),
    (b"\xff\xfe{}", "application/json", 400, "BAD_REQUEST"),
    ('["a list"]', "application/json", 422, "VALIDATION_FAILED"),
    ('{"job_seeker_number": "12345-1"}', "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"),
    ('{"job_seeker_number": "' + "1" * 20000 + '"}', "application/json", 413, "PAYLOAD_TOO_LARGE"),
])
def test_malformed_bodies_are_clear_4xx_in_json(client, data, content_type, status, code, pool):
    response = client.post("/v1/codes", data=data, content_type=content_type,
                           headers={"Authorization": "Bearer dev-office-key"})
    assert response.status_code == status
    assert response.get_json()["error"]["code"] == code
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM codes").fetchone()[0] == 0


def test_operations_endpoints_and_openapi(client):
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["checks"] == {"database": "ok"}
    assert b"http_request_duration_seconds_count" in client.get("/metrics").data
    document = client.get("/openapi.json").get_json()
    assert set(document["paths"]) == {"/v1/codes", "/v1/codes/{code_id}/revoke", "/v1/whoami",
                                      "/v1/job-seekers/{job_seeker_number}"}
    assert "IssueRequest" in document["components"]["schemas"]
    assert client.get("/docs").status_code == 200
