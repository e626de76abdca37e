"""Pure rules of codes, applications and sessions (R4, R5, R9, R10, R13); `now` comes in.
No I/O and no HTTP: a refusal is its code, edge.REFUSALS gives its status."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

ACTIVE = "active"
# R5: why a fully matching code is refused (the refusal's code, DESIGN.md §4); told only
# when the whole triple matches.
REFUSALS = {
    "used": "CODE_ALREADY_USED",
    "invalidated": "CODE_INVALIDATED",
    "superseded": "CODE_SUPERSEDED",
    "revoked": "CODE_REVOKED",
    "expired": "CODE_EXPIRED",
}
IDENTITY_MISMATCH = "IDENTITY_MISMATCH"


@dataclass(frozen=True)
class Code:
    """Registration's view of one account creation code, built from code.* events."""

    code_id: uuid.UUID
    job_seeker_number: str | None
    birth_date: date | None
    issued_at: datetime | None
    expires_at: datetime | None
    failed_attempts: int = 0
    invalidated_at: datetime | None = None
    revoked_at: datetime | None = None
    revoke_reason: str | None = None
    superseded_at: datetime | None = None
    expired_at: datetime | None = None
    used_at: datetime | None = None


def code_status(code: Code, now: datetime) -> str:
    """active, or why not: the first of used, invalidated, superseded, revoked, expired."""
    if code.used_at is not None:
        return "used"
    if code.invalidated_at is not None:
        return "invalidated"
    if code.superseded_at is not None or code.revoke_reason == "superseded":
        return "superseded"
    if code.revoked_at is not None:
        return "revoked"
    if code.issued_at is None or code.expires_at is None:
        return "revoked"  # a tombstone: its issue has not arrived yet
    # R2 is enforced here with the app clock: beat's code.expired may come late.
    if code.expired_at is not None or now >= code.expires_at:
        return "expired"
    return ACTIVE


def identity_matches(code: Code | None, job_seeker_number: str, birth_date: date) -> bool:
    """The code entered belongs to the number and birth date entered (any status)."""
    return (
        code is not None
        and code.job_seeker_number == job_seeker_number
        and code.birth_date == birth_date
    )


def identity_refusal(
    by_value: Code | None, job_seeker_number: str, birth_date: date, now: datetime
) -> str | None:
    """None when the triple matches an active code; else the refusal's code (R5)."""
    if not identity_matches(by_value, job_seeker_number, birth_date):
        return IDENTITY_MISMATCH
    status = code_status(by_value, now)
    return None if status == ACTIVE else REFUSALS[status]


def codes_to_charge(by_number: Code | None, by_value: Code | None, now: datetime) -> list[uuid.UUID]:
    """R4: a failed step 2 counts once against the active code of the number entered and
    once against the active code whose value was entered, if that is another one.
    Sorted, so concurrent transactions lock rows in one order."""
    ids = {
        code.code_id
        for code in (by_number, by_value)
        if code is not None and code_status(code, now) == ACTIVE
    }
    return sorted(ids)


def mail_window_start(now: datetime) -> datetime:
    """R9: auth-key mails are counted over the last hour."""
    return now - timedelta(hours=1)


def auth_key_valid_until(
    issued_at: datetime, delivered_at: datetime | None, minutes: int = 50
) -> datetime:
    """R10: 50 minutes from the mail's delivery, from the key's issue while unknown."""
    start = delivered_at if delivered_at is not None else issued_at
    return start + timedelta(minutes=minutes)


def auth_key_expired(
    issued_at: datetime, delivered_at: datetime | None, now: datetime, minutes: int = 50
) -> bool:
    return now >= auth_key_valid_until(issued_at, delivered_at, minutes)


@dataclass(frozen=True)
class SessionTimes:
    created_at: datetime
    last_seen_at: datetime


def session_expires_at(
    times: SessionTimes, idle: timedelta, absolute: timedelta
) -> datetime:
    """R13: the earlier of idle expiry (from last use) and absolute expiry (from login)."""
    return min(times.last_seen_at + idle, times.created_at + absolute)


def session_active(
    times: SessionTimes, now: datetime, idle: timedelta, absolute: timedelta
) -> bool:
    return now < session_expires_at(times, idle, absolute)


# R19: a session's last use is written at most once a minute, so a request is no write;
# idle expiry may come up to that much early, never late.
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)


def session_touch_due(last_seen_at: datetime, now: datetime) -> bool:
    return now - last_seen_at >= SESSION_TOUCH_INTERVAL
