"""The `accounts` table: the accounts registration opened and closed (R12, R18)."""

from __future__ import annotations

import uuid
from datetime import datetime

from psycopg import Connection
from psycopg.rows import class_row

from code_issuer.domain import Account


def record_account_registered(conn: Connection, account_id: uuid.UUID, job_seeker_number: str,
                              registered_at: datetime) -> None:
    conn.execute(
        "INSERT INTO accounts (account_id, job_seeker_number, registered_at) VALUES (%s, %s, %s) "
        "ON CONFLICT (account_id) DO UPDATE SET registered_at = EXCLUDED.registered_at",
        (account_id, job_seeker_number, registered_at),
    )


def record_account_closed(conn: Connection, account_id: uuid.UUID, job_seeker_number: str,
                          closed_at: datetime) -> None:
    """The first closing recorded stays (an account closes once)."""
    conn.execute(
        "INSERT INTO accounts (account_id, job_seeker_number, closed_at) VALUES (%s, %s, %s) "
        "ON CONFLICT (account_id) DO UPDATE SET "
        "closed_at = LEAST(accounts.closed_at, EXCLUDED.closed_at)",
        (account_id, job_seeker_number, closed_at),
    )


def accounts_of(conn: Connection, job_seeker_number: str) -> list[Account]:
    cur = conn.cursor(row_factory=class_row(Account))
    return cur.execute("SELECT registered_at, closed_at FROM accounts "
                       "WHERE job_seeker_number = %s", (job_seeker_number,)).fetchall()
