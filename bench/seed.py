"""Codes issued at the counter through code-issuer's office API, as the office does."""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass

import requests

from bench.harness import BIRTH_DATE, OFFICE

_NUMBERS = itertools.count(1)


@dataclass(frozen=True)
class Issued:
    number: str
    code: str
    code_id: str


def next_number(prefix: int) -> str:
    """A job-seeker number nobody else in this run has: `prefix`-n."""
    return f"{prefix:05d}-{next(_NUMBERS)}"


def issue(session: requests.Session, url: str, number: str) -> Issued:
    response = session.post(f"{url}/v1/codes", headers=OFFICE, timeout=30,
                            json={"job_seeker_number": number, "birth_date": BIRTH_DATE})
    if response.status_code != 201:
        raise RuntimeError(f"issue failed: {response.status_code} {response.text[:200]}")
    body = response.json()
    return Issued(number, body["code"], body["code_id"])


def issue_many(url: str, count: int, prefix: int, threads: int = 4) -> list[Issued]:
    """`count` codes for as many new job seekers, issued by `threads` office clients."""
    numbers = [next_number(prefix) for _ in range(count)]
    out: list[Issued] = []
    lock = threading.Lock()
    errors: list[Exception] = []

    def work(part: list[str]) -> None:
        with requests.Session() as session:
            for number in part:
                try:
                    issued = issue(session, url, number)
                except Exception as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                    return
                with lock:
                    out.append(issued)

    workers = [threading.Thread(target=work, args=(numbers[i::threads],)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]
    return out
