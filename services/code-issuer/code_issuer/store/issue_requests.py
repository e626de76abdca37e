"""The `issue_requests` table: idempotency keys of issues (DESIGN §4), digests only."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from psycopg import Connection
from psycopg.rows import class_row


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
