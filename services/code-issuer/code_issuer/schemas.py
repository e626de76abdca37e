"""Marshmallow schemas: the office API's requests (strict: unknown fields refused), which
build the commands, and its answers; and the office systems' events as the consumer reads
them, more leniently than the catalog on purpose."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from marshmallow import RAISE, Schema, ValidationError, fields, post_load

from code_issuer import domain
from code_issuer.commands import IssueCode, ListCodes, RevokeCode, ShowJobSeeker
from code_issuer.messages import BAD_BIRTH_DATE, BAD_IDEMPOTENCY_KEY, BAD_NUMBER
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
    birth_date_confirmed = fields.Boolean(load_default=False, metadata={
        "description": "Staff confirmed issuing for a birth date other than the one on record "
                       "(a person known only from earlier issues); without it such a request "
                       "is refused with 409 BIRTH_DATE_DIFFERS."})

    def __init__(self, today: date | None = None, **kwargs):
        super().__init__(**kwargs)
        self.today = today or date.max

    @post_load
    def _command(self, data, **_kwargs) -> IssueCode:
        return IssueCode(**data)


IDEMPOTENCY_HEADER = "Idempotency-Key"


def idempotency_key(header: str | None) -> str | None:
    """The `Idempotency-Key` header (1-100 printable characters), or None when absent;
    a ValidationError naming the header otherwise."""
    if header is None:
        return None
    if not domain.valid_idempotency_key(header):
        raise ValidationError({IDEMPOTENCY_HEADER: [BAD_IDEMPOTENCY_KEY]})
    return header


class CodesQuery(Schema):
    class Meta:
        unknown = RAISE

    job_seeker_number = JobSeekerNumber(required=True)

    @post_load
    def _command(self, data, **_kwargs) -> ListCodes:
        return ListCodes(**data)


class JobSeekerPath(Schema):
    """The person named by the path of `GET /v1/job-seekers/{job_seeker_number}`."""

    job_seeker_number = JobSeekerNumber(required=True)

    @post_load
    def _command(self, data, **_kwargs) -> ShowJobSeeker:
        return ShowJobSeeker(**data)


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
    birth_date = fields.Date(required=True, metadata={
        "description": "The birth date the code was issued for (printed on the slip)."})
    issued_at = Instant(required=True)
    expires_at = Instant(required=True, metadata={
        "description": "The first instant the code is no longer valid (exclusive end)."})
    valid_until = fields.Method("_valid_until", metadata={
        "description": "The last second it is valid, in office time (for printing)."})
    superseded = fields.List(fields.UUID(), required=True)
    already_issued = fields.Boolean(required=True, metadata={
        "description": "false: this request issued the code."})

    def __init__(self, tz=None, **kwargs):
        super().__init__(**kwargs)
        self.tz = tz

    def _valid_until(self, issued) -> str:
        return (issued.expires_at - timedelta(seconds=1)).astimezone(self.tz).isoformat()


class AlreadyIssued(IssuedCode):
    """The 200 answer to a repeated `Idempotency-Key`: the first answer without its code."""

    class Meta:
        exclude = ("code", "code_display")

    already_issued = fields.Boolean(required=True, metadata={
        "description": "true: nothing was issued now; the plain code was shown only once."})
    status = fields.String(required=True, metadata={
        "enum": list(domain.STATUSES), "description": "The code's status now."})


class JobSeekerView(Schema):
    """R12 at the counter: what is known of a person and whether they have an account."""

    job_seeker_number = fields.String(required=True)
    known = fields.Boolean(required=True, metadata={
        "description": "Told by an office system or recorded by an earlier issue."})
    birth_date = fields.Date(allow_none=True, metadata={
        "description": "The birth date on record (null when unknown)."})
    closed = fields.Boolean(required=True, metadata={
        "description": "The job seeker's registration has ended (job_seeker.closed)."})
    account_status = fields.String(required=True, metadata={
        "enum": ["open", "closed", "none"],
        "description": "open: the person has a My Page account (R12: a new code cannot open "
                       "a second one); closed: their account was closed (R18, a new code "
                       "can open a new one); none: no account known."})
    account_since = Instant(allow_none=True, metadata={
        "description": "open: when the account was registered; closed: when it was closed; "
                       "null for none."})


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
