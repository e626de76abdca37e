"""The events registration produces, built strictly through the catalog
(shared.contracts.events). What it consumes is read in consumer.py (schemas.py's lenient
schemas)."""

from __future__ import annotations

import uuid
from datetime import datetime

from registration.config import PRODUCER
from shared.contracts.events import Event, new_event
from shared.logs import mask_address


def code_invalidated(code_id: uuid.UUID, failed_attempts: int, now: datetime,
                     correlation_id: str | None) -> Event:
    """R4: the code died of too many wrong entries."""
    return new_event("code.invalidated", {"code_id": code_id, "reason": "too_many_attempts",
                                          "failed_attempts": failed_attempts},
                     producer=PRODUCER, now=now, correlation_id=correlation_id)


def code_failure_counted(code_id: uuid.UUID, failed_attempts: int, client_address: str,
                         now: datetime, correlation_id: str | None) -> Event:
    """R4 as it happens: one more failure counted against the code, so the office sees the
    count (and where failures come from, masked) long before the 10th (DESIGN §7)."""
    return new_event("code.failure_counted", {
        "code_id": code_id, "failed_attempts": failed_attempts,
        "client_address": mask_address(client_address)},
        producer=PRODUCER, now=now, correlation_id=correlation_id)


def code_used(code_id: uuid.UUID, account_id: uuid.UUID, now: datetime,
              correlation_id: str | None) -> Event:
    return new_event("code.used", {"code_id": code_id, "account_id": account_id,
                                   "used_at": now},
                     producer=PRODUCER, now=now, correlation_id=correlation_id)


# --- R17, R18 -------------------------------------------------------------------------
def account_email_changed(account_id: uuid.UUID, now: datetime,
                          correlation_id: str | None) -> Event:
    """R17: no address in it (office systems that need the new one ask registration)."""
    return new_event("account.email_changed", {"account_id": account_id, "changed_at": now},
                     producer=PRODUCER, now=now, correlation_id=correlation_id)


def account_closed(account_id: uuid.UUID, job_seeker_number: str, now: datetime,
                   correlation_id: str | None) -> Event:
    """R18: the number is free for a new account (from a new code at the counter)."""
    return new_event("account.closed", {"account_id": account_id,
                                        "job_seeker_number": job_seeker_number,
                                        "closed_at": now, "reason": "withdrawal"},
                     producer=PRODUCER, now=now, correlation_id=correlation_id)


def account_registered(account: dict, correlation_id: str | None) -> Event:
    payload = {key: account[key] for key in (
        "account_id", "job_seeker_number", "email", "registered_at", "privacy_policy_version",
        "terms_of_use_version")}
    return new_event("account.registered", payload, producer=PRODUCER,
                     now=account["registered_at"], correlation_id=correlation_id)


def account_password_changed(account_id: uuid.UUID, how: str, now: datetime,
                             correlation_id: str | None) -> Event:
    """R15 (how=reset), R16 (how=change): no password, no hash, only when."""
    return new_event("account.password_changed", {"account_id": account_id, "how": how,
                                                  "changed_at": now},
                     producer=PRODUCER, now=now, correlation_id=correlation_id)
