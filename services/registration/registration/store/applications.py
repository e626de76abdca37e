"""SQL of `applications`: step 2 opens them, step 3 and the notifier's reports close them.
The wrong-key counter changes with one atomic UPDATE ... RETURNING (R10)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from registration.inputs import canonical_email


# --- step 2 ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Step2Checks:
    """What a passing step 2 checks once its code is locked (R12, R9, R6)."""

    account_exists: bool  # the job seeker has an open account (R12)
    mails: list[datetime]  # the code's auth-key mails since the window's start, oldest first
    email_registered: bool  # the email is an account's (R6)


STEP2_CHECKS = (
    "SELECT EXISTS (SELECT 1 FROM accounts WHERE job_seeker_number = %(number)s "
    "AND closed_at IS NULL), ARRAY(SELECT issued_at FROM auth_key_mails "
    "WHERE code_id = %(code_id)s AND issued_at > %(since)s ORDER BY issued_at), "
    "EXISTS (SELECT 1 FROM accounts WHERE email_canonical = %(email)s)"
)


def step2_checks(conn: Connection, code_id: uuid.UUID, job_seeker_number: str, email: str,
                 since: datetime) -> Step2Checks:
    """R12, R9 and R6 in one statement. Run it after the code's row is locked (a statement
    of its own): its snapshot then holds whatever the lock's previous holder committed."""
    row = conn.execute(
        STEP2_CHECKS,
        {"number": job_seeker_number, "code_id": code_id, "since": since,
         "email": canonical_email(email)}).fetchone()
    return Step2Checks(*row)


def mails_since(conn: Connection, code_id: uuid.UUID, since: datetime) -> list[datetime]:
    """R9: when this code's auth-key mails were made within the window, oldest first."""
    rows = conn.execute(
        "SELECT issued_at FROM auth_key_mails WHERE code_id = %s AND issued_at > %s "
        "ORDER BY issued_at", (code_id, since)).fetchall()
    return [row[0] for row in rows]


OPEN_APPLICATION = (
    "WITH voided AS (UPDATE applications SET status = 'voided', closed_at = %(issued_at)s, "
    "auth_key_digest = NULL WHERE code_id = %(code_id)s AND status = 'open' "
    "RETURNING application_id), "
    "opened AS (INSERT INTO applications (application_id, code_id, email, token_digest, "
    "auth_key_digest, issued_at, privacy_policy_version, terms_of_use_version) "
    "SELECT %(application_id)s, %(code_id)s, %(email)s, %(token_digest)s, "
    "%(auth_key_digest)s, %(issued_at)s, %(privacy_policy_version)s, "
    "%(terms_of_use_version)s FROM (SELECT count(*) FROM voided) AS after_the_void "
    "RETURNING application_id, code_id, issued_at), "
    "mailed AS (INSERT INTO auth_key_mails (application_id, code_id, issued_at) "
    "SELECT application_id, code_id, issued_at FROM opened), "
    "audited AS (INSERT INTO audit_log (occurred_at, action, client_address, outcome, "
    "code_id, application_id, correlation_id) SELECT issued_at, 'application', "
    "%(client_address)s, 'CREATED', code_id, application_id, %(correlation_id)s "
    "FROM opened) "
    "SELECT EXISTS (SELECT 1 FROM voided)"
)


def open_application(conn: Connection, a: dict[str, Any]) -> bool:
    """R9 in one statement: void the code's open application, open the new one, count its
    auth-key mail, and write its audit row (CREATED); whether an open one was voided (the
    new mail's key then replaces the earlier one's).

    The insert reads the void's whole result first, so the void has happened when the
    unique index of open applications per code checks the new row."""
    return conn.execute(OPEN_APPLICATION, a).fetchone()[0]


def application_by_id(conn: Connection, application_id: uuid.UUID) -> dict | None:
    """An application, locked (an operator's re-send)."""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"SELECT {_APPLICATION_COLUMNS} FROM applications a JOIN codes c USING (code_id) "
            "WHERE a.application_id = %s FOR UPDATE OF a", (application_id,)).fetchone()


def replace_auth_key(conn: Connection, application_id: uuid.UUID, code_id: uuid.UUID,
                     auth_key_digest: str, now: datetime) -> None:
    """A new key for a still-open application whose mail never arrived: the old key stops
    working, the new one's time runs from now (R10), and R9 counts one more mail."""
    conn.execute(
        "WITH replaced AS (UPDATE applications SET auth_key_digest = %s, issued_at = %s "
        "WHERE application_id = %s AND status = 'open' RETURNING application_id) "
        "INSERT INTO auth_key_mails (application_id, code_id, issued_at) "
        "SELECT application_id, %s, %s FROM replaced",
        (auth_key_digest, now, application_id, code_id, now))


# --- step 3 and the notifier's reports ------------------------------------------------
_APPLICATION_COLUMNS = (
    "a.application_id, a.code_id, a.email, a.auth_key_digest, a.issued_at, a.delivered_at, "
    "a.delivery_failed_at, a.key_failures, a.status, a.privacy_policy_version, "
    "a.terms_of_use_version, c.job_seeker_number"
)


def application_by_token(conn: Connection, digest: str, lock: bool = False) -> dict | None:
    lock_clause = " FOR UPDATE OF a" if lock else ""
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            f"SELECT {_APPLICATION_COLUMNS} FROM applications a JOIN codes c USING (code_id) "
            f"WHERE a.token_digest = %s{lock_clause}", (digest,)).fetchone()


def charge_key_failure(
    conn: Connection, application_id: uuid.UUID, now: datetime, limit: int
) -> int | None:
    """R10: one more wrong key; the limit-th voids the application and purges its key."""
    row = conn.execute(
        "UPDATE applications SET key_failures = key_failures + 1, "
        "status = CASE WHEN key_failures + 1 >= %(limit)s THEN 'voided' ELSE status END, "
        "closed_at = CASE WHEN key_failures + 1 >= %(limit)s THEN %(now)s ELSE closed_at END, "
        "auth_key_digest = CASE WHEN key_failures + 1 >= %(limit)s THEN NULL "
        "ELSE auth_key_digest END "
        "WHERE application_id = %(id)s AND status = 'open' AND key_failures < %(limit)s "
        "RETURNING key_failures",
        {"id": application_id, "now": now, "limit": limit},
    ).fetchone()
    return row[0] if row else None


def close_application(
    conn: Connection, application_id: uuid.UUID, status: str, now: datetime
) -> bool:
    """Close an open application with `status`, purging its key digest."""
    return conn.execute(
        "UPDATE applications SET status = %s, closed_at = %s, auth_key_digest = NULL "
        "WHERE application_id = %s AND status = 'open'",
        (status, now, application_id)).rowcount == 1


def record_delivery(conn: Connection, application_id: uuid.UUID, delivered_at: datetime) -> None:
    """R10: the first delivery time starts the key's 50 minutes."""
    conn.execute(
        "UPDATE applications SET delivered_at = %s WHERE application_id = %s "
        "AND delivered_at IS NULL", (delivered_at, application_id))


def record_delivery_failure(
    conn: Connection, application_id: uuid.UUID, reason: str, now: datetime
) -> None:
    conn.execute(
        "UPDATE applications SET delivery_failed_at = %s, delivery_failure_reason = %s "
        "WHERE application_id = %s AND delivery_failed_at IS NULL",
        (now, reason[:200], application_id))
    close_application(conn, application_id, "undeliverable", now)
