"""Registration's view of the codes, from code-issuer's code.* events. Each runs in the
inbox claim's transaction and converges whatever the order: a revoke or an expiry before
its issue leaves a tombstone the issue fills in."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from psycopg import Connection

from registration.commands import RecordExpiry, RecordIssue, RecordRevocation
from registration.store import codes


def record_issue(conn: Connection, cmd: RecordIssue, now: datetime) -> None:
    """A new code; R3: of one person's codes only the newest lives, whatever the order."""
    codes.upsert_issued_code(conn, asdict(cmd))
    codes.supersede(conn, cmd.supersedes, now)
    codes.supersede_by_issue_order(conn, cmd.code_id, now)


def record_revocation(conn: Connection, cmd: RecordRevocation, now: datetime) -> None:
    codes.revoke(conn, cmd.code_id, cmd.reason, now)


def record_expiry(conn: Connection, cmd: RecordExpiry, now: datetime) -> None:
    codes.expire(conn, cmd.code_id, cmd.expired_at)
