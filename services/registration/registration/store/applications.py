"""SQL of `applications`: step 2 opens them, step 3 and the notifier's reports close them.
The wrong-key counter changes with one atomic UPDATE ... RETURNING (R10)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row


# --- step 2 ---------------------------------------------------------------------------
def mails_since(conn: Connection, code_id: uuid.UUID, since: datetime) -> list[datetime]:
    """R9: when this code's auth-key mails were made within the window, oldest first."""
    rows = conn.execute(
        "SELECT issued_at FROM auth_key_mails WHERE code_id = %s AND issued_at > %s "
        "ORDER BY issued_at", (code_id, since)).fetchall()
    return [row[0] for row in rows]


def void_open_applications(conn: Connection, code_id: uuid.UUID, now: datetime) -> bool:
    """R9: a new passing step 2 voids the earlier open application of the code; whether
    there was one (its mail's key is then replaced)."""
    return conn.execute(
        "UPDATE applications SET status = 'voided', closed_at = %s, auth_key_digest = NULL "
        "WHERE code_id = %s AND status = 'open'", (now, code_id)).rowcount > 0


def insert_application(conn: Connection, a: dict[str, Any]) -> None:
    """The application and its first auth-key mail (R9 counts mails)."""
    conn.execute(
        "WITH opened AS (INSERT INTO applications (application_id, code_id, email, "
        "token_digest, auth_key_digest, issued_at, privacy_policy_version, "
        "terms_of_use_version) VALUES (%(application_id)s, %(code_id)s, %(email)s, "
        "%(token_digest)s, %(auth_key_digest)s, %(issued_at)s, %(privacy_policy_version)s, "
        "%(terms_of_use_version)s) RETURNING application_id, code_id, issued_at) "
        "INSERT INTO auth_key_mails (application_id, code_id, issued_at) "
        "SELECT application_id, code_id, issued_at FROM opened",
        a,
    )


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
