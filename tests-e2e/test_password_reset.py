"""R15 forgotten password end to end: every process running, through HTTP only, with the
reset-key mail and the password-changed notice read from the SMTP server."""

import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
import requests

from testsupport import eventually

JST = ZoneInfo("Asia/Tokyo")
NEW_PASSWORD = "Fresh-st4rt-2026"  # noqa: S105 - a test password
KEY = re.compile(r"(?:キー|[Kk]ey)[^0-9A-Z]*([0-9A-HJKMNP-TV-Z]{8})\b")


def mails(flow) -> list[dict]:
    """The mails to this person, newest first."""
    messages = requests.get(f"{flow.system.mail_url}/api/messages", timeout=5).json()
    return [m for m in messages if flow.email in str(m["to"])]


def new_mail(flow, seen: int, timeout: float = 40) -> dict:
    """The newest mail once more than `seen` mails reached this person."""
    deadline = time.monotonic() + timeout
    while True:
        mine = mails(flow)
        if len(mine) > seen:
            return mine[0]
        assert time.monotonic() < deadline, f"no new mail arrived after {seen}: {mine}"
        time.sleep(0.1)


def reset_key(mail: dict) -> str:
    match = KEY.search(mail["text"])
    assert match, mail["text"]
    return match.group(1)


def ask(flow, **over) -> requests.Response:
    body = {"email": flow.email, "job_seeker_number": flow.number,
            "birth_date": flow.birth_date, **over}
    return requests.post(f"{flow.system.registration_url}/v1/password-resets", json=body,
                         headers=flow.headers, timeout=10)


def complete(flow, token: str, key: str, password: str = NEW_PASSWORD) -> requests.Response:
    return requests.post(f"{flow.system.registration_url}/v1/password-reset-completions",
                         json={"reset_token": token, "reset_key": key, "password": password,
                               "password_confirmation": password},
                         headers=flow.headers, timeout=30)


def open_account(flow) -> str:
    """Steps 1-4 through HTTP; returns a live session token."""
    issued = flow.issue()
    application = flow.apply_when_known(issued["code"])
    assert flow.register_password(application["application_token"],
                                  flow.auth_key()).status_code == 201
    login = flow.login()
    assert login.status_code == 201, login.text
    return login.json()["session_token"]


def test_r15_a_forgotten_password_is_reset_with_the_mailed_key(flow):
    session = open_account(flow)
    seen = len(mails(flow))
    # Nothing matched (a wrong birth date): the same answer, and no mail. The matching
    # request after it is mailed; had the first been mailed too, two mails would arrive.
    unmatched = ask(flow, birth_date="1985-05-05")
    answer = ask(flow)
    assert unmatched.status_code == answer.status_code == 202, answer.text
    assert set(unmatched.json()) == set(answer.json()) == {"reset_token", "reset_key_expires_at"}
    assert len(unmatched.content) == len(answer.content)
    mail = new_mail(flow, seen)
    key = reset_key(mail)
    time.sleep(1)
    assert len(mails(flow)) == seen + 1  # the unmatched request mailed nothing
    token = answer.json()["reset_token"]

    def delivery_recorded():  # notice.mailed reached registration: the 50 minutes run
        with psycopg.connect(flow.system.databases["registration"]) as conn:
            return conn.execute("SELECT count(*) FROM password_resets WHERE delivered_at "
                                "IS NOT NULL").fetchone()[0] >= 1
    eventually(delivery_recorded, timeout=20, interval=0.2)

    nowhere = complete(flow, unmatched.json()["reset_token"], key)
    assert nowhere.status_code == 404 and nowhere.json()["error"]["code"] == "RESET_NOT_FOUND"
    wrong = complete(flow, token, "ZZZZZZZZ" if key != "ZZZZZZZZ" else "YYYYYYYY")
    assert wrong.status_code == 400, wrong.text
    assert wrong.json()["error"]["code"] == "RESET_KEY_MISMATCH"
    assert wrong.json()["error"]["attempts_left"] == 4

    done = complete(flow, token, key)
    assert done.status_code == 200, done.text
    assert done.json() == {"email": flow.email}
    notice = new_mail(flow, seen + 1)  # R15: a notice that the password was changed
    assert not KEY.search(notice["text"])
    me = requests.get(f"{flow.system.registration_url}/v1/me", timeout=10,
                      headers={**flow.headers, "Authorization": f"Bearer {session}"})
    assert me.status_code == 401  # every session ended
    assert flow.login().status_code == 401  # the old password no longer works
    flow.password = NEW_PASSWORD
    assert flow.login().status_code == 201


def test_r15_the_fifth_wrong_key_voids_the_reset(flow):
    open_account(flow)
    seen = len(mails(flow))
    token = ask(flow).json()["reset_token"]
    key = reset_key(new_mail(flow, seen))
    wrong = "ZZZZZZZZ" if key != "ZZZZZZZZ" else "YYYYYYYY"
    lefts = [complete(flow, token, wrong).json()["error"].get("attempts_left")
             for _ in range(5)]
    assert lefts == [4, 3, 2, 1, 0]
    void = complete(flow, token, key)
    assert void.status_code == 404 and void.json()["error"]["code"] == "RESET_NOT_FOUND"


# The clock test moves every process's clock forward, so it runs last.

@pytest.mark.parametrize("minutes", [49, 50])
def test_zz_r15_the_reset_key_lives_fifty_minutes_from_the_mails_delivery(
        new_flow, system, minutes):
    flow = new_flow()
    start = datetime(2030, 7, 1 + minutes - 49, 9, 0, tzinfo=JST)
    system.move_clock(start - timedelta(minutes=10))
    open_account(flow)
    seen = len(mails(flow))
    system.move_clock(start)
    token = ask(flow).json()["reset_token"]
    key = reset_key(new_mail(flow, seen))
    time.sleep(2)  # notice.mailed reaches registration: the 50 minutes run from delivery
    system.move_clock(start + timedelta(minutes=minutes, seconds=30))
    answer = complete(flow, token, key)
    if minutes < 50:
        assert answer.status_code == 200, answer.text
    else:
        assert answer.status_code == 410, answer.text
        assert answer.json()["error"]["code"] == "RESET_KEY_EXPIRED"
