"""Enumeration by timing (R5): step 2 with an unknown number, a wrong birth date or a wrong
code takes the same time, so a stranger cannot tell which part was wrong. 200 samples of
each, interleaved, against the running gunicorn on the real database."""

import random
import statistics
import time

import psycopg
import pytest
import requests

from shared.tokens import random_crockford
from testsupport import eventually

pytestmark = pytest.mark.integration
OFFICE = {"Authorization": "Bearer dev-office-key"}
SAMPLES = 200
PER_CODE = 8  # failures per code stay under R4's 10, so no code dies midway
BIRTH_DATE = "1985-06-15"


def issue_codes(running, count: int) -> list[tuple[str, str]]:
    codes = []
    for _ in range(count):
        number = f"{random.randint(10000, 99999)}-{random.randint(1, 99999999)}"
        issued = requests.post(f"{running.code_issuer_url}/v1/codes", headers=OFFICE, timeout=10,
                               json={"job_seeker_number": number, "birth_date": BIRTH_DATE}).json()
        codes.append((number, issued["code"], issued["code_id"]))
    ids = [code_id for _, _, code_id in codes]

    def all_known():
        with psycopg.connect(running.databases["registration"]) as conn:
            return conn.execute("SELECT count(*) FROM codes WHERE code_id = ANY(%s::uuid[]) "
                                "AND issued_at IS NOT NULL", (ids,)).fetchone()[0] == len(ids)
    eventually(all_known, timeout=60, interval=0.2)
    return [(number, code) for number, code, _ in codes]


def test_r5_unknown_number_wrong_birth_date_and_wrong_code_take_the_same_time(running):
    codes = issue_codes(running, SAMPLES * 2 // PER_CODE)
    session = requests.Session()
    url = f"{running.registration_url}/v1/applications"
    n = iter(range(10**6))

    def probe(number, birth_date, code):
        i = next(n)
        body = {"privacy_policy_version": "2026-04-01", "terms_of_use_version": "2026-04-01",
                "email": "probe@example.jp", "email_confirmation": "probe@example.jp",
                "job_seeker_number": number, "birth_date": birth_date,
                "account_creation_code": code}
        headers = {"X-Forwarded-For": f"198.51.{i // 250 % 250}.{1 + i % 250}"}
        started = time.perf_counter()
        response = session.post(url, json=body, headers=headers, timeout=10)
        elapsed = time.perf_counter() - started
        assert response.status_code == 400, response.text
        return elapsed, response.content

    kinds = {
        "unknown number": lambda i: probe(f"99{random.randint(100, 999)}-{random.randint(1, 10**8 - 1)}",
                                          BIRTH_DATE, random_crockford(10)),
        "wrong birth date": lambda i: probe(codes[i // (PER_CODE // 2)][0], "1970-01-01",
                                            codes[i // (PER_CODE // 2)][1]),
        "wrong code": lambda i: probe(codes[i // (PER_CODE // 2)][0], BIRTH_DATE,
                                      random_crockford(10)),
    }
    for _ in range(20):  # warm-up: connections, pools, caches
        kinds["unknown number"](0)
    timings = {name: [] for name in kinds}
    bodies = set()
    for i in range(SAMPLES):
        for name in random.sample(sorted(kinds), 3):  # interleaved, in a random order
            elapsed, body = kinds[name](i)
            timings[name].append(elapsed)
            bodies.add(body)
    medians = {name: statistics.median(t) * 1000 for name, t in timings.items()}
    spread = (max(medians.values()) - min(medians.values())) / min(medians.values())
    print("\nstep-2 medians (ms):", {k: round(v, 2) for k, v in medians.items()},
          f"spread {spread:.1%}")
    assert len(bodies) == 1  # one generic answer, byte for byte
    assert spread < 0.10, medians
