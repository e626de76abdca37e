"""The events the notifier consumes: one handler each, registered with the contract's
subscriptions (shared.handlers), read through the catalog's schemas and run in one
transaction with the inbox claim, so a redelivered or duplicated event changes nothing.
Each keeps the code.expired timers (usecases.schedule_code_expiry / cancel_code_expiry)."""

from __future__ import annotations

from datetime import datetime

from kombu import Connection
from psycopg import Connection as DbConnection
from psycopg_pool import ConnectionPool

from notifier import commands, domain, usecases
from notifier.config import SERVICE, Config
from shared.bus import EventConsumer, Topology, connect
from shared.clock import Clock
from shared.contracts.events import Event
from shared.handlers import Handlers

handlers = Handlers(SERVICE)


@handlers.on("code.issued", reads=("code_id", "expires_at", "supersedes"))
def code_issued(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    usecases.schedule_code_expiry(conn, commands.ScheduleCodeExpiry(**payload), now,
                                  correlation_id=event.correlation_id)


@handlers.on("code.revoked", reads=("code_id", "reason"))
def code_revoked(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    usecases.cancel_code_expiry(conn, commands.CancelCodeExpiry(
        payload["code_id"], domain.revoked_reason(payload["reason"])), now)


@handlers.on("code.used", reads=("code_id",))
def code_used(conn: DbConnection, event: Event, payload: dict, now: datetime) -> None:
    usecases.cancel_code_expiry(conn, commands.CancelCodeExpiry(payload["code_id"], "used"), now)


def make_consumer(config: Config, pool: ConnectionPool, clock: Clock,
                  connection: Connection | None = None, **options) -> EventConsumer:
    """The consumer of the service's queue (the process's and the tests')."""
    topology = Topology(config.bus_namespace, config.bus_quorum)
    return EventConsumer(connection if connection is not None else connect(config.broker_url),
                         topology, SERVICE, handlers.dispatch(pool, clock), **options)
