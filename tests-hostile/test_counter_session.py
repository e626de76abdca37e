"""Item 1 of issue 13, against the running portal: a counter sign-in is a server-side
session. A copy of the portal's cookie holds no office key, and replayed after the counter
signed out it issues nothing."""

import base64
import json
import re
import zlib

import pytest
import requests

pytestmark = pytest.mark.integration
OFFICE_KEY = "dev-office-key"  # the development key tests-e2e/system.py runs with
NUMBER, BIRTH = "54321-7654321", "1980-02-03"


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def readable(cookie: str) -> str:
    """What anyone holding Flask's signed cookie can read without the secret."""
    payload = cookie.split(".")[1] if cookie.startswith(".") else cookie.split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return (zlib.decompress(data) if cookie.startswith(".") else data).decode()


def sign_in(portal: str) -> requests.Session:
    browser = requests.Session()
    token = csrf_of(browser.get(f"{portal}/counter/signin", timeout=10).text)
    response = browser.post(f"{portal}/counter/signin", timeout=10, allow_redirects=False,
                            data={"office_key": OFFICE_KEY, "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"] == "/counter"
    return browser


def codes_of(running) -> list:
    response = requests.get(f"{running.code_issuer_url}/v1/codes", timeout=10,
                            params={"job_seeker_number": NUMBER},
                            headers={"Authorization": f"Bearer {OFFICE_KEY}"})
    assert response.status_code == 200
    return response.json()


def test_item1_the_counter_cookie_holds_no_office_key(running):
    browser = sign_in(running.portal_url)
    cookie = browser.cookies["portal_session"]
    counter = json.loads(readable(cookie))["counter"]
    assert set(counter) == {"sid", "wrap"}
    assert OFFICE_KEY not in readable(cookie)


def test_item1_a_copied_cookie_replayed_after_sign_out_issues_no_code(running):
    portal = running.portal_url
    browser = sign_in(portal)
    page = browser.get(f"{portal}/counter", timeout=10, allow_redirects=False)
    assert page.status_code == 200
    token, stolen = csrf_of(page.text), browser.cookies["portal_session"]
    signed_out = browser.post(f"{portal}/counter/signout", data={"csrf_token": token},
                              timeout=10, allow_redirects=False)
    assert signed_out.status_code == 303

    thief = requests.Session()
    thief.cookies.set("portal_session", stolen)
    issued = thief.post(f"{portal}/counter/issue", timeout=10, allow_redirects=False,
                        data={"job_seeker_number": NUMBER, "birth_date": BIRTH,
                              "csrf_token": token})
    assert issued.status_code == 303, issued.status_code
    assert issued.headers["Location"] == "/counter/signin"
    assert thief.get(f"{portal}/counter", timeout=10, allow_redirects=False).status_code == 303
    assert codes_of(running) == []


def test_item1_a_wrong_office_key_gives_no_session(running):
    portal = running.portal_url
    browser = requests.Session()
    token = csrf_of(browser.get(f"{portal}/counter/signin", timeout=10).text)
    response = browser.post(f"{portal}/counter/signin", timeout=10, allow_redirects=False,
                            data={"office_key": "not-the-office-key", "csrf_token": token})
    assert response.status_code == 401
    assert browser.get(f"{portal}/counter", timeout=10,
                       allow_redirects=False).status_code == 303
