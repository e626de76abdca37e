"""Kombu handlers of the events the code-issuer consumes; each reads its payload leniently,
then applies one use case in one transaction with the inbox claim (idempotent)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from kombu import Connection
from marshmallow import Schema
from psycopg_pool import ConnectionPool

from code_issuer import events, usecases
from code_issuer.config import SERVICE, Config
from shared.bus import EventConsumer, Topology
from shared.clock import Clock
from shared.contracts.events import Event, read_payload
from shared.inbox import handle_once


def _handler(pool: ConnectionPool, clock: Clock, schema: Schema, change: Callable,
             check: Callable[[dict, Event], None] | None = None) -> Callable[[Event], None]:
    def handle(event: Event) -> None:
        payload = read_payload(event, schema)  # ValidationError: dead-lettered by the bus
        if check is not None:
            check(payload, event)
        now = clock.now()
        handle_once(pool, event, now, lambda conn, _event: change(conn, event, payload, now))

    return handle


def _codes(change: Callable) -> Callable:
    """Adapt a use case that does not need `now` (the event carries its own times)."""
    return lambda conn, event, payload, _now: change(conn, event, payload)


def handlers(pool: ConnectionPool, clock: Clock, config: Config) -> dict[str, Callable[[Event], None]]:
    past_birth_date = partial(events.check_birth_date_before, tz=config.tz)
    return {
        "code.invalidated": _handler(pool, clock, events.CodeInvalidatedIn(),
                                     _codes(usecases.on_code_invalidated)),
        "code.failure_counted": _handler(pool, clock, events.CodeFailureCountedIn(),
                                         _codes(usecases.on_code_failure_counted)),
        "code.used": _handler(pool, clock, events.CodeUsedIn(), _codes(usecases.on_code_used)),
        "code.expired": _handler(pool, clock, events.CodeExpiredIn(),
                                 _codes(usecases.on_code_expired)),
        "job_seeker.registered": _handler(pool, clock, events.JobSeekerRegisteredIn(),
                                          usecases.on_job_seeker_registered, past_birth_date),
        "job_seeker.corrected": _handler(pool, clock, events.JobSeekerCorrectedIn(),
                                         usecases.on_job_seeker_corrected, past_birth_date),
        "job_seeker.closed": _handler(pool, clock, events.JobSeekerClosedIn(),
                                      usecases.on_job_seeker_closed),
    }


def make_consumer(connection: Connection, pool: ConnectionPool, clock: Clock, config: Config,
                  **options) -> EventConsumer:
    topology = Topology(config.bus_namespace, config.bus_quorum)
    return EventConsumer(connection, topology, SERVICE, handlers(pool, clock, config), **options)
