"""The whole system started for the benchmark, as the README's start command starts it.

tests-e2e/system.py (class System) runs every Procfile line with its own databases,
namespace, Redis prefix and SMTP store; here only the limits that would throttle one load
generator are raised (BENCH_SETTINGS), and the bench reads the stores it needs directly.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests-e2e"))

from system import System, free_port  # noqa: E402, F401

from devtools.mailstore import IndexReader  # noqa: E402

OFFICE = {"Authorization": "Bearer dev-office-key"}
BIRTH_DATE = "1990-04-01"
PASSWORD = "Hello-w0rk-2026"

# Raised only so that one load generator on one address is not throttled (rate limits
# are per client address; R9's five mails per code and hour would stop B1's correct
# triples after five requests per code). Everything else keeps its default.
BENCH_SETTINGS = {
    "RATE_LIMIT_APPLICATIONS": "100000000",
    "RATE_LIMIT_PASSWORD_REGISTRATIONS": "100000000",
    "RATE_LIMIT_SESSIONS": "100000000",
    "RATE_LIMIT_READS": "100000000",
    "MAILS_PER_CODE_PER_HOUR": "100000000",
}


def start(workdir: Path, extra_env: dict[str, str] | None = None) -> System:
    system = System(workdir)
    # The e2e harness pins these two; the README's command leaves them to the defaults of
    # deploy/gunicorn.conf.py and the Procfile, which is what is measured here.
    for pinned in ("WEB_CONCURRENCY", "NOTIFIER_CONCURRENCY"):
        system.env.pop(pinned, None)
    system.env.update(BENCH_SETTINGS)
    system.env.update(extra_env or {})
    system.start()
    return system


def terms_versions(system: System) -> tuple[str, str]:
    terms = requests.get(f"{system.registration_url}/v1/terms", timeout=10).json()
    return terms["privacy_policy"]["version"], terms["terms_of_use"]["version"]


def application_body(terms: tuple[str, str], email: str, number: str, code: str,
                     birth_date: str = BIRTH_DATE) -> dict:
    return {"privacy_policy_version": terms[0], "terms_of_use_version": terms[1],
            "email": email, "email_confirmation": email, "job_seeker_number": number,
            "birth_date": birth_date, "account_creation_code": code}


def registration_db(system: System) -> psycopg.Connection:
    return psycopg.connect(system.databases["registration"], autocommit=True)


def wait_codes_known(system: System, count: int, timeout: float = 120) -> None:
    """Until registration's view holds `count` issued codes (code.issued consumed)."""
    deadline = time.monotonic() + timeout
    with registration_db(system) as conn:
        while True:
            known = conn.execute(
                "SELECT count(*) FROM codes WHERE code_digest IS NOT NULL").fetchone()[0]
            if known >= count:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"registration knows {known} of {count} codes")
            time.sleep(0.2)


def wait_outbox_drained(system: System, timeout: float = 120) -> None:
    """Until every service's outbox is published."""
    deadline = time.monotonic() + timeout
    for dsn in system.databases.values():
        with psycopg.connect(dsn, autocommit=True) as conn:
            while conn.execute(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]:
                if time.monotonic() > deadline:
                    raise RuntimeError("outbox not drained")
                time.sleep(0.2)


def mail_dir(system: System) -> Path:
    return system.workdir / "mail"


def mail_index(system: System) -> list[dict]:
    """The SMTP server's own index of what it accepted (id, to, received_at...)."""
    return IndexReader(mail_dir(system)).read()


def clear_mail(system: System) -> None:
    requests.delete(f"{system.mail_url}/api/messages", timeout=30,
                    headers=system.mail_control_headers)
