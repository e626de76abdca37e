"""Events the code-issuer produces (built strictly through shared.contracts.events) and the lenient
schemas it reads consumed events with (only the fields it needs, unknown ones ignored)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate, validates_schema

from code_issuer.config import PRODUCER
from code_issuer.domain import normalise_number
from shared.contracts import formats
from shared.contracts.events import Event, masked_address, new_event

# Reasons of code.revoked (DESIGN.md §3).
SUPERSEDED = "superseded"
REVOKED_BY_OFFICE = "revoked_by_office"
HOLDER_CORRECTED = "holder_corrected"
JOB_SEEKER_CLOSED = "job_seeker_closed"


def code_issued(*, code_id: uuid.UUID, number: str, birth_date: date, digest: str,
                issued_at: datetime, expires_at: datetime, supersedes: list[uuid.UUID],
                now: datetime, correlation_id: str | None) -> Event:
    payload = {
        "code_id": code_id, "job_seeker_number": number, "birth_date": birth_date,
        "code_digest": digest, "issued_at": issued_at, "expires_at": expires_at,
        "supersedes": supersedes,
    }
    return new_event("code.issued", payload, producer=PRODUCER, now=now,
                     correlation_id=correlation_id)


def code_revoked(code_id: uuid.UUID, reason: str, *, now: datetime,
                 correlation_id: str | None) -> Event:
    return new_event("code.revoked", {"code_id": code_id, "reason": reason}, producer=PRODUCER,
                     now=now, correlation_id=correlation_id)


class _Lenient(Schema):
    class Meta:
        unknown = EXCLUDE


class JobSeekerNumber(fields.String):
    """`12345-1234567`; full-width digits and hyphen look-alikes are normalised (R7)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 40 or "\x00" in text:
            raise ValidationError("Not a valid job seeker number.")
        number = normalise_number(text)
        if number is None:
            raise ValidationError("Not a valid job seeker number.")
        return number


class CodeInvalidatedIn(_Lenient):
    code_id = fields.UUID(required=True)
    failed_attempts = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


class CodeFailureCountedIn(_Lenient):
    code_id = fields.UUID(required=True)
    failed_attempts = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    # shown to staff as it comes: only a masked network (or "unknown") is accepted
    client_address = fields.String(load_default="unknown", validate=masked_address)


class CodeUsedIn(_Lenient):
    code_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    used_at = fields.AwareDateTime(required=True)


class CodeExpiredIn(_Lenient):
    code_id = fields.UUID(required=True)
    expired_at = fields.AwareDateTime(required=True)


class _BirthDateIn(_Lenient):
    job_seeker_number = JobSeekerNumber(required=True)
    birth_date = fields.Date(required=True)

    @validates_schema
    def _plausible(self, data, **_kwargs):
        born = data.get("birth_date")
        if born is not None and born < formats.OLDEST_BIRTH_DATE:
            raise ValidationError("Not a plausible birth date.", "birth_date")


class JobSeekerRegisteredIn(_BirthDateIn):
    office_id = fields.String(required=True, validate=validate.Length(min=1, max=50))


class JobSeekerCorrectedIn(_BirthDateIn):
    pass


class JobSeekerClosedIn(_Lenient):
    job_seeker_number = JobSeekerNumber(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


def check_birth_date_before(payload: dict, event: Event, tz: ZoneInfo) -> None:
    """A birth date not before the (office) day the event was sent is malformed."""
    if payload["birth_date"] >= event.occurred_at.astimezone(tz).date():
        raise ValidationError({"birth_date": ["A birth date must be in the past."]})
