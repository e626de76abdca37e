"""The key mails' and notices' deliveries (table `notices`, one row per notice_id and kind):
the same statements as the auth key's `deliveries`. Functions never commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from psycopg import Connection
from psycopg.rows import class_row

_COLUMNS = ("notice_id, kind, status, valid_until, issued_at, attempts, delivered_at, "
            "failure_reason")


@dataclass
class Notice:
    notice_id: uuid.UUID
    kind: str
    status: str
    valid_until: datetime
    issued_at: datetime | None
    attempts: int
    delivered_at: datetime | None
    failure_reason: str | None


def add(conn: Connection, notice_id: uuid.UUID, kind: str, valid_until: datetime,
        now: datetime, issued_at: datetime | None) -> None:
    """The one row of a mail (a repeated task finds it there, with its first deadline)."""
    conn.execute(
        "INSERT INTO notices (notice_id, kind, valid_until, created_at, issued_at) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (notice_id, kind) DO NOTHING",
        (notice_id, kind, valid_until, now, issued_at))


def lock(conn: Connection, notice_id: uuid.UUID, kind: str) -> Notice | None:
    """Lock the mail for one attempt; psycopg.errors.LockNotAvailable while another attempt
    holds it (the lock dies with that attempt's connection if its worker dies)."""
    with conn.cursor(row_factory=class_row(Notice)) as cur:
        return cur.execute(
            f"SELECT {_COLUMNS} FROM notices WHERE notice_id = %s AND kind = %s "  # noqa: S608
            "FOR UPDATE NOWAIT", (notice_id, kind)).fetchone()


def get(conn: Connection, notice_id: uuid.UUID, kind: str) -> Notice | None:
    with conn.cursor(row_factory=class_row(Notice)) as cur:
        return cur.execute(
            f"SELECT {_COLUMNS} FROM notices WHERE notice_id = %s AND kind = %s",  # noqa: S608
            (notice_id, kind)).fetchone()


def take_over(conn: Connection, notice_id: uuid.UUID, kind: str, issued_at: datetime,
              valid_until: datetime) -> None:
    """A key issued later for the same mail takes the locked row over (as deliveries')."""
    conn.execute(
        "UPDATE notices SET issued_at = %s, valid_until = %s WHERE notice_id = %s AND kind = %s",
        (issued_at, valid_until, notice_id, kind))


def record_sent(conn: Connection, notice_id: uuid.UUID, kind: str, delivered_at: datetime,
                message_id: str) -> None:
    conn.execute(
        "UPDATE notices SET status = 'sent', delivered_at = %s, message_id = %s, "
        "attempts = attempts + 1, last_error = NULL WHERE notice_id = %s AND kind = %s",
        (delivered_at, message_id, notice_id, kind))


def record_attempt_failed(conn: Connection, notice_id: uuid.UUID, kind: str, error: str) -> int:
    """Count a failed attempt that will be retried; returns the attempts so far."""
    return conn.execute(
        "UPDATE notices SET attempts = attempts + 1, retries = retries + 1, last_error = %s "
        "WHERE notice_id = %s AND kind = %s RETURNING attempts",
        (error, notice_id, kind)).fetchone()[0]


def record_failed(conn: Connection, notice_id: uuid.UUID, kind: str, reason: str,
                  error: str | None, now: datetime) -> None:
    conn.execute(
        "UPDATE notices SET status = 'failed', failure_reason = %s, failed_at = %s, "
        "last_error = COALESCE(%s, last_error), "
        "attempts = attempts + CASE WHEN %s::text IS NULL THEN 0 ELSE 1 END "
        "WHERE notice_id = %s AND kind = %s",
        (reason, now, error, error, notice_id, kind))


def status(conn: Connection, notice_id: uuid.UUID) -> list[dict]:
    """Everything the notifier knows of the mails with this id (one per kind; no address,
    no key), for the operator's `ops mail`."""
    names = ("notice_id", "kind", "status", "attempts", "retries", "last_error",
             "failure_reason", "issued_at", "first_attempt_at", "delivered_at", "failed_at",
             "valid_until", "message_id")
    rows = conn.execute(
        "SELECT notice_id, kind, status, attempts, retries, last_error, failure_reason, "
        "issued_at, created_at, delivered_at, failed_at, valid_until, message_id "
        "FROM notices WHERE notice_id = %s ORDER BY kind", (notice_id,)).fetchall()
    return [dict(zip(names, row, strict=True)) for row in rows]
