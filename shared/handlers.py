"""One way every consumer declares its event handlers, checked against the contract.

    handlers = Handlers("registration")

    @handlers.on("code.revoked", reads=("code_id", "reason"))
    def code_revoked(conn, event, payload, now):
        codes.revoke(conn, payload["code_id"], payload["reason"], now)

Each handler runs in one transaction with the inbox claim (a redelivered or duplicated
event changes nothing) and reads only the payload fields it names, through the catalog's
own schema (`read_payload`: unknown fields ignored, a bad one dead-letters the event).
The registry refuses an event type the contract does not subscribe its service to, and
`dispatch()` refuses to start while a subscribed type has no handler.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from marshmallow import Schema
from psycopg import Connection
from psycopg_pool import ConnectionPool

from shared.clock import Clock
from shared.contracts.events import Event, read_payload
from shared.contracts.subscriptions import SUBSCRIPTIONS
from shared.inbox import handle_once

Change = Callable[[Connection, Event, dict[str, Any], datetime], None]


class Handlers:
    """A service's handlers of the events it consumes, by event type."""

    def __init__(self, service: str):
        self.service = service
        self.subscribed = SUBSCRIPTIONS[service]
        self._changes: dict[str, tuple[Change, tuple[str, ...], Callable | None]] = {}

    def on(self, event_type: str, *, reads: tuple[str, ...] | Schema,
           check: Callable[[dict, Event], None] | None = None) -> Callable[[Change], Change]:
        """Register the decorated function for `event_type`; `reads` are the payload fields
        it uses (or a schema of its own, where it reads more leniently than the catalog),
        `check` an extra validation of them (raise ValidationError), called with the
        settings given to `dispatch` as keyword arguments."""
        if event_type not in self.subscribed:
            raise ValueError(f"{self.service} is not subscribed to {event_type} "
                             "(shared/contracts/subscriptions.py)")
        if event_type in self._changes:
            raise ValueError(f"{event_type} has two handlers in {self.service}")

        def register(change: Change) -> Change:
            self._changes[event_type] = (change, reads, check)
            return change

        return register

    def dispatch(self, pool: ConnectionPool, clock: Clock,
                 **settings: Any) -> dict[str, Callable[[Event], bool]]:
        """The bus's callbacks: read the payload, then change the database in one
        transaction with the inbox claim. `settings` (e.g. a time zone) go to the checks."""
        missing = set(self.subscribed) - set(self._changes)
        if missing:
            raise ValueError(f"{self.service} has no handler for {', '.join(sorted(missing))}")
        return {event_type: self._callback(pool, clock, *entry, settings)
                for event_type, entry in self._changes.items()}

    @staticmethod
    def _callback(pool: ConnectionPool, clock: Clock, change: Change, reads: tuple[str, ...],
                  check: Callable | None, settings: dict[str, Any]) -> Callable[[Event], bool]:
        def handle(event: Event) -> bool:
            """True when the change was made, False for an event the inbox had seen."""
            payload = read_payload(event, reads)  # ValidationError: dead-lettered
            if check is not None:
                check(payload, event, **settings)
            now = clock.now()

            def apply(conn: Connection, _event: Event) -> bool:
                change(conn, event, payload, now)
                return True

            return handle_once(pool, event, now, apply) is True

        return handle
