"""SQL of `accounts`: one per canonical email (R6), one open per job seeker (R12)."""

from __future__ import annotations

import uuid
from typing import Any

from psycopg import Connection
from psycopg.rows import dict_row

from registration.inputs import canonical_email


def email_registered(conn: Connection, email: str) -> bool:
    """R6: one account per canonical email, through its unique index."""
    return conn.execute("SELECT 1 FROM accounts WHERE email_canonical = %s",
                        (canonical_email(email),)).fetchone() is not None


# R12: the unique index that makes "one open account per job seeker" exact (r0004).
ONE_OPEN_PER_NUMBER = "accounts_one_open_per_number"


def has_open_account(conn: Connection, job_seeker_number: str) -> bool:
    """R12: whether the job seeker has an account not closed (R18)."""
    return conn.execute(
        "SELECT 1 FROM accounts WHERE job_seeker_number = %s AND closed_at IS NULL LIMIT 1",
        (job_seeker_number,)).fetchone() is not None


def insert_account(conn: Connection, a: dict[str, Any]) -> None:
    """The address as typed for display and mail, its canonical form for R6 and login."""
    conn.execute(
        "INSERT INTO accounts (account_id, email, email_canonical, job_seeker_number, code_id, "
        "password_hash, registered_at, privacy_policy_version, terms_of_use_version) VALUES "
        "(%(account_id)s, %(email)s, %(email_canonical)s, %(job_seeker_number)s, %(code_id)s, "
        "%(password_hash)s, %(registered_at)s, %(privacy_policy_version)s, "
        "%(terms_of_use_version)s)",
        {**a, "email_canonical": canonical_email(a["email"])},
    )


def account_by_email(conn: Connection, email: str) -> dict | None:
    with conn.cursor(row_factory=dict_row) as cur:
        return cur.execute(
            "SELECT account_id, email, password_hash FROM accounts WHERE email_canonical = %s",
            (canonical_email(email),)).fetchone()


def replace_password_hash(conn: Connection, account_id: uuid.UUID, old: str, new: str) -> bool:
    """Rehash on login; a concurrent change of the hash wins over this one."""
    return conn.execute(
        "UPDATE accounts SET password_hash = %s WHERE account_id = %s AND password_hash = %s",
        (new, account_id, old)).rowcount == 1
