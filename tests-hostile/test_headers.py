"""What every HTTP answer of the running services shows a stranger: no stack trace, no
server version, the security headers, bounded request sizes, and no CORS opening unless
one is configured."""

import re

import pytest
import requests
from flask import Flask

from shared import web
from shared.web.messages import Messages

pytestmark = pytest.mark.integration
OFFICE = {"Authorization": "Bearer dev-office-key"}
SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
LEAKS = re.compile(r"Traceback|File \"|\.py\b|/work/|site-packages|psycopg|werkzeug|gunicorn|"
                   r"Python/|Werkzeug/", re.IGNORECASE)


def answers(running) -> dict[str, requests.Response]:
    """Good, refused, malformed and unknown requests to both services."""
    ci, reg = running.code_issuer_url, running.registration_url
    huge = '{"email": "' + "a" * 1_000_000 + '"}'
    return {
        "code-issuer list": requests.get(f"{ci}/v1/codes", headers=OFFICE, timeout=10,
                                         params={"job_seeker_number": "12345-1"}),
        "code-issuer without key": requests.get(f"{ci}/v1/codes", timeout=10),
        "code-issuer bad JSON": requests.post(f"{ci}/v1/codes", data="{", headers={
            **OFFICE, "Content-Type": "application/json"}, timeout=10),
        "code-issuer huge body": requests.post(f"{ci}/v1/codes", data=huge, headers={
            **OFFICE, "Content-Type": "application/json"}, timeout=30),
        "code-issuer unknown path": requests.get(f"{ci}/v1/nothing", headers=OFFICE, timeout=10),
        "code-issuer wrong method": requests.put(f"{ci}/v1/codes", headers=OFFICE, timeout=10),
        "registration terms": requests.get(f"{reg}/v1/terms", timeout=10),
        "registration bad JSON": requests.post(f"{reg}/v1/applications", data="\x00", headers={
            "Content-Type": "application/json"}, timeout=10),
        "registration huge body": requests.post(f"{reg}/v1/applications", data=huge, headers={
            "Content-Type": "application/json"}, timeout=30),
        "registration SQL in a field": requests.post(f"{reg}/v1/sessions", timeout=10, json={
            "email": "x' OR 1=1; --@example.jp", "password": "'; DROP TABLE accounts; --"}),
        "registration header injection": requests.get(f"{reg}/v1/me", timeout=10, headers={
            "Authorization": "Bearer abc\tdef", "X-Correlation-ID": "a" * 5000}),
        "registration unknown path": requests.get(f"{reg}/admin", timeout=10),
        "registration wrong method": requests.patch(f"{reg}/v1/applications", timeout=10),
    }


@pytest.fixture(scope="module")
def seen(running):
    return answers(running)


def test_no_answer_shows_a_stack_trace_a_path_or_a_server_version(seen):
    for name, response in seen.items():
        assert response.status_code < 500, name
        assert not LEAKS.search(response.text[:20000]), (name, response.text[:300])
        server = response.headers.get("Server", "")
        assert not re.search(r"[0-9]|gunicorn|werkzeug|python", server, re.I), (name, server)
        assert "X-Powered-By" not in response.headers, name
        assert response.headers["Content-Type"].startswith("application/json"), name
        response.json()  # every answer, errors included, is JSON (raises otherwise)


def test_every_answer_carries_the_security_headers(seen):
    for name, response in seen.items():
        for header, value in SECURITY.items():
            assert response.headers.get(header) == value, (name, header)


def test_request_bodies_are_limited_to_16_kib(seen):
    for name in ("code-issuer huge body", "registration huge body"):
        assert seen[name].status_code == 413, name
        assert seen[name].json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_sql_and_header_injection_are_plain_refusals(seen):
    assert seen["registration SQL in a field"].status_code == 401
    assert seen["registration SQL in a field"].json()["error"]["code"] == "LOGIN_FAILED"
    assert seen["registration header injection"].status_code == 401
    assert len(seen["registration header injection"].headers["X-Correlation-ID"]) <= 100


def test_oversized_headers_are_refused_without_a_version(running):
    response = requests.get(f"{running.registration_url}/v1/terms", timeout=10,
                            headers={"X-Big": "a" * 20000})
    assert 400 <= response.status_code < 500
    assert not re.search(r"[0-9]", response.headers.get("Server", ""))
    assert not LEAKS.search(response.text)


@pytest.mark.parametrize("service", ["code_issuer_url", "registration_url"])
def test_cors_stays_closed_to_every_origin(running, service):
    url = getattr(running, service)
    origin = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    for response in (requests.options(f"{url}/v1/codes", headers=origin, timeout=10),
                     requests.get(f"{url}/healthz", headers=origin, timeout=10),
                     requests.post(f"{url}/v1/sessions", headers=origin, json={}, timeout=10)):
        assert not any(h.lower().startswith("access-control-allow") for h in response.headers)


def test_cors_opens_only_to_a_configured_origin():
    app = Flask("cors")
    web.install(app, service="cors", messages=Messages(), readiness={},
                cors_origins=("https://portal.example.jp",))
    client = app.test_client()
    allowed = client.get("/healthz", headers={"Origin": "https://portal.example.jp"})
    other = client.get("/healthz", headers={"Origin": "https://evil.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://portal.example.jp"
    assert "Access-Control-Allow-Origin" not in other.headers
    assert "Access-Control-Allow-Credentials" not in allowed.headers


def test_an_unexpected_error_answers_500_json_without_the_trace():
    app = Flask("boom")
    web.install(app, service="boom", messages=Messages(), readiness={})

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals at /srv/app/thing.py line 3")

    response = app.test_client().get("/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert response.get_json() == {"error": {"code": "INTERNAL_ERROR",
                                             "message": "An internal error occurred."}}
    assert not LEAKS.search(response.get_data(as_text=True))
