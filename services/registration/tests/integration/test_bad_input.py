"""§6 bad input: every field of every endpoint → a 4xx naming the field, nothing written."""

import pytest

pytestmark = pytest.mark.integration

TABLES = ("codes", "applications", "accounts", "sessions", "audit_log", "outbox")
INJECTIONS = ["' OR '1'='1", "1; DROP TABLE accounts; --", "x\r\nBcc: evil@example.jp",
              "<script>alert(1)</script>", "${jndi:ldap://x}"]
COMMON_BAD = [123, 1.5, True, None, [], {}, "", "a\x00b", "x" * 5000]


def snapshot(conn):
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def step2_cases():
    fields = ["email", "email_confirmation", "job_seeker_number", "birth_date",
              "account_creation_code", "privacy_policy_version", "terms_of_use_version"]
    for name in fields:
        for value in [123, True, [], {}, "a\x00b", "x" * 5000]:
            yield name, value
        if name in ("privacy_policy_version", "terms_of_use_version"):
            continue
        yield name, None
        yield name, ""
        for value in INJECTIONS:
            yield name, value
    for value in ["ｔａｒｏ@example.jp", "taro@example.jp ", " taro@example.jp", "a" * 96 + "@b.jp",
                  ".abcd@example.co.jp", "abcd.@example.co.jp", "ab..cd@example.co.jp",
                  "ab[cd@example.co.jp", '"ab"@example.co.jp', "ab@example"]:
        yield "email", value
    for value in ["１２３４５－", "12345-123456789", "１２３４５", "12345‐"]:
        yield "job_seeker_number", value
    for value in ["1990-13-01", "1990-02-30", "３０００－０１－０１", "1990-1-2T00:00", "昭和65年"]:
        yield "birth_date", value
    for value in ["ＡＢＣ", "ABCDEFGHJKL", "ABCDEFGHJU", "ABCDE\u200bFGHJK"]:
        yield "account_creation_code", value


@pytest.mark.parametrize("field, value", list(step2_cases()))
def test_bad_step2_input_names_the_field_and_writes_nothing(module_client, module_conn,
                                                            good_body, field, value):
    body = good_body("ABCDE-FGHJK", "12345-1234567")
    body[field] = value
    if field == "email" and isinstance(value, str):
        body["email_confirmation"] = value
    before = snapshot(module_conn)
    response = module_client.post("/v1/applications", json=body)
    assert 400 <= response.status_code < 500, response.get_json()
    assert field in response.get_json()["error"]["fields"]
    assert snapshot(module_conn) == before


@pytest.mark.parametrize("field", ["application_token", "auth_key", "password",
                                   "password_confirmation"])
@pytest.mark.parametrize("value", COMMON_BAD + INJECTIONS[:2] + ["ＡＢＣＤＥＦＧＨ", "ABCD\u3000EFG"])
def test_bad_step3_input_names_the_field_and_writes_nothing(module_client, module_conn, field,
                                                            value):
    body = {"application_token": "A" * 43, "auth_key": "ABCDEFGH", "password": "Kx7#mQ2v-z",
            "password_confirmation": "Kx7#mQ2v-z"}
    body[field] = value
    before = snapshot(module_conn)
    response = module_client.post("/v1/password-registrations", json=body)
    if response.status_code == 404:  # a value that is well-formed for this field
        assert field in ("password", "password_confirmation") or value == "ＡＢＣＤＥＦＧＨ"
        return
    assert 400 <= response.status_code < 500
    assert field in response.get_json()["error"]["fields"]
    assert snapshot(module_conn) == before


@pytest.mark.parametrize("field", ["email", "password"])
@pytest.mark.parametrize("value", COMMON_BAD)
def test_bad_login_input_names_the_field_and_writes_nothing(module_client, module_conn, field,
                                                            value):
    body = {"email": "taro@example.jp", "password": "Kx7#mQ2v-z", field: value}
    before = snapshot(module_conn)
    response = module_client.post("/v1/sessions", json=body)
    if response.status_code == 401:  # well-formed, only wrong
        assert value == "" or isinstance(value, str)
        return
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert snapshot(module_conn) == before


@pytest.mark.parametrize("path", ["/v1/applications", "/v1/password-registrations",
                                  "/v1/sessions"])
@pytest.mark.parametrize("data, content_type, status", [
    (b"\xff\xfe{}", "application/json", 400),
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 422),
    (b'"text"', "application/json", 422),
    (b"[" * 5000 + b"]" * 5000, "application/json", 400),
    (b"{}", "text/plain", 415),
    (b"email=a", "application/x-www-form-urlencoded", 415),
    (b'{"a": "' + b"x" * 20000 + b'"}', "application/json", 413),
])
def test_malformed_bodies_get_a_json_4xx_and_write_nothing(module_client, module_conn, path,
                                                           data, content_type, status):
    before = snapshot(module_conn)
    response = module_client.post(path, data=data, content_type=content_type)
    assert response.status_code == status
    assert response.is_json and response.get_json()["error"]["code"]
    assert snapshot(module_conn) == before


def test_unknown_fields_are_named_and_refused(client, bus, good_body):
    _, code, number = bus.issue()
    response = client.post("/v1/applications", json={**good_body(code, number), "role": "admin"})
    assert response.status_code == 422
    assert list(response.get_json()["error"]["fields"]) == ["role"]
