"""The event envelope (DESIGN.md §3) and the strict payload schemas of the catalog."""

from __future__ import annotations

import ipaddress
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from shared.clock import iso
from shared.contracts.formats import DIGEST, JOB_SEEKER_NUMBER
from shared.contracts.tasks import KEY_MAIL_KINDS, NOTICE_KINDS

ENVELOPE_VERSION = 1
_NUMBER = validate.Regexp(JOB_SEEKER_NUMBER)
_DIGEST = validate.Regexp(DIGEST)


class EnvelopeSchema(Schema):
    """What every message on the bus carries; consumers ignore unknown envelope fields."""

    class Meta:
        unknown = EXCLUDE

    event_id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=100))
    version = fields.Integer(required=True, strict=True)
    occurred_at = fields.AwareDateTime(required=True)
    producer = fields.String(required=True, validate=validate.Length(min=1, max=100))
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    payload = fields.Dict(required=True)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class CodeIssued(_Strict):
    code_id = fields.UUID(required=True)
    job_seeker_number = fields.String(required=True, validate=_NUMBER)
    birth_date = fields.Date(required=True)
    code_digest = fields.String(required=True, validate=_DIGEST)
    issued_at = fields.AwareDateTime(required=True)
    expires_at = fields.AwareDateTime(required=True)
    supersedes = fields.List(fields.UUID(), required=True)


class CodeRevoked(_Strict):
    code_id = fields.UUID(required=True)
    reason = fields.String(
        required=True,
        validate=validate.OneOf(
            ["superseded", "revoked_by_office", "holder_corrected", "job_seeker_closed"]
        ),
    )


class JobSeekerRegistered(_Strict):
    job_seeker_number = fields.String(required=True, validate=_NUMBER)
    birth_date = fields.Date(required=True)
    office_id = fields.String(required=True, validate=validate.Length(min=1, max=50))


class JobSeekerCorrected(_Strict):
    job_seeker_number = fields.String(required=True, validate=_NUMBER)
    birth_date = fields.Date(required=True)


class JobSeekerClosed(_Strict):
    job_seeker_number = fields.String(required=True, validate=_NUMBER)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class CodeInvalidated(_Strict):
    code_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["too_many_attempts"]))
    failed_attempts = fields.Integer(required=True, strict=True, validate=validate.Range(min=0))


def masked_address(value: str) -> None:
    """A client address masked as shared.logs.mask_address does: an IPv4 /24 or IPv6 /48
    network, or "unknown". Anything else (a full address above all) is refused."""
    if value == "unknown":
        return
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValidationError("Not a masked client address.") from None
    if network.prefixlen != (24 if network.version == 4 else 48) or str(network) != value:
        raise ValidationError("Not a masked client address.")


class CodeFailureCounted(_Strict):
    code_id = fields.UUID(required=True)
    failed_attempts = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    client_address = fields.String(required=True, validate=masked_address)


class CodeUsed(_Strict):
    code_id = fields.UUID(required=True)
    account_id = fields.UUID(required=True)
    used_at = fields.AwareDateTime(required=True)


class CodeExpired(_Strict):
    code_id = fields.UUID(required=True)
    expired_at = fields.AwareDateTime(required=True)


class AccountRegistered(_Strict):
    account_id = fields.UUID(required=True)
    job_seeker_number = fields.String(required=True, validate=_NUMBER)
    email = fields.String(required=True, validate=validate.Length(min=3, max=100))
    registered_at = fields.AwareDateTime(required=True)
    privacy_policy_version = fields.String(required=True, validate=validate.Length(min=1, max=50))
    terms_of_use_version = fields.String(required=True, validate=validate.Length(min=1, max=50))


class AuthKeyMailed(_Strict):
    application_id = fields.UUID(required=True)
    delivered_at = fields.AwareDateTime(required=True)


class AuthKeyDeliveryFailed(_Strict):
    application_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AuthKeyExpired(_Strict):
    application_id = fields.UUID(required=True)
    expired_at = fields.AwareDateTime(required=True)


class AccountPasswordChanged(_Strict):
    account_id = fields.UUID(required=True)
    how = fields.String(required=True, validate=validate.OneOf(["reset", "change"]))
    changed_at = fields.AwareDateTime(required=True)


class AccountEmailChanged(_Strict):
    """No address in it: office systems that need the new one ask registration."""

    account_id = fields.UUID(required=True)
    changed_at = fields.AwareDateTime(required=True)


class AccountClosed(_Strict):
    account_id = fields.UUID(required=True)
    job_seeker_number = fields.String(required=True, validate=_NUMBER)
    closed_at = fields.AwareDateTime(required=True)
    reason = fields.String(required=True, validate=validate.OneOf(["withdrawal"]))


MAILED_KINDS = KEY_MAIL_KINDS + NOTICE_KINDS  # every mail but the auth key's


class NoticeMailed(_Strict):
    """A key mail or a notice (shared.contracts.tasks: SEND_KEY_MAIL, SEND_NOTICE) was
    accepted by the mail server; for a key mail, its key's 50 minutes start here."""

    notice_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(MAILED_KINDS))
    delivered_at = fields.AwareDateTime(required=True)


class NoticeDeliveryFailed(_Strict):
    notice_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(MAILED_KINDS))
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


CATALOG: dict[str, type[Schema]] = {
    "code.issued": CodeIssued,
    "code.revoked": CodeRevoked,
    "job_seeker.registered": JobSeekerRegistered,
    "job_seeker.corrected": JobSeekerCorrected,
    "job_seeker.closed": JobSeekerClosed,
    "code.invalidated": CodeInvalidated,
    "code.failure_counted": CodeFailureCounted,
    "code.used": CodeUsed,
    "code.expired": CodeExpired,
    "account.registered": AccountRegistered,
    "auth_key.mailed": AuthKeyMailed,
    "auth_key.delivery_failed": AuthKeyDeliveryFailed,
    "auth_key.expired": AuthKeyExpired,
    "account.password_changed": AccountPasswordChanged,
    "account.email_changed": AccountEmailChanged,
    "account.closed": AccountClosed,
    "notice.mailed": NoticeMailed,
    "notice.delivery_failed": NoticeDeliveryFailed,
}


# One instance of each schema, made once: a schema's fields are deep-copied each time one is
# built, which cost more than the load itself; loading and dumping leave an instance as it was.
_SCHEMAS: dict[str, Schema] = {}
_ENVELOPE = EnvelopeSchema()


def dumps(message: Any) -> bytes:
    """A message as UTF-8 JSON text (orjson; the standard library for what orjson refuses:
    keys that are not text, integers past 64 bits), non-ASCII as itself, keys as given.
    Any JSON reader takes it, the office systems' included (docs/events.md)."""
    try:
        return orjson.dumps(message)
    except orjson.JSONEncodeError:
        return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


# 19 digits in a row may be an integer past 64 bits, which orjson would read as a float:
# found by mapping every digit to "0" and searching (both in C, unlike a regular expression).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_LONG_DIGITS = b"0" * 19


def loads(text: str | bytes | bytearray | memoryview) -> Any:
    """JSON text read by orjson, or by the standard library when orjson refuses it (NaN,
    a lone surrogate's escape) or would read it otherwise (an integer past 64 bits), so
    what is read and what is refused stays as before."""
    if isinstance(text, str):
        try:
            raw = text.encode()
        except UnicodeEncodeError:  # a lone surrogate itself: the standard library's error
            return json.loads(text)
    else:
        raw = bytes(text)
    if _LONG_DIGITS not in raw.translate(_DIGITS_AS_ZERO):
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text if isinstance(text, str) else raw)


@dataclass(frozen=True)
class Event:
    event_id: uuid.UUID
    type: str
    occurred_at: datetime
    producer: str
    correlation_id: str
    payload: dict[str, Any]
    version: int = ENVELOPE_VERSION

    def to_message(self) -> dict[str, Any]:
        """The JSON body put on the bus."""
        return {
            "event_id": str(self.event_id),
            "type": self.type,
            "version": self.version,
            "occurred_at": iso(self.occurred_at),
            "producer": self.producer,
            "correlation_id": self.correlation_id,
            "payload": self.payload,
        }

    def to_json(self) -> bytes:
        """The message as the bus carries it: `to_message()` as UTF-8 JSON."""
        return dumps(self.to_message())


def new_event(
    type_: str,
    payload: dict[str, Any],
    *,
    producer: str,
    now: datetime,
    correlation_id: str | None = None,
) -> Event:
    """Build an event, validating its payload strictly against the catalog (producers)."""
    schema = _SCHEMAS.get(type_)
    if schema is None:
        schema = _SCHEMAS[type_] = CATALOG[type_]()
    unknown = set(payload) - set(schema.fields)
    if unknown:
        raise ValidationError({name: ["Unknown field."] for name in sorted(unknown)})
    dumped = schema.dump(payload)
    schema.load(dumped)  # raises ValidationError: a producer never emits a bad event
    return Event(
        event_id=uuid.uuid4(),
        type=type_,
        occurred_at=now,
        producer=producer,
        correlation_id=correlation_id or str(uuid.uuid4()),
        payload=_json_ready(dumped),
    )


def _json_ready(payload: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if isinstance(value, str) and "T" in value and value.endswith("+00:00"):
            value = value[: -len("+00:00")] + "Z"
        out[key] = value
    return out


def parse_envelope(body: Any) -> Event:
    """Read an envelope from the bus; raises ValidationError for anything malformed."""
    if not isinstance(body, dict):
        raise ValidationError({"_schema": ["the message is not a JSON object"]})
    data = _ENVELOPE.load(body)
    return Event(
        event_id=data["event_id"],
        type=data["type"],
        occurred_at=data["occurred_at"],
        producer=data["producer"],
        correlation_id=data["correlation_id"],
        payload=data["payload"],
        version=data["version"],
    )


def read_payload(event: Event, reads: tuple[str, ...] | Schema) -> dict[str, Any]:
    """A consumer's read of only the payload fields it needs, through the catalog's schema
    (or, where a consumer reads more leniently than producers write, its own schema);
    unknown fields are ignored. ValidationError for a missing or bad field."""
    schema = reads if isinstance(reads, Schema) else _reader(event.type, reads)
    return schema.load(event.payload, unknown=EXCLUDE)


_READERS: dict[tuple[str, tuple[str, ...]], Schema] = {}


def _reader(type_: str, reads: tuple[str, ...]) -> Schema:
    """The catalog's schema of `type_` restricted to `reads`, made once per pair (a
    consumer reads the same fields of each event it handles)."""
    key = (type_, tuple(reads))
    schema = _READERS.get(key)
    if schema is None:
        schema = _READERS[key] = CATALOG[type_](only=reads)
    return schema
