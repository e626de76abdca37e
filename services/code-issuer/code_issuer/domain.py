"""The code-issuer's rules (R1-R3 and the job-seeker record of issue 9); no I/O, `now` passed in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared import tokens
from shared.contracts import formats
from shared.errors import Refused

ACTIVE = "active"
ENDED_STATUSES = ("used", "expired", "superseded", "revoked", "invalidated")
STATUSES = (ACTIVE, *ENDED_STATUSES)
# marshmallow's text for a missing field: a birth date the person's record cannot supply
# is answered as the request's own missing field (422 VALIDATION_FAILED naming birth_date).
MISSING = "Missing data for required field."


# --- R1: the code -------------------------------------------------------------------
def new_code() -> str:
    """A fresh random code (made with `secrets`)."""
    return tokens.random_crockford(formats.CODE_LENGTH)


def normalise_code(text: str) -> str | None:
    """The canonical 10 characters of a typed code, or None if it cannot be one."""
    folded = tokens.normalise_crockford(text)
    return folded if tokens.is_crockford(folded, formats.CODE_LENGTH) else None


def code_digest(secret: str, code: str) -> str:
    """The keyed digest stored and published instead of the code (purpose `code`)."""
    return tokens.keyed_digest(secret, code, "code")


# --- R7: input normalisation (the contract's formats) -------------------------------
def normalise_number(text: str) -> str | None:
    """`12345-1234567` from any full-width, look-alike or hyphen-less spelling, or None."""
    return formats.job_seeker_number(text)


def parse_birth_date(text: str, today: date) -> date | None:
    """A real past date written YYYY-MM-DD (western calendar), or None."""
    try:
        return formats.birth_date(text, today)
    except formats.BadBirthDate:
        return None


# --- R2: expiry ---------------------------------------------------------------------
def expires_at(issued_at: datetime, tz: ZoneInfo, validity_days: int = 5) -> datetime:
    """The first instant the code is no longer valid (exclusive end).

    Valid until 23:59:59 office time of the `validity_days`-th day after the issue date,
    so the end is midnight (office time) starting the day after that: issued 4/1 at any
    hour -> valid through 4/6 23:59:59.999999 JST, expired from 4/7 00:00:00 JST.
    """
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    issue_date = issued_at.astimezone(tz).date()
    end_date = issue_date + timedelta(days=validity_days + 1)
    return datetime.combine(end_date, time(0), tzinfo=tz).astimezone(UTC)


def is_expired(expires: datetime, now: datetime) -> bool:
    return now >= expires


def ending(wanted: str, expires: datetime, now: datetime) -> str:
    """How an open code ends when it is superseded (R3) or revoked: `wanted`, unless its
    time already ran out, in which case it died of expiry first (R2)."""
    return "expired" if is_expired(expires, now) else wanted


@dataclass(frozen=True)
class CodeState:
    """What the store keeps about a code's life."""

    ended_status: str | None
    expires_at: datetime


def status(code: CodeState, now: datetime) -> str:
    """active, or why the code died; the first recorded death wins, then time (R2)."""
    if code.ended_status is not None:
        return code.ended_status
    return "expired" if is_expired(code.expires_at, now) else ACTIVE


# --- R3 and issue 9: who may get a code ------------------------------------------------
NEVER = datetime(1970, 1, 1, tzinfo=UTC)  # "as of" of a fact no office event has set yet


@dataclass(frozen=True)
class JobSeeker:
    """What the offices told us about a person; `*_as_of` order late or reordered events."""

    job_seeker_number: str
    birth_date: date | None
    birth_date_as_of: datetime
    office_id: str | None
    announced: bool  # known from an office system's event, not only from an earlier issue
    closed: bool
    closed_reason: str | None
    state_as_of: datetime


def birth_date_for_issue(known: JobSeeker | None, given: date | None,
                         confirmed: bool = False) -> date:
    """The birth date a new code is issued for, or why no code can be issued.

    A person announced by an office event keeps the announced birth date: a different one
    is refused (a correction is the office's `job_seeker.corrected`). A person known only
    from earlier issues (an office without the event integration) takes a different typed
    date only when staff confirm it (issue 17: a silent change made the person's true
    birth date fail later as a mismatch); the new code then supersedes the old ones (R3).
    """
    if known is not None and known.closed:
        raise Refused("JOB_SEEKER_CLOSED")
    if given is None:
        if known is None or known.birth_date is None:
            raise Refused("VALIDATION_FAILED", fields={"birth_date": [MISSING]})
        return known.birth_date
    if known is None or known.birth_date is None or given == known.birth_date:
        return given
    details = {"recorded_birth_date": known.birth_date.isoformat(),
               "birth_date": given.isoformat()}
    if known.announced:
        raise Refused("BIRTH_DATE_MISMATCH", details=details)
    if not confirmed:
        raise Refused("BIRTH_DATE_DIFFERS", details=details)
    return given


def known_after_issue(known: JobSeeker | None, number: str, birth_date: date,
                      now: datetime) -> JobSeeker:
    """The person as recorded by an issue at the counter."""
    if known is None:
        return JobSeeker(number, birth_date, now, None, False, False, None, NEVER)
    if known.birth_date == birth_date:
        return known
    return replace(known, birth_date=birth_date, birth_date_as_of=now)


def _blank(number: str) -> JobSeeker:
    return JobSeeker(number, None, NEVER, None, True, False, None, NEVER)


def after_registered(known: JobSeeker | None, number: str, birth_date: date, office_id: str,
                     at: datetime) -> JobSeeker:
    """`job_seeker.registered`: known (again); a later `closed` still wins over it."""
    person = replace(known or _blank(number), announced=True)
    if at >= person.birth_date_as_of:
        person = replace(person, birth_date=birth_date, birth_date_as_of=at, office_id=office_id)
    if at > person.state_as_of:
        person = replace(person, closed=False, closed_reason=None, state_as_of=at)
    return person


def after_corrected(known: JobSeeker | None, number: str, birth_date: date,
                    at: datetime) -> JobSeeker:
    """`job_seeker.corrected`: the newest correction's birth date is the known one."""
    person = replace(known or _blank(number), announced=True)
    if at >= person.birth_date_as_of:
        person = replace(person, birth_date=birth_date, birth_date_as_of=at)
    return person


def after_closed(known: JobSeeker | None, number: str, reason: str, at: datetime) -> JobSeeker:
    """`job_seeker.closed`: no code until a later `registered`; on a tie, closed wins."""
    person = replace(known or _blank(number), announced=True)
    if at >= person.state_as_of:
        person = replace(person, closed=True, closed_reason=reason, state_as_of=at)
    return person


def revoked_for_birth_date(code_birth_date: date, code_issued_at: datetime,
                           known_birth_date: date | None, corrected_at: datetime | None) -> bool:
    """Whether a birth-date change revokes an active code (reason holder_corrected).

    A code for another birth date than the known one is revoked, and so is every code
    issued before a correction was made; a code issued after it for the corrected date
    stays, so a repeated or late correction does not revoke the code staff re-issued.
    """
    if known_birth_date is not None and code_birth_date != known_birth_date:
        return True
    return corrected_at is not None and code_issued_at < corrected_at


def revoked_by_closing(code_issued_at: datetime, closed_at: datetime, still_closed: bool) -> bool:
    """A closed person keeps no active code; a late `closed` (reopened since) revokes only
    the codes issued before it."""
    return still_closed or code_issued_at < closed_at


# --- DESIGN §4: the Idempotency-Key of an issue ----------------------------------------
IDEMPOTENCY_KEY_MAX = 100
IDEMPOTENCY_WINDOW = timedelta(hours=24)


def valid_idempotency_key(text: str) -> bool:
    """1-100 printable ASCII characters (spaces inside allowed), nothing else."""
    return (0 < len(text) <= IDEMPOTENCY_KEY_MAX and text.strip() != ""
            and all(" " <= ch <= "~" for ch in text))


def issue_request_value(job_seeker_number: str, birth_date: date | None) -> str:
    """What makes two submissions with one key the same request (digested before storing):
    the person and the birth date typed. Staff's confirmation is not part of it, so the
    confirmed resubmission of a refused form is the same request."""
    return f"{job_seeker_number}\x00{birth_date.isoformat() if birth_date else ''}"


def honoured(created_at: datetime, now: datetime) -> bool:
    """An idempotency key is honoured for 24 hours after its first issue."""
    return now - created_at < IDEMPOTENCY_WINDOW


# --- R12 at the counter: the person's account --------------------------------------------
@dataclass(frozen=True)
class Account:
    """One account registration told about (account.registered / account.closed)."""

    registered_at: datetime | None
    closed_at: datetime | None


def account_status(accounts: list[Account]) -> tuple[str, datetime | None]:
    """`open` (since it was registered), `closed` (when the newest one closed) or `none`.

    A `closed` that arrived before its `registered` counts as closed: whatever the arrival
    order, the same events give the same status.
    """
    opened = [a.registered_at for a in accounts
              if a.registered_at is not None and a.closed_at is None]
    if opened:
        return "open", max(opened)
    closed = [a.closed_at for a in accounts if a.closed_at is not None]
    if closed:
        return "closed", max(closed)
    return "none", None
