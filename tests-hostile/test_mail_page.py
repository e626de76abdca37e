"""Item 13 of issue 13, against the running system: the development mail page's test
controls (clear, refuse, delay, accept) need its token; a cross-site form post or a
request without the token changes nothing."""

import json

import pytest
import requests

pytestmark = pytest.mark.integration

CONTROLS = [("DELETE", "/api/messages", None), ("POST", "/api/refuse", {"code": 451}),
            ("POST", "/api/delay", {"seconds": 60}), ("POST", "/api/accept", {})]


@pytest.mark.parametrize(("method", "path", "body"), CONTROLS)
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer guess"},
                                     {"Authorization": "Basic Z3Vlc3M6Z3Vlc3M="},
                                     {"Content-Type": "text/plain", "Origin": "https://evil.example"}],
                         ids=["none", "wrong", "basic", "cross-site"])
def test_item13_the_mail_pages_controls_refuse_a_caller_without_the_token(
        running, method, path, body, headers):
    before = requests.get(f"{running.mail_url}/api/status", timeout=10).json()
    response = requests.request(method, f"{running.mail_url}{path}", timeout=10,
                                headers=headers, data=json.dumps(body or {}))
    assert response.status_code == 401
    assert requests.get(f"{running.mail_url}/api/status", timeout=10).json() == before


def test_item13_the_harness_token_opens_the_controls(running):
    response = requests.post(f"{running.mail_url}/api/accept", json={}, timeout=10,
                             headers=running.mail_control_headers)
    assert response.status_code == 200 and response.json()["refusing"] is None
