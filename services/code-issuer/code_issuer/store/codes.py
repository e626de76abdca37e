"""The `codes` table: one row per code issued, its digest only (never the code)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from psycopg import Connection
from psycopg.rows import class_row


@dataclass(frozen=True)
class CodeRow:
    code_id: uuid.UUID
    job_seeker_number: str
    birth_date: date
    issued_at: datetime
    expires_at: datetime
    ended_status: str | None
    ended_reason: str | None
    ended_at: datetime | None
    failed_attempts: int
    used_at: datetime | None
    account_id: uuid.UUID | None
    last_failure_at: datetime | None
    last_failure_from: str | None


_CODE_COLUMNS = ("code_id, job_seeker_number, birth_date, issued_at, expires_at, ended_status, "
                 "ended_reason, ended_at, failed_attempts, used_at, account_id, last_failure_at, "
                 "last_failure_from")

def open_codes(conn: Connection, job_seeker_number: str) -> list[CodeRow]:
    """The person's codes not yet recorded as dead (some may be past their expiry)."""
    cur = conn.cursor(row_factory=class_row(CodeRow))
    return cur.execute(
        f"SELECT {_CODE_COLUMNS} FROM codes WHERE job_seeker_number = %s "
        "AND ended_status IS NULL ORDER BY issued_at FOR UPDATE",
        (job_seeker_number,),
    ).fetchall()


def insert_code(conn: Connection, *, code_id: uuid.UUID, job_seeker_number: str, birth_date: date,
                code_digest: str, issued_at: datetime, expires_at: datetime) -> None:
    conn.execute(
        "INSERT INTO codes (code_id, job_seeker_number, birth_date, code_digest, issued_at, "
        "expires_at) VALUES (%s, %s, %s, %s, %s, %s)",
        (code_id, job_seeker_number, birth_date, code_digest, issued_at, expires_at),
    )


def digest_exists(conn: Connection, code_digest: str) -> bool:
    return conn.execute("SELECT 1 FROM codes WHERE code_digest = %s",
                        (code_digest,)).fetchone() is not None


def end_code(conn: Connection, code_id: uuid.UUID, status: str, reason: str | None,
             at: datetime) -> CodeRow | None:
    """Record a code's death unless it already died (the first death wins, atomically)."""
    cur = conn.cursor(row_factory=class_row(CodeRow))
    return cur.execute(
        f"UPDATE codes SET ended_status = %s, ended_reason = %s, ended_at = %s "
        f"WHERE code_id = %s AND ended_status IS NULL RETURNING {_CODE_COLUMNS}",
        (status, reason, at, code_id),
    ).fetchone()


def record_failed_attempts(conn: Connection, code_id: uuid.UUID, failed_attempts: int) -> bool:
    """Raise the office view's failure count to what registration reported (never lower)."""
    row = conn.execute(
        "UPDATE codes SET failed_attempts = GREATEST(failed_attempts, %s) WHERE code_id = %s "
        "RETURNING code_id",
        (failed_attempts, code_id),
    ).fetchone()
    return row is not None


def record_failure(conn: Connection, code_id: uuid.UUID, failed_attempts: int,
                   last_failure_at: datetime, last_failure_from: str) -> bool:
    """One counted failure (R4 as it happens): the count only rises, and when and where the
    last failure came from are taken from the event with the highest count seen so far,
    so events arriving twice or out of order converge (right-hand sides read the old row).
    """
    row = conn.execute(
        "UPDATE codes SET failed_attempts = GREATEST(failed_attempts, %(count)s), "
        "last_failure_at = CASE WHEN %(count)s >= failed_attempts THEN %(at)s "
        "ELSE last_failure_at END, "
        "last_failure_from = CASE WHEN %(count)s >= failed_attempts THEN %(source)s "
        "ELSE last_failure_from END "
        "WHERE code_id = %(code_id)s RETURNING code_id",
        {"count": failed_attempts, "at": last_failure_at, "source": last_failure_from,
         "code_id": code_id},
    ).fetchone()
    return row is not None


def record_use(conn: Connection, code_id: uuid.UUID, account_id: uuid.UUID, used_at: datetime) -> bool:
    """Keep the fact that a code opened an account, whatever else happened to it."""
    row = conn.execute(
        "UPDATE codes SET used_at = COALESCE(used_at, %s), account_id = COALESCE(account_id, %s) "
        "WHERE code_id = %s RETURNING code_id",
        (used_at, account_id, code_id),
    ).fetchone()
    return row is not None


def get_code(conn: Connection, code_id: uuid.UUID) -> CodeRow | None:
    cur = conn.cursor(row_factory=class_row(CodeRow))
    return cur.execute(f"SELECT {_CODE_COLUMNS} FROM codes WHERE code_id = %s", (code_id,)).fetchone()


def codes_of(conn: Connection, job_seeker_number: str) -> list[CodeRow]:
    """A person's codes, newest first."""
    cur = conn.cursor(row_factory=class_row(CodeRow))
    return cur.execute(
        f"SELECT {_CODE_COLUMNS} FROM codes WHERE job_seeker_number = %s "
        "ORDER BY issued_at DESC, code_id",
        (job_seeker_number,),
    ).fetchall()
