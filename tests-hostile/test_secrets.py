"""Secrets at rest and in flight: after end-to-end flows through every process, no plain
code, auth key, application or session token, or password is in any database, any log
line or any event on the broker (the Celery mail task alone may carry the key: it is
the mail). Logs also mask every email address and birth date."""

import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from shared.bus import Topology
from shared.tokens import group
from testsupport import Tap, eventually

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests-chaos"))

from crowd import OFFICE, Mailbox  # noqa: E402

pytestmark = pytest.mark.integration
PEOPLE = 4


class Walker:
    """One person through every step, keeping each secret the system handed out or was told."""

    def __init__(self, running, mailbox, n):
        self.running, self.mailbox = running, mailbox
        self.number = f"{random.randint(10000, 99999)}-{random.randint(1, 99999999)}"
        self.birth_date = f"19{60 + n}-0{1 + n}-1{n}"
        self.email = f"secret{n}-{random.randint(0, 10**9)}@example.jp"
        self.password = f"Zq{n}#v{random.randint(10**5, 10**6)}-Lp"
        self.headers = {"X-Forwarded-For": f"198.51.100.{10 + n}"}
        self.secrets: dict[str, str] = {"password": self.password}

    def post(self, path, body, **kw):
        return requests.post(f"{self.running.registration_url}{path}", json=body, timeout=30,
                             headers={**self.headers, **kw.pop("headers", {})}, **kw)

    def step2(self, code, **over):
        return self.post("/v1/applications", {
            "privacy_policy_version": "2026-04-01", "terms_of_use_version": "2026-04-01",
            "email": self.email, "email_confirmation": self.email,
            "job_seeker_number": self.number, "birth_date": self.birth_date,
            "account_creation_code": code, **over})

    def walk(self):
        issued = requests.post(f"{self.running.code_issuer_url}/v1/codes", headers=OFFICE,
                               timeout=10, json={"job_seeker_number": self.number,
                                                 "birth_date": self.birth_date}).json()
        self.secrets["code"] = issued["code"]
        self.secrets["code as printed"] = group(issued["code"])
        wrong_code = "".join(random.choice("ABCDEFGHJK") for _ in range(10))
        self.secrets["mistyped code"] = wrong_code
        assert self.step2(wrong_code).status_code == 400
        answer = eventually(lambda: (r := self.step2(group(issued["code"]).lower())).status_code
                            == 201 and r, timeout=30, interval=0.2)
        token = answer.json()["application_token"]
        self.secrets["application token"] = token
        key = eventually(lambda: self.mailbox.keys_for(self.email), timeout=30)[0]
        self.secrets["auth key"] = key
        wrong_key = "".join(random.choice("MNPQRSTVWX") for _ in range(8))
        self.secrets["mistyped auth key"] = wrong_key
        body = {"application_token": token, "password": self.password,
                "password_confirmation": self.password}
        assert self.post("/v1/password-registrations",
                         {**body, "auth_key": wrong_key}).status_code == 400
        assert self.post("/v1/password-registrations", {**body, "auth_key": key}).status_code == 201
        wrong_password = self.password[::-1]
        self.secrets["mistyped password"] = wrong_password
        assert self.post("/v1/sessions", {"email": self.email,
                                          "password": wrong_password}).status_code == 401
        login = self.post("/v1/sessions", {"email": self.email, "password": self.password})
        session = login.json()["session_token"]
        self.secrets["session token"] = session
        bearer = {"Authorization": f"Bearer {session}"}
        assert requests.get(f"{self.running.registration_url}/v1/me", headers=bearer,
                            timeout=10).status_code == 200
        assert requests.delete(f"{self.running.registration_url}/v1/sessions/current",
                               headers=bearer, timeout=10).status_code == 204
        self.code_id = issued["code_id"]


@pytest.fixture(scope="module")
def walked(running):
    """Every step walked by a few people while a tap records every event."""
    tap = Tap(Topology(running.namespace))
    mailbox = Mailbox(running.workdir / "mail")
    try:
        people = [Walker(running, mailbox, n) for n in range(PEOPLE)]
        for person in people:
            person.walk()
        for person in people:  # everything travelled: the office sees every code used
            eventually(lambda p=person: any(
                c["code_id"] == p.code_id and c["status"] == "used" for c in requests.get(
                    f"{running.code_issuer_url}/v1/codes", headers=OFFICE, timeout=10,
                    params={"job_seeker_number": p.number}).json()), timeout=30)
        time.sleep(1)  # the last log lines flushed
        events = tap.drain()
    finally:
        tap.close()
    return people, events


def dumps(running) -> dict[str, str]:
    """Every database (pg_dump, data and schema), every log file."""
    out = {}
    for service, dsn in running.databases.items():
        out[f"database {service}"] = subprocess.run(
            ["pg_dump", "--no-owner", dsn], check=True, capture_output=True, text=True).stdout
    for path in sorted(running.logs.glob("*.log")):
        out[f"log {path.name}"] = path.read_text(errors="replace")
    return out


def test_no_secret_in_any_database_log_line_or_event(running, walked):
    people, events = walked
    places = dumps(running)
    places["events on the broker"] = "\n".join(map(str, events))
    assert len(events) >= 3 * PEOPLE  # issued, mailed, used, registered...
    assert all(len(text) > 0 for name, text in places.items() if name.startswith("database"))
    found = [f"{kind} of person {n} in {where}"
             for n, person in enumerate(people)
             for kind, secret in person.secrets.items()
             for where, text in places.items() if secret in text]
    assert found == []
    # The same search does find the key where it belongs: in the mail the person received.
    mails = requests.get(f"{running.mail_url}/api/messages", timeout=10).text
    assert all(p.secrets["auth key"] in mails for p in people)


def test_logs_mask_every_email_address_and_birth_date(running, walked):
    people, _ = walked
    logs = {name: text for name, text in dumps(running).items() if name.startswith("log")}
    assert sum(len(text) for text in logs.values()) > 1000
    found = [f"{what} of person {n} in {where}"
             for n, person in enumerate(people)
             for what, value in (("email", person.email), ("birth date", person.birth_date))
             for where, text in logs.items() if value in text]
    assert found == []
