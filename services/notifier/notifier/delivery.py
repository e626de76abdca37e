"""Delivering the auth-key mail: one attempt, recorded with the events it causes."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from psycopg import Connection
from psycopg.errors import LockNotAvailable
from psycopg_pool import ConnectionPool

from notifier import store
from notifier.config import Config
from notifier.domain import (
    EXPIRED_BEFORE_DELIVERY,
    INVALID_TASK_ARGUMENTS,
    GiveUp,
    Retry,
    RetryPolicy,
    after_failure,
    auth_key_expiry,
    may_attempt,
)
from notifier.events import MailTaskArgs
from notifier.mail import DeliveryError, Mailer, render_auth_key_mail
from shared.clock import Clock
from shared.contracts.events import new_event
from shared.outbox import add_event
from shared.tokens import normalise_crockford

PRODUCER = "notifier"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailRequest:
    """The task's arguments (docs/CONVENTIONS.md, the auth-key mail task)."""

    application_id: uuid.UUID
    email: str
    auth_key: str
    issued_at: datetime
    valid_until: datetime


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


Outcome = Sent | AlreadyHandled | Busy | Retry | Failed


def read_mail_request(kwargs: dict) -> MailRequest:
    """The task's kwargs checked and normalised; ValidationError names the bad ones."""
    args = MailTaskArgs().load(kwargs)
    return MailRequest(args["application_id"], args["email"], normalise_crockford(args["auth_key"]),
                       args["issued_at"], args["valid_until"])


def deliver_auth_key_mail(pool: ConnectionPool, mailer: Mailer, clock: Clock, config: Config,
                          request: MailRequest, retries: int,
                          correlation_id: str | None = None) -> Outcome:
    """Send the mail once: the delivery row is locked during the attempt, and the result,
    its event and the expiry timer commit together after the SMTP server answered."""
    with pool.connection() as conn:
        with conn.transaction():
            store.add_delivery(conn, request.application_id, request.valid_until, clock.now())
        try:
            with conn.transaction():
                return _attempt(conn, mailer, clock, config, request, retries, correlation_id)
        except LockNotAvailable:
            return Busy()


def _attempt(conn: Connection, mailer: Mailer, clock: Clock, config: Config,
             request: MailRequest, retries: int, correlation_id: str | None) -> Outcome:
    delivery = store.lock_delivery(conn, request.application_id)
    if delivery is None or delivery.status != "pending":
        return AlreadyHandled(delivery.status if delivery else "missing")
    now = clock.now()
    if not may_attempt(now, request.valid_until):
        return _give_up(conn, request.application_id, EXPIRED_BEFORE_DELIVERY, None, now,
                        correlation_id)
    message = render_auth_key_mail(
        to=request.email, auth_key=request.auth_key, handed_at=now,
        minutes=config.auth_key_minutes, tz=config.office_tz, mail_from=config.mail_from,
    )
    try:
        mailer.send(message)
    except DeliveryError as exc:
        now = clock.now()
        policy = RetryPolicy(config.retry_base_seconds, config.retry_max_seconds)
        decision = after_failure(now, request.valid_until, retries, exc.permanent, policy)
        if isinstance(decision, GiveUp):
            return _give_up(conn, request.application_id, decision.reason, exc.detail, now,
                            correlation_id)
        attempts = store.record_attempt_failed(conn, request.application_id, exc.detail)
        log.warning("auth-key mail not accepted; will retry",
                    extra={"application_id": str(request.application_id), "error": exc.detail,
                           "attempts": attempts, "countdown": decision.countdown})
        return decision
    delivered_at = clock.now()  # the SMTP server has accepted the mail
    store.record_sent(conn, request.application_id, delivered_at, message["Message-ID"])
    add_event(conn, new_event(
        "auth_key.mailed", {"application_id": request.application_id, "delivered_at": delivered_at},
        producer=PRODUCER, now=delivered_at, correlation_id=correlation_id,
    ))
    expiry = auth_key_expiry(request.application_id, delivered_at, config.auth_key_minutes)
    store.schedule_timer(conn, expiry, delivered_at, correlation_id)
    log.info("auth-key mail delivered", extra={"application_id": str(request.application_id),
                                               "email": request.email})
    return Sent(delivered_at)


def _give_up(conn: Connection, application_id: uuid.UUID, reason: str, error: str | None,
             now: datetime, correlation_id: str | None) -> Failed:
    store.record_failed(conn, application_id, reason, error, now)
    add_event(conn, new_event(
        "auth_key.delivery_failed", {"application_id": application_id, "reason": reason},
        producer=PRODUCER, now=now, correlation_id=correlation_id,
    ))
    log.warning("auth-key mail failed", extra={"application_id": str(application_id),
                                               "reason": reason, "error": error})
    return Failed(reason)


def refuse_invalid_request(pool: ConnectionPool, clock: Clock, application_id: uuid.UUID,
                           correlation_id: str | None = None) -> Outcome:
    """A task whose other arguments are unusable: record the failure so registration learns."""
    now = clock.now()
    with pool.connection() as conn:
        with conn.transaction():
            store.add_delivery(conn, application_id, now, now)
        try:
            with conn.transaction():
                delivery = store.lock_delivery(conn, application_id)
                if delivery is None or delivery.status != "pending":
                    return AlreadyHandled(delivery.status if delivery else "missing")
                return _give_up(conn, application_id, INVALID_TASK_ARGUMENTS, None, now,
                                correlation_id)
        except LockNotAvailable:
            return Busy()
