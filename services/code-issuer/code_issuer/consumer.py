"""The events the code-issuer consumes: one handler each, registered with the contract's
subscriptions (shared.handlers), run in one transaction with the inbox claim, so a
redelivered or duplicated event changes nothing.

Registration's and the notifier's events are read through the catalog's own schemas;
office systems' events through schemas.py's more lenient ones (numbers normalised as typed
ones are), with their birth dates checked against the day the event was sent.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from kombu import Connection
from psycopg import Connection as DbConnection
from psycopg_pool import ConnectionPool

from code_issuer import commands, schemas, usecases
from code_issuer.config import SERVICE, Config
from shared.bus import EventConsumer, Topology, connect
from shared.clock import Clock
from shared.contracts.events import Event
from shared.handlers import Handlers

log = logging.getLogger(__name__)
handlers = Handlers(SERVICE)


def _unknown_code(event: Event, code_id: uuid.UUID) -> None:
    # Every real code is committed here before its code.issued leaves the outbox, so an
    # event about an unknown code_id comes from elsewhere (another environment, a bad
    # producer): it is logged and dropped, not kept for later.
    log.warning("event about an unknown code ignored",
                extra={"event_type": event.type, "event_id": str(event.event_id),
                       "code_id": str(code_id)})


@handlers.on("code.invalidated", reads=("code_id", "failed_attempts"))
def code_invalidated(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    cmd = commands.RecordInvalidation(**payload, invalidated_at=event.occurred_at)
    if not usecases.record_invalidation(conn, cmd, now):
        _unknown_code(event, cmd.code_id)


@handlers.on("code.failure_counted", reads=("code_id", "failed_attempts", "client_address"))
def code_failure_counted(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    cmd = commands.RecordFailure(**payload, failed_at=event.occurred_at)
    if not usecases.record_failure(conn, cmd, now):
        _unknown_code(event, cmd.code_id)


@handlers.on("code.used", reads=("code_id", "account_id", "used_at"))
def code_used(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    cmd = commands.RecordUse(**payload)
    if not usecases.record_use(conn, cmd, now):
        _unknown_code(event, cmd.code_id)


@handlers.on("code.expired", reads=("code_id", "expired_at"))
def code_expired(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    cmd = commands.RecordExpiry(**payload)
    if not usecases.record_expiry(conn, cmd, now):
        _unknown_code(event, cmd.code_id)


@handlers.on("job_seeker.registered", reads=schemas.JobSeekerRegisteredIn(),
             check=schemas.born_before_the_event)
def job_seeker_registered(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    usecases.register_job_seeker(
        conn, commands.RegisterJobSeeker(**payload, registered_at=event.occurred_at), now,
        correlation_id=event.correlation_id)


@handlers.on("job_seeker.corrected", reads=schemas.JobSeekerCorrectedIn(),
             check=schemas.born_before_the_event)
def job_seeker_corrected(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    usecases.correct_job_seeker(
        conn, commands.CorrectJobSeeker(**payload, corrected_at=event.occurred_at), now,
        correlation_id=event.correlation_id)


@handlers.on("job_seeker.closed", reads=schemas.JobSeekerClosedIn())
def job_seeker_closed(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    usecases.close_job_seeker(
        conn, commands.CloseJobSeeker(**payload, closed_at=event.occurred_at), now,
        correlation_id=event.correlation_id)


@handlers.on("account.registered", reads=("account_id", "job_seeker_number", "registered_at"))
def account_registered(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    usecases.record_account_registered(conn, commands.RecordAccountRegistered(**payload), now)


@handlers.on("account.closed", reads=("account_id", "job_seeker_number", "closed_at"))
def account_closed(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    usecases.record_account_closed(conn, commands.RecordAccountClosed(**payload), now)


def make_consumer(config: Config, pool: ConnectionPool, clock: Clock,
                  connection: Connection | None = None, **options) -> EventConsumer:
    """The consumer of the service's queue (the process's and the tests')."""
    topology = Topology(config.bus_namespace, config.bus_quorum)
    return EventConsumer(connection if connection is not None else connect(config.broker_url),
                         topology, SERVICE, handlers.dispatch(pool, clock, tz=config.tz),
                         **options)
