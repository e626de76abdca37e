"""Small Python clients for the figures that need a mail or an event: B2, B3, B4.

Each person reaches registration through a gateway that forwards their own address
(X-Forwarded-For), as in tests-e2e; the rate limits are raised anyway (harness).
"""

from __future__ import annotations

import itertools
import random
import threading
import time
from dataclasses import dataclass, field

import psycopg
import requests

from bench import harness, seed
from bench.mailbox import MailWatcher, received_at
from bench.pgbench import percentile

_ADDRESSES = itertools.count()


def gateway_headers() -> dict[str, str]:
    n = next(_ADDRESSES) % 60000
    return {"X-Forwarded-For": f"198.18.{n // 250}.{1 + n % 250}"}


@dataclass
class Latencies:
    """One run of a latency figure: samples in milliseconds, and what went wrong."""

    samples: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    cpu: float = 0.0  # CPU seconds of the client (this process) during the run

    @property
    def p50(self) -> float:
        return percentile(sorted(self.samples), 50)

    @property
    def p99(self) -> float:
        return percentile(sorted(self.samples), 99)


class People:
    """Issued codes handed out one at a time, each with its own email address."""

    def __init__(self, codes: list[seed.Issued], tag: str):
        self.codes = iter(codes)
        self.tag = tag
        self.lock = threading.Lock()
        self.count = itertools.count()

    def next(self) -> tuple[seed.Issued, str]:
        with self.lock:
            return next(self.codes), f"{self.tag}{next(self.count)}-{random.getrandbits(32):x}@example.jp"


def _apply(session: requests.Session, system, terms, issued: seed.Issued, email: str):
    return session.post(f"{system.registration_url}/v1/applications", timeout=30,
                        headers=gateway_headers(),
                        json=harness.application_body(terms, email, issued.number, issued.code))


def mail_latency_idle(system, people: People, samples: int) -> Latencies:
    """B2 idle: one step 2 at a time, the next only after the mail arrived and a pause."""
    result, terms = Latencies(), harness.terms_versions(system)
    started_cpu = time.process_time()
    with MailWatcher(harness.mail_dir(system)) as mails, requests.Session() as session:
        for _ in range(samples):
            issued, email = people.next()
            response = _apply(session, system, terms, issued, email)
            answered = time.time()
            if response.status_code != 201:
                result.errors.append(f"step 2 answered {response.status_code}")
                continue
            entry = mails.wait(email, timeout=30)
            if entry is None:
                result.errors.append("no mail within 30 s")
                continue
            result.samples.append((received_at(entry) - answered) * 1000)
            time.sleep(random.uniform(0.1, 0.2))  # idle: the relay and worker wait again
    result.cpu = time.process_time() - started_cpu
    return result


def mail_latency_at_rate(system, people: People, rate: float, seconds: float) -> Latencies:
    """B2 loaded: step 2 at a fixed `rate` per second (open loop, whatever the answers take)
    for `seconds`; each mail's latency from its own step-2 answer."""
    result, terms = Latencies(), harness.terms_versions(system)
    answered: dict[str, float] = {}
    lock = threading.Lock()
    started_cpu = time.process_time()
    total = int(rate * seconds)
    start = time.monotonic() + 0.05
    senders = 4  # enough that a slow answer never delays the next send

    def send(k: int) -> None:
        with requests.Session() as session:
            for i in range(k, total, senders):
                delay = start + i / rate - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                issued, email = people.next()
                response = _apply(session, system, terms, issued, email)
                at = time.time()
                with lock:
                    if response.status_code == 201:
                        answered[email] = at
                    else:
                        result.errors.append(f"step 2 answered {response.status_code}")

    with MailWatcher(harness.mail_dir(system)) as mails:
        threads = [threading.Thread(target=send, args=(k,)) for k in range(senders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for email, at in answered.items():
            entry = mails.wait(email, timeout=60)
            if entry is None:
                result.errors.append("no mail within 60 s")
            else:
                result.samples.append((received_at(entry) - at) * 1000)
    result.cpu = time.process_time() - started_cpu
    return result


def event_latency(system, samples: int, prefix: int) -> Latencies:
    """B3: from POST /v1/codes returning to registration's view holding the code (polled
    every millisecond in its database), then checked usable by a step 2 that opens an
    application (201)."""
    result, terms = Latencies(), harness.terms_versions(system)
    started_cpu = time.process_time()
    with requests.Session() as office, requests.Session() as public, \
            psycopg.connect(system.databases["registration"], autocommit=True) as db:
        for _ in range(samples):
            issued = seed.issue(office, system.code_issuer_url, seed.next_number(prefix))
            returned = time.monotonic()
            deadline = returned + 30
            while db.execute("SELECT 1 FROM codes WHERE code_id = %s AND code_digest IS NOT NULL",
                             (issued.code_id,), prepare=True).fetchone() is None:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.001)
            known = time.monotonic()
            if known > deadline:
                result.errors.append("code never reached registration")
                continue
            email = f"b3-{issued.number}@example.jp"
            response = _apply(public, system, terms, issued, email)
            if response.status_code != 201:
                result.errors.append(f"step 2 of a known code answered {response.status_code}")
                continue
            result.samples.append((known - returned) * 1000)
            time.sleep(random.uniform(0.1, 0.2))
    result.cpu = time.process_time() - started_cpu
    return result


@dataclass
class FlowRun:
    flows: int
    seconds: float
    errors: list[str]
    cpu: float
    accounts: list[tuple[str, str]]  # (email, password) of every account opened

    @property
    def per_second(self) -> float:
        return self.flows / self.seconds


def whole_flows(system, people_prefix: int, clients: int, seconds: float) -> FlowRun:
    """B4: `clients` people at once, each walking issue → apply → mail → password → login
    again and again for `seconds`; any unexpected answer is an error."""
    terms = harness.terms_versions(system)
    accounts: list[tuple[str, str]] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    started_cpu = time.process_time()
    started = time.monotonic()
    finished_at: list[float] = []

    def walk(mails: MailWatcher, office, public, db) -> None:
        issued = seed.issue(office, system.code_issuer_url, seed.next_number(people_prefix))
        email = f"flow-{issued.number}@example.jp"
        headers = gateway_headers()
        deadline = time.monotonic() + 30
        while db.execute("SELECT 1 FROM codes WHERE code_id = %s AND code_digest IS NOT NULL",
                         (issued.code_id,), prepare=True).fetchone() is None:
            if time.monotonic() > deadline:
                raise RuntimeError("the code never reached registration")
            time.sleep(0.005)  # the person is on the way home
        url = system.registration_url
        applied = public.post(f"{url}/v1/applications", headers=headers, timeout=30,
                              json=harness.application_body(terms, email, issued.number,
                                                            issued.code))
        if applied.status_code != 201:
            raise RuntimeError(f"step 2 answered {applied.status_code}")
        entry = mails.wait(email, timeout=30)
        if entry is None:
            raise RuntimeError("no auth-key mail within 30 s")
        key = mails.auth_key(entry)
        done = public.post(f"{url}/v1/password-registrations", headers=headers, timeout=30,
                           json={"application_token": applied.json()["application_token"],
                                 "auth_key": key, "password": harness.PASSWORD,
                                 "password_confirmation": harness.PASSWORD})
        if done.status_code != 201:
            raise RuntimeError(f"step 3 answered {done.status_code}")
        login = public.post(f"{url}/v1/sessions", headers=headers, timeout=30,
                            json={"email": email, "password": harness.PASSWORD})
        if login.status_code != 201:
            raise RuntimeError(f"login answered {login.status_code}")
        with lock:
            accounts.append((email, harness.PASSWORD))

    def person(mails: MailWatcher) -> None:
        with requests.Session() as office, requests.Session() as public, \
                psycopg.connect(system.databases["registration"], autocommit=True) as db:
            while time.monotonic() < stop_at:
                try:
                    walk(mails, office, public, db)
                except Exception as exc:  # noqa: BLE001 - counted as the run's errors
                    with lock:
                        errors.append(str(exc)[:200])
        with lock:
            finished_at.append(time.monotonic())

    with MailWatcher(harness.mail_dir(system)) as mails:
        threads = [threading.Thread(target=person, args=(mails,)) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    # flows that began before the deadline end a little after it: count the time they took
    elapsed = max(finished_at) - started
    return FlowRun(len(accounts), elapsed, errors, time.process_time() - started_cpu, accounts)
