"""R3 and issue 9: who may get a code, and the person as the offices' events tell."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from shared.errors import Refused

# marshmallow's text for a missing field: a birth date the person's record cannot supply
# is answered as the request's own missing field (422 VALIDATION_FAILED naming birth_date).
MISSING = "Missing data for required field."
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
