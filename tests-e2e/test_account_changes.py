"""R16 password change, R17 email change and R18 withdrawal end to end: every process
running, through HTTP only, with the key mail and the notices read from the SMTP server."""

import random
import re
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests

JST = ZoneInfo("Asia/Tokyo")
NEW_PASSWORD = "Fresh-st4rt-2026"  # noqa: S105 - a test password
KEY = re.compile(r"(?:キー|[Kk]ey)[^0-9A-Z]*([0-9A-HJKMNP-TV-Z]{8})\b")
OFFICE = {"Authorization": "Bearer dev-office-key"}


def mails_to(flow, address: str) -> list[dict]:
    """The mails to `address`, newest first."""
    messages = requests.get(f"{flow.system.mail_url}/api/messages", timeout=5).json()
    return [m for m in messages if address.lower() in str(m["to"]).lower()]


def new_mail(flow, address: str, seen: int, timeout: float = 20) -> dict:
    """The newest mail to `address` once more than `seen` reached it."""
    deadline = time.monotonic() + timeout
    while True:
        mine = mails_to(flow, address)
        if len(mine) > seen:
            return mine[0]
        assert time.monotonic() < deadline, f"no new mail to {address} arrived"
        time.sleep(0.1)


def key_of(mail: dict) -> str:
    match = KEY.search(mail["text"])
    assert match, mail["text"]
    return match.group(1)


def call(flow, method: str, path: str, session: str | None = None, **kwargs):
    headers = dict(flow.headers)
    if session:
        headers["Authorization"] = f"Bearer {session}"
    return requests.request(method, f"{flow.system.registration_url}{path}", headers=headers,
                            timeout=30, **kwargs)


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text
    return response.json()["error"]


def open_account(flow) -> str:
    """Steps 1-4 through HTTP; returns a live session token."""
    issued = flow.issue()
    application = flow.apply_when_known(issued["code"])
    assert flow.register_password(application["application_token"],
                                  flow.auth_key()).status_code == 201
    return log_in(flow)


def log_in(flow) -> str:
    login = flow.login()
    assert login.status_code == 201, login.text
    return login.json()["session_token"]


def me(flow, session: str) -> requests.Response:
    return call(flow, "GET", "/v1/me", session)


def request_change(flow, session: str, email: str, password: str | None = None):
    return call(flow, "POST", "/v1/me/email-changes", session, json={
        "current_password": password or flow.password, "email": email,
        "email_confirmation": email})


def confirm(flow, session: str, token: str, key: str):
    return call(flow, "POST", "/v1/me/email-change-confirmations", session,
                json={"change_token": token, "key": key})


def test_r16_a_logged_in_person_changes_the_password_and_is_told_by_mail(flow):
    this = open_account(flow)
    other = log_in(flow)
    seen = len(mails_to(flow, flow.email))
    wrong = call(flow, "PUT", "/v1/me/password", this, json={
        "current_password": "not-it-1!", "password": NEW_PASSWORD,
        "password_confirmation": NEW_PASSWORD})
    refused(wrong, 400, "CURRENT_PASSWORD_WRONG")
    same = call(flow, "PUT", "/v1/me/password", this, json={
        "current_password": flow.password, "password": flow.password,
        "password_confirmation": flow.password})
    refused(same, 422, "PASSWORD_UNCHANGED")
    done = call(flow, "PUT", "/v1/me/password", this, json={
        "current_password": flow.password, "password": NEW_PASSWORD,
        "password_confirmation": NEW_PASSWORD})
    assert done.status_code == 204, done.text
    notice = new_mail(flow, flow.email, seen)
    assert "パスワード変更" in notice["subject"] and not KEY.search(notice["text"])
    assert me(flow, this).status_code == 200  # this session goes on
    refused(me(flow, other), 401, "UNAUTHORIZED")  # every other one ended
    assert flow.login().status_code == 401
    flow.password = NEW_PASSWORD
    log_in(flow)


def test_r17_the_key_mailed_to_the_new_address_changes_it_and_the_old_one_is_told(flow):
    this = open_account(flow)
    other = log_in(flow)
    old, new = flow.email, f"moved{random.randint(0, 10**9)}@example.jp"
    seen_old = len(mails_to(flow, old))
    answer = request_change(flow, this, new)
    assert answer.status_code == 202, answer.text
    assert set(answer.json()) == {"change_token", "key_expires_at"}
    key_mail = new_mail(flow, new, 0)
    assert "メールアドレス変更" in key_mail["subject"]
    key = key_of(key_mail)
    token = answer.json()["change_token"]
    wrong = "ZZZZZZZZ" if key != "ZZZZZZZZ" else "YYYYYYYY"
    assert refused(confirm(flow, this, token, wrong), 400,
                   "CHANGE_KEY_MISMATCH")["attempts_left"] == 4
    done = confirm(flow, this, token, key)
    assert done.status_code == 200, done.text
    assert done.json() == {"email": new}
    notice = new_mail(flow, old, seen_old)  # R17: the notice goes to the OLD address
    assert "メールアドレス変更" in notice["subject"] and not KEY.search(notice["text"])
    assert me(flow, this).json()["email"] == new
    refused(me(flow, other), 401, "UNAUTHORIZED")
    assert flow.login().status_code == 401  # the old address logs in no more
    flow.email = new
    log_in(flow)
    refused(confirm(flow, this, token, key), 404, "CHANGE_NOT_FOUND")  # single use


def test_r17_the_fifth_wrong_key_voids_the_change(flow):
    session = open_account(flow)
    new = f"void{random.randint(0, 10**9)}@example.jp"
    token = request_change(flow, session, new).json()["change_token"]
    key = key_of(new_mail(flow, new, 0))
    wrong = "ZZZZZZZZ" if key != "ZZZZZZZZ" else "YYYYYYYY"
    lefts = [confirm(flow, session, token, wrong).json()["error"].get("attempts_left")
             for _ in range(5)]
    assert lefts == [4, 3, 2, 1, 0]
    refused(confirm(flow, session, token, key), 404, "CHANGE_NOT_FOUND")
    assert me(flow, session).json()["email"] == flow.email


def test_r18_withdrawal_erases_the_account_and_a_new_code_opens_a_new_one(flow):
    this = open_account(flow)
    other = log_in(flow)
    seen = len(mails_to(flow, flow.email))
    refused(call(flow, "POST", "/v1/me/withdrawal", this,
                 json={"current_password": "not-it-1!"}), 400, "CURRENT_PASSWORD_WRONG")
    done = call(flow, "POST", "/v1/me/withdrawal", this,
                json={"current_password": flow.password})
    assert done.status_code == 204, done.text
    notice = new_mail(flow, flow.email, seen)  # mailed to the address before its erasure
    assert "退会" in notice["subject"]
    for session in (this, other):
        refused(me(flow, session), 401, "UNAUTHORIZED")
    assert flow.login().status_code == 401
    # The office view learns of it from account.closed: the counter sees the account closed.
    deadline = time.monotonic() + 20
    while True:
        person = requests.get(f"{flow.system.code_issuer_url}/v1/job-seekers/{flow.number}",
                              headers=OFFICE, timeout=10).json()
        if person.get("account_status") == "closed":
            break
        assert time.monotonic() < deadline, person
        time.sleep(0.3)
    # R12: a new code from the counter opens a new account, here with the same address
    deadline = time.monotonic() + 20
    while True:
        issued = requests.post(f"{flow.system.code_issuer_url}/v1/codes", headers=OFFICE,
                               json={"job_seeker_number": flow.number,
                                     "birth_date": flow.birth_date}, timeout=10)
        if issued.status_code == 201:
            break
        assert time.monotonic() < deadline, issued.text
        time.sleep(0.3)
    seen = len(mails_to(flow, flow.email))
    application = flow.apply_when_known(issued.json()["code"])
    assert flow.register_password(application["application_token"],
                                  flow.auth_key(after=seen)).status_code == 201
    log_in(flow)


# The clock test moves every process's clock forward, so it runs last.

@pytest.mark.parametrize("minutes", [49, 50])
def test_zz_r17_the_email_change_key_lives_fifty_minutes(new_flow, system, minutes):
    flow = new_flow()
    start = datetime(2030, 8, 1 + minutes - 49, 9, 0, tzinfo=JST)
    system.move_clock(start - timedelta(minutes=10))
    open_account(flow)
    system.move_clock(start)
    session = log_in(flow)
    new = f"late{random.randint(0, 10**9)}@example.jp"
    token = request_change(flow, session, new).json()["change_token"]
    key = key_of(new_mail(flow, new, 0))
    time.sleep(2)  # the mail's delivery travels back (notice.mailed)
    system.move_clock(start + timedelta(minutes=minutes, seconds=30))
    session = log_in(flow)  # the first session idled out meanwhile (R13: 30 minutes)
    answer = confirm(flow, session, token, key)
    if minutes < 50:
        assert answer.status_code == 200, answer.text
    else:
        refused(answer, 410, "CHANGE_KEY_EXPIRED")
