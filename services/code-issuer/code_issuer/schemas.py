"""Marshmallow schemas of the office API (requests are strict: unknown fields refused)."""

from __future__ import annotations

from datetime import date, timedelta

from marshmallow import RAISE, Schema, ValidationError, fields

from code_issuer import domain
from code_issuer.events import JobSeekerNumber
from shared.clock import iso
from shared.tokens import group

BAD_BIRTH_DATE = "Not a valid birth date."
BAD_NUMBER = "Not a valid job seeker number."


class BirthDate(fields.String):
    """YYYY-MM-DD, western calendar, a real date before today (office time); R7."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 40 or "\x00" in text:
            raise ValidationError(BAD_BIRTH_DATE)
        born = domain.parse_birth_date(text, self.parent.today)
        if born is None:
            raise ValidationError(BAD_BIRTH_DATE)
        return born

    def _jsonschema_type_mapping(self):
        return {"type": "string", "format": "date"}


class Instant(fields.DateTime):
    """An instant written in UTC ISO 8601 with a Z."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else iso(value)


class IssueRequest(Schema):
    class Meta:
        unknown = RAISE

    job_seeker_number = JobSeekerNumber(required=True, metadata={"example": "12345-1234567"})
    birth_date = BirthDate(
        metadata={"format": "date", "example": "1990-01-02",
                  "description": "Required unless the person is already known."})

    def __init__(self, today: date | None = None, **kwargs):
        super().__init__(**kwargs)
        self.today = today or date.max


class CodesQuery(Schema):
    class Meta:
        unknown = RAISE

    job_seeker_number = JobSeekerNumber(required=True)


class IssuedCode(Schema):
    code_id = fields.UUID(required=True)
    code = fields.String(required=True, metadata={
        "description": "The plain code, shown only in this response (10 characters)."})
    code_display = fields.Function(lambda issued: group(issued.code), metadata={
        "description": "The code in groups for reading aloud, e.g. ABCDE-FGHJK."})
    job_seeker_number = fields.String(required=True)
    issued_at = Instant(required=True)
    expires_at = Instant(required=True, metadata={
        "description": "The first instant the code is no longer valid (exclusive end)."})
    valid_until = fields.Method("_valid_until", metadata={
        "description": "The last second it is valid, in office time (for printing)."})
    superseded = fields.List(fields.UUID(), required=True)

    def __init__(self, tz=None, **kwargs):
        super().__init__(**kwargs)
        self.tz = tz

    def _valid_until(self, issued) -> str:
        return (issued.expires_at - timedelta(seconds=1)).astimezone(self.tz).isoformat()


class CodeView(Schema):
    code_id = fields.UUID(required=True)
    job_seeker_number = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(domain.STATUSES)})
    reason = fields.String(allow_none=True, metadata={
        "description": "Why the code died: superseded, revoked_by_office, holder_corrected, "
                       "job_seeker_closed, too_many_attempts; null otherwise."})
    ended_at = Instant(allow_none=True)
    issued_at = Instant(required=True)
    expires_at = Instant(required=True)
    failed_attempts = fields.Integer(required=True, metadata={
        "description": "Failed step-2 attempts counted against the code so far (R4: the "
                       "10th invalidates it); updated within seconds of each one."})
    used_at = Instant(allow_none=True)
    last_failure_at = Instant(allow_none=True, metadata={
        "description": "When the last failed attempt was counted; null if none."})
    last_failure_from = fields.String(allow_none=True, metadata={
        "description": "Where the last failed attempt came from, masked: an IPv4 /24 or "
                       "IPv6 /48 network, or 'unknown'; null if none.",
        "example": "203.0.113.0/24"})
