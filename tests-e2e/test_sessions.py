"""R19 and R20 through HTTP with the whole system: a person logged in from several clients
lists them, ends one, then all the others; a login from a new client mails a notice (read
from the SMTP server), the first login after registration and a known client do not."""

import time

import requests

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
NEW_LOGIN = {"ja": "新しい端末からのログイン", "en": "New login"}


def login(flow, headers: dict) -> str:
    response = requests.post(f"{flow.system.registration_url}/v1/sessions", timeout=30,
                             json={"email": flow.email, "password": flow.password},
                             headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["session_token"]


def call(flow, method: str, path: str, token: str) -> requests.Response:
    return requests.request(method, f"{flow.system.registration_url}{path}", timeout=10,
                            headers={"Authorization": f"Bearer {token}"})


def new_login_mails(flow) -> list[dict]:
    messages = requests.get(f"{flow.system.mail_url}/api/messages", timeout=5).json()
    return [m for m in messages if flow.email in str(m["to"])
            and any(subject in m["subject"] for subject in NEW_LOGIN.values())]


def wait_for_new_login_mail(flow, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while not (found := new_login_mails(flow)):
        assert time.monotonic() < deadline, "no new-login notice arrived"
        time.sleep(0.2)
    return found[0]


def test_r19_r20_sessions_from_several_clients_and_the_new_login_notice(flow):
    application = flow.apply_when_known(flow.issue()["code"])
    done = flow.register_password(application["application_token"], flow.auth_key())
    assert done.status_code == 201, done.text

    # The first login after registration, from a browser and network never seen: no notice.
    firefox = login(flow, {"User-Agent": FIREFOX, "X-Forwarded-For": "198.51.100.23"})
    # The client that registered (flow.headers: its address, python-requests): known.
    registering = login(flow, flow.headers)
    # A new client: the notice, in English as this login asked.
    safari = login(flow, {"User-Agent": SAFARI, "X-Forwarded-For": "192.0.2.45",
                          "Accept-Language": "en"})
    mail = wait_for_new_login_mail(flow)
    assert NEW_LOGIN["en"] in mail["subject"]
    assert "192.0.2.0/24" in mail["text"] and "Safari on iOS" in mail["text"]
    assert "192.0.2.45" not in mail["text"]
    time.sleep(2)  # a notice for either earlier login would have been queued before it
    assert len(new_login_mails(flow)) == 1

    listed = call(flow, "GET", "/v1/me/sessions", firefox)
    assert listed.status_code == 200, listed.text
    sessions = listed.json()
    assert sorted((s["browser"], s["client_address"], s["current"]) for s in sessions) == [
        ("Firefox on Windows", "198.51.100.0/24", True),
        ("Other browser", flow.headers["X-Forwarded-For"].rsplit(".", 1)[0] + ".0/24", False),
        ("Safari on iOS", "192.0.2.0/24", False),
    ]
    assert all(s["session_id"] not in (firefox, registering, safari) for s in sessions)

    # End the Safari session by its id: its token stops working at once.
    safari_id = next(s["session_id"] for s in sessions if s["browser"] == "Safari on iOS")
    assert call(flow, "DELETE", f"/v1/me/sessions/{safari_id}", firefox).status_code == 204
    assert call(flow, "GET", "/v1/me", safari).status_code == 401
    gone = call(flow, "DELETE", f"/v1/me/sessions/{safari_id}", firefox)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "SESSION_NOT_FOUND"
    bad = call(flow, "DELETE", "/v1/me/sessions/not-a-session", firefox)
    assert bad.status_code == 422 and "session_id" in bad.json()["error"]["fields"]

    # End all but this one.
    assert call(flow, "DELETE", "/v1/me/sessions", firefox).status_code == 204
    assert call(flow, "GET", "/v1/me", registering).status_code == 401
    assert call(flow, "GET", "/v1/me", firefox).status_code == 200
    assert [s["current"] for s in call(flow, "GET", "/v1/me/sessions", firefox).json()] == [True]

    # Safari again, seen a minute ago: known, no second notice.
    login(flow, {"User-Agent": SAFARI, "X-Forwarded-For": "192.0.2.99"})
    time.sleep(2)
    assert len(new_login_mails(flow)) == 1
