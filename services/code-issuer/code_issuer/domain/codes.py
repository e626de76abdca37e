"""R1, R2 and R7: the code, its expiry and status, and the formats of typed input."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared import tokens
from shared.contracts import formats

ACTIVE = "active"
ENDED_STATUSES = ("used", "expired", "superseded", "revoked", "invalidated")
STATUSES = (ACTIVE, *ENDED_STATUSES)


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
