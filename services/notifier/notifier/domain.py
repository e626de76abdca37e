"""The notifier's rules, pure: key deadlines, retry decisions and expiry timers (`now` passed in)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

CODE_EXPIRED = "code.expired"
AUTH_KEY_EXPIRED = "auth_key.expired"

# Reasons carried by auth_key.delivery_failed and notice.delivery_failed.
EXPIRED_BEFORE_DELIVERY = "auth_key_expired_before_delivery"
KEY_EXPIRED_BEFORE_DELIVERY = "key_expired_before_delivery"  # a reset or email-change key
RETRY_WINDOW_PASSED = "retry_window_passed"  # a notice still undelivered after its window
REJECTED_BY_MAIL_SERVER = "rejected_by_mail_server"
INVALID_TASK_ARGUMENTS = "invalid_task_arguments"

AUTH_KEY = "auth_key"  # the kind of the auth-key mail (the others: shared.contracts.tasks)


def auth_key_expires_at(delivered_at: datetime, minutes: int) -> datetime:
    """R10: the key is valid `minutes` (50) from the mail's delivery to the mail server."""
    return delivered_at + timedelta(minutes=minutes)


def deadline_shown(handed_at: datetime, minutes: int) -> datetime:
    """The deadline printed in the mail: from the moment the mail is handed to SMTP, cut
    to the minute, so it is never later than the real one (delivery comes a moment after)."""
    return auth_key_expires_at(handed_at, minutes).replace(second=0, microsecond=0)


_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def office_time_text(at: datetime, tz: ZoneInfo, language: str = "ja") -> str:
    """An instant in the office time zone, written as the portal's screens write it
    (portal.domain.local_time): 2026年4月1日 10時50分（日本時間）, or
    1 April 2026, 10:50 (JST)."""
    local = at.astimezone(tz)
    zone = local.tzname() or str(tz)
    if language == "en":
        return f"{local.day} {_EN_MONTHS[local.month - 1]} {local.year}, {local:%H:%M} ({zone})"
    label = "日本時間" if zone == "JST" else zone
    return (f"{local.year}年{local.month}月{local.day}日 "
            f"{local.hour}時{local.minute:02d}分（{label}）")


def notice_deadline(first_attempt_at: datetime, hours: float) -> datetime:
    """A notice carries no key: it is tried for `hours` from its first attempt, then given up."""
    return first_attempt_at + timedelta(hours=hours)


@dataclass(frozen=True)
class RetryPolicy:
    """Short exponential backoff; long countdowns hit RabbitMQ's consumer_timeout (NOTES)."""

    base_seconds: float = 2.0
    max_seconds: float = 30.0

    def backoff(self, retries: int) -> float:
        return min(self.max_seconds, self.base_seconds * (2 ** min(retries, 20)))


@dataclass(frozen=True)
class Retry:
    countdown: float


@dataclass(frozen=True)
class GiveUp:
    reason: str


def may_attempt(now: datetime, valid_until: datetime) -> bool:
    """A mail is sent only while the key it carries can still be used."""
    return now < valid_until


def after_failure(now: datetime, valid_until: datetime, retries: int, permanent: bool,
                  policy: RetryPolicy, expired: str = EXPIRED_BEFORE_DELIVERY) -> Retry | GiveUp:
    """What to do after a failed attempt: retry while the key is valid (a notice: while its
    window lasts), else give up with the reason `expired`.

    The wait never reaches past `valid_until`, so a key that runs out is reported failed
    as soon as it does, not one backoff later.
    """
    if permanent:
        return GiveUp(REJECTED_BY_MAIL_SERVER)
    remaining = (valid_until - now).total_seconds()
    if remaining <= 0:
        return GiveUp(expired)
    return Retry(countdown=min(policy.backoff(retries), remaining))


@dataclass(frozen=True)
class Timer:
    """An expiry to announce: `kind` is the event type, `subject_id` its code or application."""

    kind: str
    subject_id: uuid.UUID
    due_at: datetime

    def is_due(self, now: datetime) -> bool:
        """The sweep's rule (store.claim_due_timers applies it in SQL): due at due_at, not before."""
        return self.due_at <= now

    def payload(self) -> dict:
        """The event payload announcing this expiry; expired_at is when it was due."""
        key = "code_id" if self.kind == CODE_EXPIRED else "application_id"
        return {key: self.subject_id, "expired_at": self.due_at}


def revoked_reason(reason: str) -> str:
    """What a code expiry cancelled by code.revoked records (`revoked:superseded`, the same
    whether code.issued's `supersedes` or the code.revoked comes first)."""
    return f"revoked:{reason}"[:100]


def code_expiry(code_id: uuid.UUID, expires_at: datetime) -> Timer:
    """code.expired is due when the code's validity ends (R2, expires_at of code.issued)."""
    return Timer(CODE_EXPIRED, code_id, expires_at)


def auth_key_expiry(application_id: uuid.UUID, delivered_at: datetime, minutes: int) -> Timer:
    """auth_key.expired is due 50 minutes after the mail's delivery (R10)."""
    return Timer(AUTH_KEY_EXPIRED, application_id, auth_key_expires_at(delivered_at, minutes))
