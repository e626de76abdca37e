"""The events the notifier produces, built strictly through the catalog
(shared.contracts.events). What it consumes is read in consumer.py, its task's arguments in
tasks.py (both through the contracts' own schemas)."""

from __future__ import annotations

import uuid
from datetime import datetime

from notifier.config import PRODUCER
from notifier.domain import Timer
from shared.contracts.events import Event, new_event


def auth_key_mailed(application_id: uuid.UUID, delivered_at: datetime, *,
                    correlation_id: str | None) -> Event:
    return new_event("auth_key.mailed",
                     {"application_id": application_id, "delivered_at": delivered_at},
                     producer=PRODUCER, now=delivered_at, correlation_id=correlation_id)


def auth_key_delivery_failed(application_id: uuid.UUID, reason: str, *, now: datetime,
                             correlation_id: str | None) -> Event:
    return new_event("auth_key.delivery_failed",
                     {"application_id": application_id, "reason": reason},
                     producer=PRODUCER, now=now, correlation_id=correlation_id)


def expired(timer: Timer, *, now: datetime, correlation_id: str | None) -> Event:
    """code.expired or auth_key.expired, announcing a timer that fired."""
    return new_event(timer.kind, timer.payload(), producer=PRODUCER, now=now,
                     correlation_id=correlation_id)


def notice_mailed(notice_id: uuid.UUID, kind: str, delivered_at: datetime, *,
                  correlation_id: str | None) -> Event:
    """A key mail (notice_id = its mail_id) or a notice was accepted by the mail server."""
    return new_event("notice.mailed",
                     {"notice_id": notice_id, "kind": kind, "delivered_at": delivered_at},
                     producer=PRODUCER, now=delivered_at, correlation_id=correlation_id)


def notice_delivery_failed(notice_id: uuid.UUID, kind: str, reason: str, *, now: datetime,
                           correlation_id: str | None) -> Event:
    return new_event("notice.delivery_failed",
                     {"notice_id": notice_id, "kind": kind, "reason": reason},
                     producer=PRODUCER, now=now, correlation_id=correlation_id)
