"""The events the code-issuer produces, built strictly through the catalog
(shared.contracts.events). What it consumes is read in consumer.py."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from code_issuer.config import PRODUCER
from shared.contracts.events import Event, new_event

# Reasons of code.revoked (DESIGN.md §3).
SUPERSEDED = "superseded"
REVOKED_BY_OFFICE = "revoked_by_office"
HOLDER_CORRECTED = "holder_corrected"
JOB_SEEKER_CLOSED = "job_seeker_closed"


def code_issued(*, code_id: uuid.UUID, job_seeker_number: str, birth_date: date,
                code_digest: str, issued_at: datetime, expires_at: datetime,
                supersedes: list[uuid.UUID], now: datetime, correlation_id: str | None) -> Event:
    payload = {
        "code_id": code_id, "job_seeker_number": job_seeker_number, "birth_date": birth_date,
        "code_digest": code_digest, "issued_at": issued_at, "expires_at": expires_at,
        "supersedes": supersedes,
    }
    return new_event("code.issued", payload, producer=PRODUCER, now=now,
                     correlation_id=correlation_id)


def code_revoked(code_id: uuid.UUID, reason: str, *, now: datetime,
                 correlation_id: str | None) -> Event:
    return new_event("code.revoked", {"code_id": code_id, "reason": reason}, producer=PRODUCER,
                     now=now, correlation_id=correlation_id)
