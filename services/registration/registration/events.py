"""Events registration reads (lenient schemas) and the ones it produces (strict, shared)."""

from __future__ import annotations

import uuid
from datetime import datetime

from marshmallow import EXCLUDE, Schema, fields, validate

from shared.contracts.events import Event, new_event
from shared.logs import mask_address

PRODUCER = "registration"
CONSUMED = ("code.issued", "code.revoked", "code.expired", "auth_key.mailed",
            "auth_key.delivery_failed", "auth_key.expired")
_NUMBER = validate.Regexp(r"^[0-9]{5}-[0-9]{1,8}$")
_DIGEST = validate.Regexp(r"^[0-9a-f]{64}$")


class _Lenient(Schema):
    """A consumer reads only what it needs and ignores unknown fields."""

    class Meta:
        unknown = EXCLUDE


class CodeIssued(_Lenient):
    code_id = fields.UUID(required=True)
    job_seeker_number = fields.String(required=True, validate=_NUMBER)
    birth_date = fields.Date(required=True)
    code_digest = fields.String(required=True, validate=_DIGEST)
    issued_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    supersedes = fields.List(fields.UUID(), load_default=list)


class CodeRevoked(_Lenient):
    code_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=100))


class CodeExpired(_Lenient):
    code_id = fields.UUID(required=True)
    expired_at = fields.AwareDateTime(required=True)


class AuthKeyMailed(_Lenient):
    application_id = fields.UUID(required=True)
    delivered_at = fields.AwareDateTime(required=True)


class AuthKeyDeliveryFailed(_Lenient):
    application_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


class AuthKeyExpired(_Lenient):
    application_id = fields.UUID(required=True)
    expired_at = fields.AwareDateTime(required=True)


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


def account_registered(account: dict, correlation_id: str | None) -> Event:
    payload = {key: account[key] for key in (
        "account_id", "job_seeker_number", "email", "registered_at", "privacy_policy_version",
        "terms_of_use_version")}
    return new_event("account.registered", payload, producer=PRODUCER,
                     now=account["registered_at"], correlation_id=correlation_id)
