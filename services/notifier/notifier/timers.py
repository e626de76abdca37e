"""Expiry timers: kept from the code events, fired by the beat-triggered sweep."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from psycopg import Connection
from psycopg_pool import ConnectionPool

from notifier import store
from notifier.domain import CODE_EXPIRED, code_expiry
from shared.clock import Clock
from shared.contracts.events import new_event
from shared.outbox import add_event

PRODUCER = "notifier"
log = logging.getLogger(__name__)


def code_issued(conn: Connection, payload: dict, now: datetime, correlation_id: str | None) -> None:
    """code.expired is due when the code's validity ends; superseded codes never expire."""
    store.schedule_timer(conn, code_expiry(payload["code_id"], payload["expires_at"]), now,
                         correlation_id)
    for old in payload["supersedes"]:
        # the same reason code.revoked(superseded) gives, whichever of the two comes first
        store.cancel_timer(conn, CODE_EXPIRED, old, "revoked:superseded", now)


def code_ended(conn: Connection, code_id: uuid.UUID, reason: str, now: datetime) -> None:
    """A revoked or used code does not expire any more (even if its code.issued comes later)."""
    store.cancel_timer(conn, CODE_EXPIRED, code_id, reason, now)


def fire_due_timers(pool: ConnectionPool, clock: Clock, batch: int) -> int:
    """Claim every due timer and put its event in the outbox, batch by batch, so a late
    sweep catches up at once; returns how many fired."""
    fired = 0
    while True:
        with pool.connection() as conn, conn.transaction():
            now = clock.now()
            claimed = store.claim_due_timers(conn, now, batch)
            for row in claimed:
                add_event(conn, new_event(row.kind, row.timer.payload(), producer=PRODUCER, now=now,
                                          correlation_id=row.correlation_id))
        fired += len(claimed)
        if len(claimed) < batch:
            if fired:
                log.info("timers fired", extra={"fired": fired})
            return fired
