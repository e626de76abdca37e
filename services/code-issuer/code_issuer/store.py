"""SQL of the code-issuer, by hand; the caller owns the transaction (nothing here commits)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from psycopg import Connection
from psycopg.rows import class_row

from code_issuer.domain import Account, JobSeeker

MIGRATIONS = Path(__file__).parent / "migrations"


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
_JOB_SEEKER_COLUMNS = ("job_seeker_number, birth_date, birth_date_as_of, office_id, announced, "
                       "closed, closed_reason, state_as_of")


def lock_job_seeker(conn: Connection, job_seeker_number: str) -> None:
    """Serialise every change of one person's codes until the transaction ends (R3).

    An advisory lock also covers a person not yet in `job_seekers`.
    """
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7001))", (job_seeker_number,))


def get_job_seeker(conn: Connection, job_seeker_number: str) -> JobSeeker | None:
    cur = conn.cursor(row_factory=class_row(JobSeeker))
    return cur.execute(f"SELECT {_JOB_SEEKER_COLUMNS} FROM job_seekers WHERE job_seeker_number = %s",
                       (job_seeker_number,)).fetchone()


def save_job_seeker(conn: Connection, row: JobSeeker, now: datetime) -> None:
    """Insert or replace one person's record (called under `lock_job_seeker`)."""
    conn.execute(
        f"INSERT INTO job_seekers ({_JOB_SEEKER_COLUMNS}, created_at, updated_at) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (job_seeker_number) DO UPDATE SET birth_date = EXCLUDED.birth_date, "
        "birth_date_as_of = EXCLUDED.birth_date_as_of, office_id = EXCLUDED.office_id, "
        "announced = EXCLUDED.announced, closed = EXCLUDED.closed, "
        "closed_reason = EXCLUDED.closed_reason, state_as_of = EXCLUDED.state_as_of, "
        "updated_at = EXCLUDED.updated_at",
        (row.job_seeker_number, row.birth_date, row.birth_date_as_of, row.office_id,
         row.announced, row.closed, row.closed_reason, row.state_as_of, now, now),
    )


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


# --- DESIGN §4: idempotent issuing ---------------------------------------------------------
@dataclass(frozen=True)
class IssueRequestRow:
    request_digest: str
    code_id: uuid.UUID
    superseded: list[uuid.UUID]
    created_at: datetime


def lock_issue_request(conn: Connection, office_key_digest: str, key_digest: str) -> None:
    """Serialise the submissions of one idempotency key until the transaction ends: the
    second of two simultaneous ones waits, then finds the first's row."""
    conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 7002))",
                 (f"{office_key_digest}:{key_digest}",))


def get_issue_request(conn: Connection, office_key_digest: str,
                      key_digest: str) -> IssueRequestRow | None:
    cur = conn.cursor(row_factory=class_row(IssueRequestRow))
    return cur.execute(
        "SELECT request_digest, code_id, superseded, created_at FROM issue_requests "
        "WHERE office_key_digest = %s AND key_digest = %s",
        (office_key_digest, key_digest),
    ).fetchone()


def save_issue_request(conn: Connection, *, office_key_digest: str, key_digest: str,
                       request_digest: str, code_id: uuid.UUID, superseded: list[uuid.UUID],
                       created_at: datetime) -> None:
    """Record the key's first issue (replacing a row past its 24 hours)."""
    conn.execute(
        "INSERT INTO issue_requests (office_key_digest, key_digest, request_digest, code_id, "
        "superseded, created_at) VALUES (%s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (office_key_digest, key_digest) DO UPDATE SET "
        "request_digest = EXCLUDED.request_digest, code_id = EXCLUDED.code_id, "
        "superseded = EXCLUDED.superseded, created_at = EXCLUDED.created_at",
        (office_key_digest, key_digest, request_digest, code_id, superseded, created_at),
    )


def purge_issue_requests(conn: Connection, before: datetime, limit: int = 500) -> int:
    """Forget idempotency keys first used before `before` (a bounded batch)."""
    cur = conn.execute(
        "DELETE FROM issue_requests WHERE ctid IN (SELECT ctid FROM issue_requests "
        "WHERE created_at < %s LIMIT %s)",
        (before, limit),
    )
    return cur.rowcount


# --- R12: accounts told by registration ------------------------------------------------------
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
