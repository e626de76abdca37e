"""Many job seekers walking the whole flow at once over HTTP, retrying as a careful client
would, and the figures a fault test reports: flows started and completed, mails, duplicate
mails, accounts, office views that missed an event, and every 5xx answer."""

from __future__ import annotations

import itertools
import random
import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path

import psycopg
import requests

from devtools.mailstore import IndexReader
from testsupport import eventually

OFFICE = {"Authorization": "Bearer dev-office-key"}
PASSWORD = "Hello-w0rk-2026"  # noqa: S105 - every test person's password
_KEY = re.compile(r"認証キー[^0-9A-Z]*([0-9A-Z]{8})\b")
_PEOPLE = itertools.count(1)
TERMS = {"privacy_policy_version": "2026-04-01", "terms_of_use_version": "2026-04-01"}


class FlowLost(Exception):
    """A flow that could not be finished by retrying within its deadline."""


@dataclass
class Answers:
    """Every HTTP answer and failure the clients saw, counted thread-safely."""

    statuses: Counter = field(default_factory=Counter)
    server_errors: list[tuple[str, int, str | None]] = field(default_factory=list)
    connection_errors: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, path: str, response: requests.Response) -> None:
        with self.lock:
            self.statuses[response.status_code] += 1
            if response.status_code >= 500:
                self.server_errors.append(
                    (path, response.status_code, response.headers.get("Retry-After")))

    def failed(self, path: str, exc: Exception) -> None:
        with self.lock:
            self.connection_errors[f"{path} {type(exc).__name__}"] += 1

    @property
    def http_5xx(self) -> int:
        return len(self.server_errors)

    @property
    def http_500(self) -> int:
        return sum(1 for _, status, _ in self.server_errors if status == 500)

    def only_503_with_retry_after(self) -> bool:
        return all(status == 503 and retry for _, status, retry in self.server_errors)


class Mailbox:
    """Reads the local SMTP server's store (its files survive the server's restarts) and
    indexes every auth-key mail by recipient. A message is parsed only when someone asks
    for its recipient's keys, and once: a session's store holds thousands of mails, and
    parsing them all on a loaded machine outlasted a test's wait for its own few."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.by_recipient: dict[str, list[str]] = {}
        self._unread: dict[str, list[str]] = {}  # recipient -> ids of messages not parsed
        self._index = IndexReader(self.directory)
        self._lock = threading.Lock()

    def refresh(self) -> None:
        with self._lock:
            for entry in self._index.read():
                self._unread.setdefault(entry["to"].lower(), []).append(entry["id"])

    def _keys(self, email: str) -> list[str]:
        """The keys mailed to `email` (call with the lock held)."""
        email = email.lower()
        keys = self.by_recipient.setdefault(email, [])
        for message_id in self._unread.pop(email, []):
            raw = (self.directory / f"{message_id}.eml").read_bytes()
            message = BytesParser(policy=policy.default).parsebytes(raw)
            match = _KEY.search(message.get_body(preferencelist=("plain",)).get_content())
            if match:
                keys.append(match.group(1))
        return keys

    def keys_for(self, email: str) -> list[str]:
        self.refresh()
        with self._lock:
            return list(self._keys(email))

    def figures(self, emails: list[str]) -> tuple[int, int]:
        """(mails delivered to these people, extra copies of a mail already delivered)."""
        self.refresh()
        with self._lock:
            keys = [key for email in emails for key in self._keys(email)]
        return len(keys), len(keys) - len(set(keys))


class Person:
    """One job seeker: issue at the counter, step 2, the mail, step 3, login.

    Like a careful client, each request is repeated after a connection error or a 5xx
    answer (the same request, after a pause) until the flow's deadline.
    """

    def __init__(self, urls: dict[str, str], mailbox: Mailbox, answers: Answers, tag: str):
        n = next(_PEOPLE)
        self.urls = urls
        self.mailbox = mailbox
        self.answers = answers
        self.number = f"{random.randint(10000, 99999)}-{random.randint(1, 99999999)}"
        self.birth_date = "1990-04-01"
        self.email = f"{tag}-{n}-{random.randint(0, 10**9)}@example.jp"
        self.headers = {"X-Forwarded-For": f"198.18.{n // 250 % 250}.{1 + n % 250}"}
        self.code_id: str | None = None
        self.completed = False
        self.error: str | None = None
        self._session = requests.Session()

    # --- one request, repeated while the system is not answering --------------------
    def _call(self, method: str, base: str, path: str, deadline: float, **kwargs):
        pause = 0.25
        while True:
            try:
                response = self._session.request(method, self.urls[base] + path, timeout=15,
                                                 **kwargs)
            except requests.RequestException as exc:
                self.answers.failed(path.split("?")[0], exc)
            else:
                self.answers.record(path.split("?")[0], response)
                if response.status_code < 500:
                    return response
            if time.monotonic() > deadline:
                raise FlowLost(f"{method} {path}: no answer before the deadline")
            time.sleep(pause)
            pause = min(pause * 2, 2.0)

    def walk(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        try:
            self._walk(deadline)
            self.completed = True
        except (FlowLost, AssertionError) as exc:
            self.error = str(exc)[:300]
        finally:
            self._session.close()

    def _walk(self, deadline: float) -> None:
        issued = self._call("POST", "code_issuer", "/v1/codes", deadline, headers=OFFICE,
                            json={"job_seeker_number": self.number,
                                  "birth_date": self.birth_date})
        assert issued.status_code == 201, issued.text
        self.code_id, code = issued.json()["code_id"], issued.json()["code"]
        token = self._step2(code, deadline)
        self._step3(token, deadline)
        login = self._call("POST", "registration", "/v1/sessions", deadline,
                           headers=self.headers,
                           json={"email": self.email, "password": PASSWORD})
        assert login.status_code == 201, f"login: {login.status_code} {login.text}"

    def _step2(self, code: str, deadline: float) -> str:
        """Step 2, repeated while registration has not heard of the code yet (400)."""
        body = {"privacy_policy_version": "2026-04-01", "terms_of_use_version": "2026-04-01",
                "email": self.email, "email_confirmation": self.email,
                "job_seeker_number": self.number, "birth_date": self.birth_date,
                "account_creation_code": code}
        while True:
            answer = self._call("POST", "registration", "/v1/applications", deadline,
                                headers=self.headers, json=body)
            if answer.status_code == 201:
                return answer.json()["application_token"]
            assert answer.status_code == 400, f"step 2: {answer.status_code} {answer.text}"
            if time.monotonic() > deadline:
                raise FlowLost("step 2: the code never became known to registration")
            time.sleep(0.5)

    def _step3(self, token: str, deadline: float) -> None:
        """Step 3 with each mailed key; a repeat after a lost answer finds the work done."""
        tried: set[str] = set()
        while True:
            for key in reversed(self.mailbox.keys_for(self.email)):
                if key in tried:
                    continue
                tried.add(key)
                done = self._call("POST", "registration", "/v1/password-registrations",
                                  deadline, headers=self.headers,
                                  json={"application_token": token, "auth_key": key,
                                        "password": PASSWORD, "password_confirmation": PASSWORD})
                if done.status_code == 201:
                    return
                code = done.json()["error"]["code"]
                if code in ("CODE_ALREADY_USED", "APPLICATION_NOT_FOUND") and self._can_log_in(
                        deadline):
                    return  # an earlier attempt opened the account; its answer was lost
                assert code == "AUTH_KEY_MISMATCH", f"step 3: {done.status_code} {done.text}"
            if time.monotonic() > deadline:
                raise FlowLost("step 3: no usable auth-key mail arrived")
            time.sleep(0.3)

    def _can_log_in(self, deadline: float) -> bool:
        login = self._call("POST", "registration", "/v1/sessions", deadline,
                           headers=self.headers, json={"email": self.email, "password": PASSWORD})
        return login.status_code == 201

    def office_status(self, deadline: float) -> str | None:
        view = self._call("GET", "code_issuer", f"/v1/codes?job_seeker_number={self.number}",
                          deadline, headers=OFFICE)
        for code in view.json():
            if code["code_id"] == self.code_id:
                return code["status"]
        return None


@dataclass
class Figures:
    """What one fault test reports."""

    fault: str
    flows_started: int = 0
    flows_completed: int = 0
    mails_delivered: int = 0
    duplicate_mails: int = 0
    accounts_created: int = 0
    office_view_missing: int = 0
    http_5xx: int = 0
    http_500: int = 0
    connection_errors: int = 0
    seconds: float = 0.0
    server_errors: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"| {self.fault} | {self.flows_started} | {self.flows_completed} | "
                f"{self.mails_delivered} | {self.duplicate_mails} | {self.accounts_created} | "
                f"{self.office_view_missing} | {self.http_5xx} ({self.http_500} x 500) | "
                f"{self.connection_errors} | {self.seconds:.0f} s |")


class Crowd:
    """`size` people walking at once from `concurrency` client threads."""

    def __init__(self, urls: dict[str, str], mailbox: Mailbox, registration_dsn: str,
                 tag: str, size: int = 200, concurrency: int = 32, timeout: float = 240):
        self.answers = Answers()
        self.people = [Person(urls, mailbox, self.answers, tag) for _ in range(size)]
        self.mailbox = mailbox
        self.registration_dsn = registration_dsn
        self.concurrency = concurrency
        self.timeout = timeout
        self.started = 0
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._began = 0.0

    def _one(self, person: Person) -> None:
        with self._lock:
            self.started += 1
        person.walk(self.timeout)

    def start(self) -> None:
        self._began = time.monotonic()

        def run():
            with ThreadPoolExecutor(self.concurrency) as pool:
                list(pool.map(self._one, self.people))
        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()

    def completed(self) -> int:
        return sum(1 for p in self.people if p.completed)

    def wait(self) -> None:
        self._thread.join(timeout=self.timeout + 60)

    def figures(self, fault: str, view_timeout: float = 60) -> Figures:
        """Wait for every flow, then count; the office views get `view_timeout` to catch up."""
        self.wait()
        seconds = time.monotonic() - self._began
        done = [p for p in self.people if p.completed]
        emails = [p.email for p in self.people]
        mails, duplicates = self.mailbox.figures(emails)
        with psycopg.connect(self.registration_dsn) as conn:
            accounts = conn.execute("SELECT count(*) FROM accounts WHERE lower(email) = ANY(%s)",
                                    ([e.lower() for e in emails],)).fetchone()[0]
        deadline = time.monotonic() + view_timeout
        missing = list(done)
        while missing and time.monotonic() < deadline:
            missing = [p for p in missing if p.office_status(deadline + 30) != "used"]
            if missing:
                time.sleep(1)
        return Figures(
            fault=fault, flows_started=self.started, flows_completed=len(done),
            mails_delivered=mails, duplicate_mails=duplicates, accounts_created=accounts,
            office_view_missing=len(missing), http_5xx=self.answers.http_5xx,
            http_500=self.answers.http_500,
            connection_errors=sum(self.answers.connection_errors.values()), seconds=seconds,
            server_errors=sorted({f"{path} {status}" for path, status, _ in
                                  self.answers.server_errors}),
            lost=[f"{p.email}: {p.error}" for p in self.people if not p.completed][:10],
        )


class Seeker:
    """One person with a code registration already knows."""

    def __init__(self, system):
        self.system = system
        self.number = f"{random.randint(10000, 99999)}-{random.randint(1, 99999999)}"
        self.birth_date = "1988-08-08"
        self.email = f"race-{random.randint(0, 10**9)}@example.jp"
        answer = requests.post(f"{system.code_issuer_url}/v1/codes", headers=OFFICE, timeout=10,
                               json={"job_seeker_number": self.number,
                                     "birth_date": self.birth_date})
        assert answer.status_code == 201, answer.text
        self.code_id, self.code = answer.json()["code_id"], answer.json()["code"]
        eventually(lambda: self.query("SELECT 1 FROM codes WHERE code_id = %s AND issued_at IS "
                                      "NOT NULL", self.code_id), timeout=30)

    def query(self, sql, *args):
        with psycopg.connect(self.system.databases["registration"]) as conn:
            return conn.execute(sql, args).fetchall()

    def step2(self, **over):
        return {**TERMS, "email": self.email, "email_confirmation": self.email,
                "job_seeker_number": self.number, "birth_date": self.birth_date,
                "account_creation_code": self.code, **over}

    def office_view(self):
        view = requests.get(f"{self.system.code_issuer_url}/v1/codes", headers=OFFICE,
                            params={"job_seeker_number": self.number}, timeout=10).json()
        return next(c for c in view if c["code_id"] == self.code_id)
