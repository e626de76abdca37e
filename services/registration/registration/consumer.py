"""The events registration consumes: one handler each, registered with the contract's
subscriptions (shared.handlers), run in one transaction with the inbox claim, so a
redelivered or duplicated event changes nothing.

Each reads the payload fields its command holds through the catalog's schema, or, for
code.issued and code.revoked, schemas.py's more lenient ones (a bad payload is
dead-lettered by shared.bus). Handlers converge whatever the order: a revoke or expiry before its issue
leaves a tombstone the issue fills in.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from kombu import Connection
from psycopg import Connection as DbConnection
from psycopg_pool import ConnectionPool

from registration import commands, schemas
from registration.config import SERVICE, Config
from registration.usecases import applications, codes, email_changes, resets
from shared.bus import EventConsumer, Topology, connect
from shared.clock import Clock
from shared.contracts.events import Event
from shared.handlers import Handlers

handlers = Handlers(SERVICE)


def fields_of(command: type) -> tuple[str, ...]:
    """The payload fields a handler reads: those of the command it builds."""
    return tuple(field.name for field in dataclasses.fields(command))


@handlers.on("code.issued", reads=schemas.CodeIssued())
def code_issued(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    codes.record_issue(conn, commands.RecordIssue(**payload), now)


@handlers.on("code.revoked", reads=schemas.CodeRevoked())
def code_revoked(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    codes.record_revocation(conn, commands.RecordRevocation(**payload), now)


@handlers.on("code.expired", reads=fields_of(commands.RecordExpiry))
def code_expired(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    codes.record_expiry(conn, commands.RecordExpiry(**payload), now)


@handlers.on("auth_key.mailed", reads=fields_of(commands.RecordDelivery))
def auth_key_mailed(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    applications.record_delivery(conn, commands.RecordDelivery(**payload), now)


@handlers.on("auth_key.delivery_failed", reads=fields_of(commands.RecordDeliveryFailure))
def auth_key_delivery_failed(conn: DbConnection, event: Event, payload: dict,
                             now: datetime) -> None:
    applications.record_delivery_failure(conn, commands.RecordDeliveryFailure(**payload), now)


@handlers.on("auth_key.expired", reads=fields_of(commands.RecordKeyExpiry))
def auth_key_expired(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    applications.record_key_expiry(conn, commands.RecordKeyExpiry(**payload), now)


# --- R15, R17: the key mails' deliveries (each use case ignores the other kinds) ---------
@handlers.on("notice.mailed", reads=fields_of(commands.RecordNoticeDelivery))
def notice_mailed(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    cmd = commands.RecordNoticeDelivery(**payload)
    resets.record_key_mail_delivery(conn, cmd, now)
    email_changes.record_key_mail_delivery(conn, cmd, now)


@handlers.on("notice.delivery_failed", reads=fields_of(commands.RecordNoticeDeliveryFailure))
def notice_delivery_failed(conn: DbConnection, event: Event, payload: dict,
                           now: datetime) -> None:
    cmd = commands.RecordNoticeDeliveryFailure(**payload)
    resets.record_key_mail_failure(conn, cmd, now)
    email_changes.record_key_mail_failure(conn, cmd, now)


def make_consumer(config: Config, pool: ConnectionPool, clock: Clock,
                  connection: Connection | None = None, **options) -> EventConsumer:
    """The consumer of the service's queue (the process's and the tests')."""
    topology = Topology(config.bus_namespace, config.bus_quorum)
    return EventConsumer(connection if connection is not None else connect(config.broker_url),
                         topology, SERVICE, handlers.dispatch(pool, clock), **options)
