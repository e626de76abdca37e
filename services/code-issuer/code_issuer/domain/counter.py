"""Issue 17 at the counter: the `Idempotency-Key` of an issue (DESIGN §4) and the
person's account (R12)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

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
