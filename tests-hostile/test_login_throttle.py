"""The login throttle as an attacker meets it (issue 13 items 3 and 4), against the running
gunicorn workers on the real Redis: a burst of concurrent wrong passwords, and one address
typed in every case and Unicode variant, get no more guesses checked than
LOGIN_FAILURES_PER_ACCOUNT (5 by default) between them. Each guess comes from an address of
its own, so only the per-account throttle stands in the way."""

import random
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from testsupport import eventually

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests-chaos"))

from crowd import OFFICE, TERMS, Mailbox  # noqa: E402

pytestmark = pytest.mark.integration
LIMIT = 5  # the running system's LOGIN_FAILURES_PER_ACCOUNT
PASSWORD = "Vq8#Lm2x-Rt5"  # noqa: S105 - the test accounts' password
_ADDRESSES = iter(range(1, 10**6))


def somewhere() -> dict[str, str]:
    """A client address never used before (the system trusts 127.0.0.1 as a proxy)."""
    n = next(_ADDRESSES)
    return {"X-Forwarded-For": f"203.0.{n // 250 % 250}.{1 + n % 250}"}


def open_account(running, mailbox, email: str) -> None:
    """Code at the counter, step 2, the mailed key, step 3: an account with PASSWORD."""
    number = f"{random.randint(10000, 99999)}-{random.randint(1, 99999999)}"
    issued = requests.post(f"{running.code_issuer_url}/v1/codes", headers=OFFICE, timeout=10,
                           json={"job_seeker_number": number, "birth_date": "1988-03-04"})
    assert issued.status_code == 201, issued.text
    body = {**TERMS, "email": email, "email_confirmation": email, "job_seeker_number": number,
            "birth_date": "1988-03-04", "account_creation_code": issued.json()["code"]}
    application = eventually(lambda: (r := requests.post(
        f"{running.registration_url}/v1/applications", json=body, headers=somewhere(),
        timeout=10)).status_code == 201 and r, timeout=30, interval=0.3)
    key = eventually(lambda: mailbox.keys_for(email), timeout=30)[0]
    opened = requests.post(f"{running.registration_url}/v1/password-registrations", timeout=30,
                           headers=somewhere(), json={
                               "application_token": application.json()["application_token"],
                               "auth_key": key, "password": PASSWORD,
                               "password_confirmation": PASSWORD})
    assert opened.status_code == 201, opened.text


def login(running, email: str, password: str) -> int:
    return requests.post(f"{running.registration_url}/v1/sessions", headers=somewhere(),
                         json={"email": email, "password": password}, timeout=60).status_code


@pytest.fixture(scope="module")
def accounts(running):
    """Two fresh accounts, each with an 'i' and a 'k' to vary."""
    mailbox = Mailbox(running.workdir / "mail")
    tag = random.randint(10**5, 10**6)
    emails = {"race": f"kimiko.{tag}@example.jp", "variants": f"mariko.ishii.{tag}@example.jp"}
    for email in emails.values():
        open_account(running, mailbox, email)
    return emails


def test_item4_twenty_concurrent_wrong_logins_get_exactly_the_limit_checked(running, accounts):
    email = accounts["race"]
    start = threading.Barrier(20)

    def guess(n):
        start.wait()
        return login(running, email, f"Wrong#{n}-guess")
    with ThreadPoolExecutor(20) as pool:
        statuses = sorted(pool.map(guess, range(20)))
    assert statuses == [401] * LIMIT + [429] * (20 - LIMIT)
    assert login(running, email, PASSWORD) == 429  # the right one, too late


def test_item3_case_and_unicode_variants_share_the_accounts_limit(running, accounts):
    email = accounts["variants"]
    local, domain = email.split("@")
    variants = [
        email.upper(), local.title() + "@" + domain, local + "@" + domain.upper(),
        local.replace("i", "\u0130", 1) + "@" + domain,  # İ: PostgreSQL's lower() gives "i"
        local.replace("i", "\u0130") + "@" + domain,
        local.upper().replace("I", "\u0130") + "@" + domain,
        local[::-1].replace("i", "\u0130", 1)[::-1] + "@" + domain,
        local.replace("k", "\u212a") + "@" + domain,  # the Kelvin sign
        "\uff4d" + local[1:] + "@" + domain,  # a full-width m
        local.replace("k", "K") + "@" + domain, local.capitalize() + "@" + domain,
        email.replace("i", "I"), email.replace("a", "A"),
    ]
    assert len(set(variants)) == len(variants)
    checked = [login(running, v, "Wrong#pass-9") for v in variants].count(401)
    assert checked == LIMIT
    # Every variant is now throttled, or refused as non-ASCII (no account can have it).
    assert {login(running, v, PASSWORD) for v in variants} <= {422, 429}
    assert login(running, email, PASSWORD) == 429
