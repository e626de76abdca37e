"""The idempotent inbox: a consumer's change and the event id it handled commit together."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from psycopg import Connection
from psycopg_pool import ConnectionPool

from shared.contracts.events import Event

T = TypeVar("T")


def claim(conn: Connection, event: Event, now) -> bool:
    """Record the event as handled; False if it already was (a redelivery or duplicate)."""
    row = conn.execute(
        "INSERT INTO inbox (event_id, event_type, handled_at) VALUES (%s, %s, %s) "
        "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        (event.event_id, event.type, now),
    ).fetchone()
    return row is not None


def handle_once(
    pool: ConnectionPool, event: Event, now, change: Callable[[Connection, Event], T]
) -> T | None:
    """Apply `change` in one transaction with the inbox claim; skip a seen event."""
    with pool.connection() as conn, conn.transaction():
        if not claim(conn, event, now):
            return None
        return change(conn, event)
