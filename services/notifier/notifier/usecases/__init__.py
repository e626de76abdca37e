"""One function per use case: the auth-key mail (the task), the expiry timers (the code
events and beat's sweep); the key mails and notices are in `usecases.notices`.

Each has the same shape: `(conn or pool, cmd, now, *, dependencies)`. The timer changes run
in the caller's transaction (the inbox claim opens it); the mail and the sweep open their
own, since a mail's result must commit after the SMTP server answered and a sweep commits
batch by batch. State changes and the events they cause are written together
(transactional outbox). No use case raises `Refused`: nobody waits for an answer, so every
outcome is recorded and, where another service must learn it, announced by an event.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from psycopg import Connection
from psycopg.errors import LockNotAvailable
from psycopg_pool import ConnectionPool

from notifier import commands, domain, events, store
from notifier.config import Config
from notifier.mail import DeliveryError, Mailer, letterhead, render_auth_key_mail
from shared.clock import Clock
from shared.outbox import add_event

log = logging.getLogger(__name__)


# --- what a mail attempt ends in ---------------------------------------------------------
@dataclass(frozen=True)
class Sent:
    delivered_at: datetime


@dataclass(frozen=True)
class AlreadyHandled:
    """An earlier attempt already recorded the mail as sent or failed: nothing to do."""

    status: str


@dataclass(frozen=True)
class Busy:
    """Another attempt of the same mail is in progress right now."""


@dataclass(frozen=True)
class Failed:
    reason: str


Outcome = Sent | AlreadyHandled | Busy | domain.Retry | Failed


# --- the auth-key mail -------------------------------------------------------------------
def send_auth_key_mail(pool: ConnectionPool, cmd: commands.SendAuthKeyMail, now: datetime, *,
                       mailer: Mailer, clock: Clock, config: Config,
                       correlation_id: str | None = None) -> Outcome:
    """Send the mail once: the delivery row is locked during the attempt, and the result,
    its event and the expiry timer commit together after the SMTP server answered. `now`
    is when the attempt starts; the instants after the SMTP conversation come from `clock`."""
    with pool.connection() as conn:
        with conn.transaction():
            store.add_delivery(conn, cmd.application_id, cmd.valid_until, now, cmd.issued_at)
        try:
            with conn.transaction():
                return _attempt(conn, cmd, now, mailer, clock, config, correlation_id)
        except LockNotAvailable:
            return Busy()


def _attempt(conn: Connection, cmd: commands.SendAuthKeyMail, now: datetime, mailer: Mailer,
             clock: Clock, config: Config, correlation_id: str | None) -> Outcome:
    delivery = store.lock_delivery(conn, cmd.application_id)
    if delivery is None or delivery.status != "pending":
        return AlreadyHandled(delivery.status if delivery else "missing")
    if delivery.issued_at is not None and cmd.issued_at < delivery.issued_at:
        return AlreadyHandled("superseded")  # a re-sent key took the mail over
    if delivery.issued_at is not None and cmd.issued_at > delivery.issued_at:
        store.take_over(conn, cmd.application_id, cmd.issued_at, cmd.valid_until)
    if not domain.may_attempt(now, cmd.valid_until):
        return _give_up(conn, cmd.application_id, domain.EXPIRED_BEFORE_DELIVERY, None, now,
                        correlation_id)
    message = render_auth_key_mail(
        to=cmd.email, auth_key=cmd.auth_key, handed_at=now,
        minutes=config.auth_key_minutes, tz=config.office_tz, heading=letterhead(config),
        replaces_earlier=cmd.replaces_earlier, language=cmd.language,
    )
    try:
        mailer.send(message)
    except DeliveryError as exc:
        now = clock.now()
        policy = domain.RetryPolicy(config.retry_base_seconds, config.retry_max_seconds)
        decision = domain.after_failure(now, cmd.valid_until, cmd.retries, exc.permanent, policy)
        if isinstance(decision, domain.GiveUp):
            return _give_up(conn, cmd.application_id, decision.reason, exc.detail, now,
                            correlation_id)
        attempts = store.record_attempt_failed(conn, cmd.application_id, exc.detail)
        log.warning("auth-key mail not accepted; will retry",
                    extra={"application_id": str(cmd.application_id), "error": exc.detail,
                           "attempts": attempts, "countdown": decision.countdown})
        return decision
    delivered_at = clock.now()  # the SMTP server has accepted the mail
    store.record_sent(conn, cmd.application_id, delivered_at, message.message_id)
    add_event(conn, events.auth_key_mailed(cmd.application_id, delivered_at,
                                           correlation_id=correlation_id))
    expiry = domain.auth_key_expiry(cmd.application_id, delivered_at, config.auth_key_minutes)
    store.schedule_timer(conn, expiry, delivered_at, correlation_id)
    log.info("auth-key mail delivered", extra={"application_id": str(cmd.application_id),
                                               "email": cmd.email})
    return Sent(delivered_at)


def _give_up(conn: Connection, application_id: uuid.UUID, reason: str, error: str | None,
             now: datetime, correlation_id: str | None) -> Failed:
    store.record_failed(conn, application_id, reason, error, now)
    add_event(conn, events.auth_key_delivery_failed(application_id, reason, now=now,
                                                    correlation_id=correlation_id))
    log.warning("auth-key mail failed", extra={"application_id": str(application_id),
                                               "reason": reason, "error": error})
    return Failed(reason)


def report_unusable_mail_task(pool: ConnectionPool, cmd: commands.ReportUnusableMailTask,
                              now: datetime, *, correlation_id: str | None = None) -> Outcome:
    """A task whose other arguments are unusable: record the failure so registration learns."""
    with pool.connection() as conn:
        with conn.transaction():
            store.add_delivery(conn, cmd.application_id, now, now)
        try:
            with conn.transaction():
                delivery = store.lock_delivery(conn, cmd.application_id)
                if delivery is None or delivery.status != "pending":
                    return AlreadyHandled(delivery.status if delivery else "missing")
                return _give_up(conn, cmd.application_id, domain.INVALID_TASK_ARGUMENTS, None,
                                now, correlation_id)
        except LockNotAvailable:
            return Busy()


# --- the expiry timers -------------------------------------------------------------------
def schedule_code_expiry(conn: Connection, cmd: commands.ScheduleCodeExpiry, now: datetime, *,
                         correlation_id: str | None = None) -> None:
    """code.expired is due when the code's validity ends; superseded codes never expire."""
    store.schedule_timer(conn, domain.code_expiry(cmd.code_id, cmd.expires_at), now,
                         correlation_id)
    for old in cmd.supersedes:
        store.cancel_timer(conn, domain.CODE_EXPIRED, old, domain.revoked_reason("superseded"),
                           now)


def cancel_code_expiry(conn: Connection, cmd: commands.CancelCodeExpiry, now: datetime) -> None:
    """A revoked or used code does not expire any more (even if its code.issued comes later)."""
    store.cancel_timer(conn, domain.CODE_EXPIRED, cmd.code_id, cmd.reason, now)


def fire_due_timers(pool: ConnectionPool, cmd: commands.FireDueTimers, now: datetime, *,
                    clock: Clock) -> int:
    """Claim every due timer and put its event in the outbox, batch by batch, so a late
    sweep catches up at once; returns how many fired. The first batch is due at `now`,
    each later one at `clock`'s time when it starts."""
    fired = 0
    while True:
        with pool.connection() as conn, conn.transaction():
            claimed = store.claim_due_timers(conn, now, cmd.batch)
            for row in claimed:
                add_event(conn, events.expired(row.timer, now=now,
                                               correlation_id=row.correlation_id))
        fired += len(claimed)
        if len(claimed) < cmd.batch:
            if fired:
                log.info("timers fired", extra={"fired": fired})
            return fired
        now = clock.now()
