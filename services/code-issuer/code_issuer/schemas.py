"""Marshmallow schemas: the office API's requests (strict: unknown fields refused), which
build the commands, and its answers; and the office systems' events as the consumer reads
them, more leniently than the catalog on purpose."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from marshmallow import RAISE, Schema, ValidationError, fields, post_load

from code_issuer import domain
from code_issuer.commands import IssueCode, ListCodes, RevokeCode
from code_issuer.messages import BAD_BIRTH_DATE, BAD_NUMBER
from shared.clock import iso
from shared.contracts import events as catalog
from shared.contracts import formats
from shared.tokens import group


class JobSeekerNumber(fields.String):
    """`12345-1234567`; full-width digits and hyphen look-alikes are normalised (R7)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if len(text) > 40 or "\x00" in text:
            raise ValidationError(BAD_NUMBER)
        number = domain.normalise_number(text)
        if number is None:
            raise ValidationError(BAD_NUMBER)
        return number


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

    @post_load
    def _command(self, data, **_kwargs) -> IssueCode:
        return IssueCode(**data)


class CodesQuery(Schema):
    class Meta:
        unknown = RAISE

    job_seeker_number = JobSeekerNumber(required=True)

    @post_load
    def _command(self, data, **_kwargs) -> ListCodes:
        return ListCodes(**data)


class RevokeRequest(Schema):
    """The code named by the path of `POST /v1/codes/{code_id}/revoke`."""

    code_id = fields.UUID(required=True)

    @post_load
    def _command(self, data, **_kwargs) -> RevokeCode:
        return RevokeCode(**data)


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


class WhoAmI(Schema):
    authenticated = fields.Boolean(required=True)


# --- office systems' events, read more leniently than the catalog (issue 9) ---------------
# Office systems are not our code: their job-seeker numbers are normalised as typed ones are
# (R7, full-width digits, look-alike hyphens) instead of refused. Every other field is the
# catalog's own; `born_before_the_event` is the consumer's extra check of the birth dates.
class JobSeekerRegisteredIn(catalog.JobSeekerRegistered):
    job_seeker_number = JobSeekerNumber(required=True)


class JobSeekerCorrectedIn(catalog.JobSeekerCorrected):
    job_seeker_number = JobSeekerNumber(required=True)


class JobSeekerClosedIn(catalog.JobSeekerClosed):
    job_seeker_number = JobSeekerNumber(required=True)


def born_before_the_event(payload: dict, event: catalog.Event, *, tz: ZoneInfo) -> None:
    """A birth date before 1900, or not before the (office) day the event was sent, is
    malformed: the event is dead-lettered."""
    born = payload["birth_date"]
    if born < formats.OLDEST_BIRTH_DATE:
        raise ValidationError({"birth_date": ["Not a plausible birth date."]})
    if born >= event.occurred_at.astimezone(tz).date():
        raise ValidationError({"birth_date": ["A birth date must be in the past."]})
