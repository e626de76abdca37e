"""The kombu consumer of code.issued / code.revoked / code.used into the timer table."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from notifier import timers
from notifier.config import Config
from notifier.events import CodeIssuedRead, CodeRevokedRead, CodeUsedRead
from shared.bus import EventConsumer, Handler, Topology, connect
from shared.clock import Clock
from shared.contracts.events import Event, read_payload
from shared.inbox import handle_once


def make_handlers(pool: ConnectionPool, clock: Clock) -> dict[str, Handler]:
    """One handler per consumed type: read the payload (a bad one is dead-lettered), then
    change the timers in one transaction with the inbox claim."""

    def issued(event: Event) -> None:
        payload = read_payload(event, CodeIssuedRead())
        now = clock.now()
        handle_once(pool, event, now, lambda conn, e: timers.code_issued(
            conn, payload, now, e.correlation_id))

    def revoked(event: Event) -> None:
        payload = read_payload(event, CodeRevokedRead())
        now = clock.now()
        handle_once(pool, event, now, lambda conn, _e: timers.code_ended(
            conn, payload["code_id"], f"revoked:{payload['reason']}"[:100], now))

    def used(event: Event) -> None:
        payload = read_payload(event, CodeUsedRead())
        now = clock.now()
        handle_once(pool, event, now, lambda conn, _e: timers.code_ended(
            conn, payload["code_id"], "used", now))

    return {"code.issued": issued, "code.revoked": revoked, "code.used": used}


def make_consumer(config: Config, pool: ConnectionPool, clock: Clock) -> EventConsumer:
    topology = Topology(config.bus_namespace, config.bus_quorum)
    return EventConsumer(connect(config.broker_url), topology, "notifier",
                         make_handlers(pool, clock))
