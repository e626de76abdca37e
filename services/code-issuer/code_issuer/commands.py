"""What each use case of the code-issuer is asked to do: one frozen dataclass a use case.

Fields are named as the request schemas, the event payloads and the store name them
(`job_seeker_number`, `birth_date`, `code_id`...), so a field can be followed by name from
the edge to the SQL. The office's requests are built by the schemas' `post_load`; the
consumed events' by the consumer's handlers from the payload and the envelope's time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime


# --- the office's requests (api.py) -----------------------------------------------------
@dataclass(frozen=True)
class IssueCode:
    """R1-R3: a new code for a person; `birth_date` may be left out once they are known."""

    job_seeker_number: str
    birth_date: date | None = None
    # Issue 17: staff confirmed issuing for a birth date other than the one on record.
    birth_date_confirmed: bool = False
    # DESIGN §4: the `Idempotency-Key` header (None: every submission issues).
    idempotency_key: str | None = None


@dataclass(frozen=True)
class RevokeCode:
    code_id: uuid.UUID


@dataclass(frozen=True)
class ListCodes:
    job_seeker_number: str


@dataclass(frozen=True)
class ShowJobSeeker:
    """R12 at the counter: what is known of a person, with their account's status."""

    job_seeker_number: str


# --- what registration and the notifier tell (code.*) -----------------------------------
@dataclass(frozen=True)
class RecordInvalidation:
    """R4: `code.invalidated`, at the event's time."""

    code_id: uuid.UUID
    failed_attempts: int
    invalidated_at: datetime


@dataclass(frozen=True)
class RecordFailure:
    """Issue 13 item 9: `code.failure_counted`, at the event's time."""

    code_id: uuid.UUID
    failed_attempts: int
    client_address: str  # masked by the producer
    failed_at: datetime


@dataclass(frozen=True)
class RecordUse:
    code_id: uuid.UUID
    account_id: uuid.UUID
    used_at: datetime


@dataclass(frozen=True)
class RecordExpiry:
    code_id: uuid.UUID
    expired_at: datetime


# --- what registration tells of accounts (account.*, R12 and R18) ----------------------
@dataclass(frozen=True)
class RecordAccountRegistered:
    account_id: uuid.UUID
    job_seeker_number: str
    registered_at: datetime


@dataclass(frozen=True)
class RecordAccountClosed:
    account_id: uuid.UUID
    job_seeker_number: str
    closed_at: datetime


# --- what office systems tell (job_seeker.*, issue 9) -----------------------------------
@dataclass(frozen=True)
class RegisterJobSeeker:
    job_seeker_number: str
    birth_date: date
    office_id: str
    registered_at: datetime


@dataclass(frozen=True)
class CorrectJobSeeker:
    job_seeker_number: str
    birth_date: date
    corrected_at: datetime


@dataclass(frozen=True)
class CloseJobSeeker:
    job_seeker_number: str
    reason: str
    closed_at: datetime
