"""The `job_seekers` table: what the offices told of a person (and the advisory lock
that serialises every change of one person's codes)."""

from __future__ import annotations

from datetime import datetime

from psycopg import Connection
from psycopg.rows import class_row

from code_issuer.domain import JobSeeker

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
