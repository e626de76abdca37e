"""The key mails (R15's reset key, R17's email-change key) and the notices (R12's
registration complete, R15/R16 password changed, R17 email changed, R18 account closed,
R20 new login): each sent once, like the auth-key mail (`usecases.send_auth_key_mail`).

The row of the mail (store.notices) is locked during an attempt; the result and its event
(`notice.mailed`, `notice.delivery_failed`) commit together after the SMTP server answered.
A key mail is tried while its key is valid; a notice for `notice_retry_hours` from its first
attempt (the row keeps that deadline, so a redelivered task does not extend it).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from psycopg import Connection
from psycopg.errors import LockNotAvailable
from psycopg_pool import ConnectionPool

from notifier import commands, domain, events
from notifier.config import Config
from notifier.mail import DeliveryError, Mailer, letterhead
from notifier.store import notices as store
from notifier.templates import Mail, render
from notifier.usecases import AlreadyHandled, Busy, Failed, Outcome, Sent
from shared.clock import Clock
from shared.outbox import add_event

log = logging.getLogger(__name__)

Compose = Callable[[datetime], Mail]  # the message, handed to SMTP at this instant


def send_key_mail(pool: ConnectionPool, cmd: commands.SendKeyMail, now: datetime, *,
                  mailer: Mailer, clock: Clock, config: Config,
                  correlation_id: str | None = None) -> Outcome:
    """R15, R17: the key mail, sent once while its key is valid (R10's rules); notice.mailed's
    delivered_at starts the key's 50 minutes in registration."""
    def compose(handed_at: datetime) -> Mail:
        return render(cmd.kind, cmd.language, to=cmd.email, letterhead=letterhead(config),
                      handed_at=handed_at, tz=config.office_tz, key=cmd.key,
                      minutes=config.auth_key_minutes)

    mail = _Mail(cmd.mail_id, cmd.kind, cmd.issued_at, cmd.valid_until, cmd.retries,
                 domain.KEY_EXPIRED_BEFORE_DELIVERY, compose)
    return _deliver(pool, mail, now, mailer=mailer, clock=clock, config=config,
                    correlation_id=correlation_id)


def send_notice(pool: ConnectionPool, cmd: commands.SendNotice, now: datetime, *,
                mailer: Mailer, clock: Clock, config: Config,
                correlation_id: str | None = None) -> Outcome:
    """A notice, sent once, tried for `notice_retry_hours` from its first attempt."""
    def compose(handed_at: datetime) -> Mail:
        return render(cmd.kind, cmd.language, to=cmd.email, letterhead=letterhead(config),
                      handed_at=handed_at, tz=config.office_tz, occurred_at=cmd.occurred_at,
                      client_address=cmd.client_address, browser=cmd.browser)

    mail = _Mail(cmd.notice_id, cmd.kind, cmd.occurred_at,
                 domain.notice_deadline(now, config.notice_retry_hours), cmd.retries,
                 domain.RETRY_WINDOW_PASSED, compose)
    return _deliver(pool, mail, now, mailer=mailer, clock=clock, config=config,
                    correlation_id=correlation_id)


def report_unusable_notice_task(pool: ConnectionPool, cmd: commands.ReportUnusableNoticeTask,
                                now: datetime, *, correlation_id: str | None = None) -> Outcome:
    """A task whose other arguments are unusable: record the failure so registration learns."""
    with pool.connection() as conn:
        with conn.transaction():
            store.add(conn, cmd.notice_id, cmd.kind, now, now, None)
        try:
            with conn.transaction():
                row = store.lock(conn, cmd.notice_id, cmd.kind)
                if row is None or row.status != "pending":
                    return AlreadyHandled(row.status if row else "missing")
                return _give_up(conn, cmd.notice_id, cmd.kind, domain.INVALID_TASK_ARGUMENTS,
                                None, now, correlation_id)
        except LockNotAvailable:
            return Busy()


@dataclass(frozen=True)
class _Mail:
    """One mail to deliver: its row's identity, the instant it counts from (`issued_at`),
    its deadline, what a missed deadline is reported as, and how to compose it."""

    notice_id: uuid.UUID
    kind: str
    issued_at: datetime
    valid_until: datetime
    retries: int
    expired: str
    compose: Compose


def _deliver(pool: ConnectionPool, mail: _Mail, now: datetime, *, mailer: Mailer, clock: Clock,
             config: Config, correlation_id: str | None) -> Outcome:
    with pool.connection() as conn:
        with conn.transaction():
            store.add(conn, mail.notice_id, mail.kind, mail.valid_until, now, mail.issued_at)
        try:
            with conn.transaction():
                return _attempt(conn, mail, now, mailer, clock, config, correlation_id)
        except LockNotAvailable:
            return Busy()


def _attempt(conn: Connection, mail: _Mail, now: datetime, mailer: Mailer, clock: Clock,
             config: Config, correlation_id: str | None) -> Outcome:
    row = store.lock(conn, mail.notice_id, mail.kind)
    if row is None or row.status != "pending":
        return AlreadyHandled(row.status if row else "missing")
    valid_until = row.valid_until  # a notice's window is fixed by its first attempt
    if row.issued_at is not None and mail.issued_at < row.issued_at:
        return AlreadyHandled("superseded")  # a key issued later took the mail over
    if row.issued_at is not None and mail.issued_at > row.issued_at:
        store.take_over(conn, mail.notice_id, mail.kind, mail.issued_at, mail.valid_until)
        valid_until = mail.valid_until
    if not domain.may_attempt(now, valid_until):
        return _give_up(conn, mail.notice_id, mail.kind, mail.expired, None, now, correlation_id)
    message = mail.compose(now)
    try:
        mailer.send(message)
    except DeliveryError as exc:
        now = clock.now()
        policy = domain.RetryPolicy(config.retry_base_seconds, config.retry_max_seconds)
        decision = domain.after_failure(now, valid_until, mail.retries, exc.permanent, policy,
                                        expired=mail.expired)
        if isinstance(decision, domain.GiveUp):
            return _give_up(conn, mail.notice_id, mail.kind, decision.reason, exc.detail, now,
                            correlation_id)
        attempts = store.record_attempt_failed(conn, mail.notice_id, mail.kind, exc.detail)
        log.warning("mail not accepted; will retry",
                    extra={"notice_id": str(mail.notice_id), "kind": mail.kind,
                           "error": exc.detail, "attempts": attempts,
                           "countdown": decision.countdown})
        return decision
    delivered_at = clock.now()  # the SMTP server has accepted the mail
    store.record_sent(conn, mail.notice_id, mail.kind, delivered_at, message.message_id)
    add_event(conn, events.notice_mailed(mail.notice_id, mail.kind, delivered_at,
                                         correlation_id=correlation_id))
    log.info("mail delivered", extra={"notice_id": str(mail.notice_id), "kind": mail.kind})
    return Sent(delivered_at)


def _give_up(conn: Connection, notice_id: uuid.UUID, kind: str, reason: str, error: str | None,
             now: datetime, correlation_id: str | None) -> Failed:
    store.record_failed(conn, notice_id, kind, reason, error, now)
    add_event(conn, events.notice_delivery_failed(notice_id, kind, reason, now=now,
                                                  correlation_id=correlation_id))
    log.warning("mail failed", extra={"notice_id": str(notice_id), "kind": kind,
                                      "reason": reason, "error": error})
    return Failed(reason)
