"""The notifier's SQL: the auth-key mails' deliveries, the timers and the figures /metrics
reads (here), the other mails' deliveries (`notices`). Functions never commit; the caller owns the
transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from psycopg import Connection
from psycopg.rows import class_row

from notifier.domain import Timer

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


@dataclass
class Delivery:
    application_id: uuid.UUID
    status: str
    valid_until: datetime
    attempts: int
    delivered_at: datetime | None
    failure_reason: str | None
    issued_at: datetime | None = None  # the key's issue: a later one supersedes the task


def add_delivery(conn: Connection, application_id: uuid.UUID, valid_until: datetime,
                 now: datetime, issued_at: datetime | None = None) -> None:
    """The one delivery row of an application's mail (a repeated task finds it there)."""
    conn.execute(
        "INSERT INTO deliveries (application_id, valid_until, created_at, issued_at) "
        "VALUES (%s, %s, %s, %s) ON CONFLICT (application_id) DO NOTHING",
        (application_id, valid_until, now, issued_at),
    )


def take_over(conn: Connection, application_id: uuid.UUID, issued_at: datetime,
              valid_until: datetime) -> None:
    """A key issued later for the same application (an operator's re-send of a mail still
    pending) takes the locked row over: its issue and validity replace the old key's, whose
    remaining retries then find themselves superseded."""
    conn.execute(
        "UPDATE deliveries SET issued_at = %s, valid_until = %s WHERE application_id = %s",
        (issued_at, valid_until, application_id))


def lock_delivery(conn: Connection, application_id: uuid.UUID) -> Delivery | None:
    """Lock the delivery for one attempt; psycopg.errors.LockNotAvailable while another
    attempt holds it (the lock dies with that attempt's connection if its worker dies)."""
    with conn.cursor(row_factory=class_row(Delivery)) as cur:
        return cur.execute(
            "SELECT application_id, status, valid_until, attempts, delivered_at, failure_reason, "
            "issued_at FROM deliveries WHERE application_id = %s FOR UPDATE NOWAIT",
            (application_id,),
        ).fetchone()


def get_delivery(conn: Connection, application_id: uuid.UUID) -> Delivery | None:
    with conn.cursor(row_factory=class_row(Delivery)) as cur:
        return cur.execute(
            "SELECT application_id, status, valid_until, attempts, delivered_at, failure_reason, "
            "issued_at FROM deliveries WHERE application_id = %s",
            (application_id,),
        ).fetchone()


def record_sent(conn: Connection, application_id: uuid.UUID, delivered_at: datetime,
                message_id: str) -> None:
    conn.execute(
        "UPDATE deliveries SET status = 'sent', delivered_at = %s, message_id = %s, "
        "attempts = attempts + 1, last_error = NULL WHERE application_id = %s",
        (delivered_at, message_id, application_id),
    )


def record_attempt_failed(conn: Connection, application_id: uuid.UUID, error: str) -> int:
    """Count a failed attempt that will be retried; returns the attempts so far."""
    return conn.execute(
        "UPDATE deliveries SET attempts = attempts + 1, retries = retries + 1, last_error = %s "
        "WHERE application_id = %s RETURNING attempts",
        (error, application_id),
    ).fetchone()[0]


def record_failed(conn: Connection, application_id: uuid.UUID, reason: str, error: str | None,
                  now: datetime) -> None:
    conn.execute(
        "UPDATE deliveries SET status = 'failed', failure_reason = %s, failed_at = %s, "
        "last_error = COALESCE(%s, last_error), "
        "attempts = attempts + CASE WHEN %s::text IS NULL THEN 0 ELSE 1 END "
        "WHERE application_id = %s",
        (reason, now, error, error, application_id),
    )


def schedule_timer(conn: Connection, timer: Timer, now: datetime,
                   correlation_id: str | None) -> None:
    """Add a timer; a cancellation recorded earlier (out-of-order events) stays in force."""
    conn.execute(
        "INSERT INTO timers (kind, subject_id, due_at, correlation_id, created_at) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (kind, subject_id) DO UPDATE "
        "SET due_at = EXCLUDED.due_at, correlation_id = EXCLUDED.correlation_id "
        "WHERE timers.due_at IS NULL",
        (timer.kind, timer.subject_id, timer.due_at, correlation_id, now),
    )


def cancel_timer(conn: Connection, kind: str, subject_id: uuid.UUID, reason: str,
                 now: datetime) -> None:
    """Cancel a timer that has not fired, or record the cancellation before the timer exists."""
    conn.execute(
        "INSERT INTO timers (kind, subject_id, created_at, cancelled_at, cancel_reason) "
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (kind, subject_id) DO UPDATE "
        "SET cancelled_at = EXCLUDED.cancelled_at, cancel_reason = EXCLUDED.cancel_reason "
        "WHERE timers.cancelled_at IS NULL AND timers.fired_at IS NULL",
        (kind, subject_id, now, now, reason),
    )


@dataclass
class ClaimedTimer:
    id: int
    kind: str
    subject_id: uuid.UUID
    due_at: datetime
    correlation_id: str | None

    @property
    def timer(self) -> Timer:
        return Timer(self.kind, self.subject_id, self.due_at)


def claim_due_timers(conn: Connection, now: datetime, limit: int) -> list[ClaimedTimer]:
    """Mark up to `limit` due timers fired (Timer.is_due: due_at <= now) and return them.

    SKIP LOCKED lets two sweeps (two beats by mistake) run at once: each timer is claimed
    by exactly one of them, and a claimed timer is never due again.
    """
    with conn.cursor(row_factory=class_row(ClaimedTimer)) as cur:
        return cur.execute(
            "UPDATE timers SET fired_at = %(now)s WHERE id IN ("
            " SELECT id FROM timers WHERE fired_at IS NULL AND cancelled_at IS NULL"
            " AND due_at <= %(now)s ORDER BY due_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED)"
            " RETURNING id, kind, subject_id, due_at, correlation_id",
            {"now": now, "limit": limit},
        ).fetchall()


# --- what the worker's /metrics shows, read at scrape time (celery_app.TableCollector) ---
def deliveries_by_status(conn: Connection) -> list[tuple[str, str, int]]:
    """(kind, status, how many) over every mail (the `mails` view: auth keys and notices)."""
    return conn.execute(
        "SELECT kind, status, count(*) FROM mails GROUP BY kind, status ORDER BY 1, 2").fetchall()


def pending_timers_by_kind(conn: Connection) -> list[tuple[str, int]]:
    """Timers scheduled and neither fired nor cancelled."""
    return conn.execute(
        "SELECT kind, count(*) FROM timers WHERE fired_at IS NULL "
        "AND cancelled_at IS NULL AND due_at IS NOT NULL GROUP BY kind").fetchall()


def delivery_status(conn: Connection, application_id: uuid.UUID) -> dict | None:
    """Everything the notifier knows of one application's auth-key mail (no address, no
    key: it never keeps them), for the operator's `ops mail`."""
    row = conn.execute(
        "SELECT application_id, status, attempts, retries, last_error, failure_reason, "
        "issued_at, created_at, delivered_at, failed_at, valid_until, message_id "
        "FROM deliveries WHERE application_id = %s", (application_id,)).fetchone()
    if row is None:
        return None
    names = ("application_id", "status", "attempts", "retries", "last_error", "failure_reason",
             "issued_at", "first_attempt_at", "delivered_at", "failed_at", "valid_until",
             "message_id")
    return dict(zip(names, row, strict=True))


# mail_delivery_seconds' buckets: B2's goal is p50 < 0.1 s and p99 < 0.5 s; the key lives
# 50 minutes (3,000 s).
DELIVERY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
                    3000.0)


@dataclass
class MailFigures:
    """One kind of mail's figures."""

    sent: int = 0
    retried: int = 0
    failed_by_reason: list[tuple[str, int]] = field(default_factory=list)
    # cumulative counts, one per DELIVERY_BUCKETS, then +Inf
    delivery_buckets: list[int] = field(default_factory=lambda: [0] * (len(DELIVERY_BUCKETS) + 1))
    delivery_sum: float = 0.0
    least_time_left: float | None = None  # seconds, over its undelivered keys; None: none waits


def mail_figures(conn: Connection, now: datetime, kinds: tuple[str, ...],
                 key_kinds: tuple[str, ...]) -> dict[str, MailFigures]:
    """Every mail as counters and a histogram by kind (every kind of `kinds`, zeros
    included), read from the `mails` view (the work happens in the worker's pool processes;
    the tables are the one place that knows it all). A mail's delivery time runs from its
    key's issue (a notice: from what it tells of; rows from before the issue was kept: from
    the worker's first attempt) to the SMTP server's acceptance. The time left is over the
    undelivered mails of `key_kinds` only (a notice's deadline is no key's)."""
    figures = {kind: MailFigures() for kind in kinds}
    buckets = ", ".join(
        f"count(*) FILTER (WHERE d <= {bound})" for bound in DELIVERY_BUCKETS)
    for kind, *row in conn.execute(
            f"SELECT kind, {buckets}, count(*), COALESCE(sum(d), 0) FROM ("  # noqa: S608
            "SELECT kind, GREATEST(0, EXTRACT(EPOCH FROM delivered_at"
            " - COALESCE(issued_at, created_at))) AS d FROM mails WHERE status = 'sent') sent"
            " GROUP BY kind").fetchall():
        one = figures.setdefault(kind, MailFigures())
        one.sent = row[len(DELIVERY_BUCKETS)]
        one.delivery_buckets = list(row[:len(DELIVERY_BUCKETS) + 1])
        one.delivery_sum = float(row[len(DELIVERY_BUCKETS) + 1])
    for kind, retried in conn.execute(
            "SELECT kind, COALESCE(sum(retries), 0) FROM mails GROUP BY kind").fetchall():
        figures.setdefault(kind, MailFigures()).retried = int(retried)
    for kind, reason, count in conn.execute(
            "SELECT kind, COALESCE(failure_reason, 'unknown'), count(*) FROM mails "
            "WHERE status = 'failed' GROUP BY 1, 2 ORDER BY 1, 2").fetchall():
        figures.setdefault(kind, MailFigures()).failed_by_reason.append((reason, count))
    for kind, least in conn.execute(
            "SELECT kind, EXTRACT(EPOCH FROM min(valid_until) - %s) FROM mails "
            "WHERE status = 'pending' AND kind = ANY(%s) GROUP BY kind",
            (now, list(key_kinds))).fetchall():
        figures.setdefault(kind, MailFigures()).least_time_left = float(least)
    return figures


def overdue_timers(conn: Connection, now: datetime) -> list[tuple[str, int, float]]:
    """(kind, how many, how far past due the oldest is in seconds) of the timers past due
    by the notifier's clock, neither fired nor cancelled."""
    return [(kind, count, float(oldest)) for kind, count, oldest in conn.execute(
        "SELECT kind, count(*), EXTRACT(EPOCH FROM %s - min(due_at)) FROM timers "
        "WHERE fired_at IS NULL AND cancelled_at IS NULL AND due_at < %s GROUP BY kind",
        (now, now)).fetchall()]


def unpublished_count(conn: Connection) -> int:
    """Outbox messages the relay has not published yet."""
    return conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]
