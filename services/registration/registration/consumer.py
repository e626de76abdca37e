"""The kombu consumer: registration's view of codes and applications from events.

Each handler reads its payload with a lenient schema (a bad one is dead-lettered by
shared.bus), then changes the database in one transaction with the inbox claim, so a
redelivered or duplicated event changes nothing. Handlers converge whatever the order:
a revoke or expiry before its issue leaves a tombstone the issue fills in.
"""

from __future__ import annotations

from collections.abc import Callable

from psycopg_pool import ConnectionPool

from registration import code_store, events, store
from shared.bus import EventConsumer, Topology, connect
from shared.clock import Clock
from shared.contracts.events import Event, read_payload
from shared.inbox import handle_once


def handlers(pool: ConnectionPool, clock: Clock) -> dict[str, Callable[[Event], None]]:
    """One handler per consumed event type."""

    def once(event: Event, change) -> None:
        handle_once(pool, event, clock.now(), lambda conn, _event: change(conn))

    def code_issued(event: Event) -> None:
        p = read_payload(event, events.CodeIssued())

        def change(conn):
            code_store.upsert_issued_code(conn, p)
            code_store.supersede(conn, p["supersedes"], clock.now())  # R3
            code_store.supersede_by_issue_order(conn, p["code_id"], clock.now())
        once(event, change)

    def code_revoked(event: Event) -> None:
        p = read_payload(event, events.CodeRevoked())
        once(event, lambda conn: code_store.revoke(conn, p["code_id"], p["reason"], clock.now()))

    def code_expired(event: Event) -> None:
        p = read_payload(event, events.CodeExpired())
        once(event, lambda conn: code_store.expire(conn, p["code_id"], p["expired_at"]))

    def auth_key_mailed(event: Event) -> None:
        p = read_payload(event, events.AuthKeyMailed())
        once(event, lambda conn: store.record_delivery(conn, p["application_id"],
                                                       p["delivered_at"]))

    def auth_key_delivery_failed(event: Event) -> None:
        # The application closes as 'undeliverable'; step 3 then answers
        # AUTH_KEY_NOT_DELIVERED, telling the person to check the address and start again.
        p = read_payload(event, events.AuthKeyDeliveryFailed())
        once(event, lambda conn: store.record_delivery_failure(
            conn, p["application_id"], p["reason"], clock.now()))

    def auth_key_expired(event: Event) -> None:
        p = read_payload(event, events.AuthKeyExpired())
        once(event, lambda conn: store.close_application(
            conn, p["application_id"], "expired", clock.now()))

    return {
        "code.issued": code_issued,
        "code.revoked": code_revoked,
        "code.expired": code_expired,
        "auth_key.mailed": auth_key_mailed,
        "auth_key.delivery_failed": auth_key_delivery_failed,
        "auth_key.expired": auth_key_expired,
    }


def make_consumer(pool: ConnectionPool, clock: Clock, broker_url: str,
                  topology: Topology) -> EventConsumer:
    return EventConsumer(connect(broker_url), topology, "registration", handlers(pool, clock))
