"""What each use case of the notifier is asked to do: one frozen dataclass a use case.

Fields are named as the task's arguments (shared.contracts.tasks), the consumed events'
payloads and the store name them (`application_id`, `valid_until`, `code_id`...), so a
field can be followed by name from the message to the SQL. tasks.py builds the task's
commands from its checked arguments; consumer.py the events' from their payloads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime


# --- the Celery tasks (tasks.py) ---------------------------------------------------------
@dataclass(frozen=True)
class SendAuthKeyMail:
    """R9, R10: the auth-key mail, sent once while the key is valid. `retries` is how many
    times the task was tried before (it sets the next wait)."""

    application_id: uuid.UUID
    email: str
    auth_key: str  # normalised (shared.tokens.normalise_crockford)
    issued_at: datetime
    valid_until: datetime
    retries: int = 0
    replaces_earlier: bool = False  # R9: a second step 2 voided the earlier mail's key
    language: str = "ja"


@dataclass(frozen=True)
class ReportUnusableMailTask:
    """A mail task whose other arguments are unusable: registration is told it failed."""

    application_id: uuid.UUID


@dataclass(frozen=True)
class FireDueTimers:
    """Beat's sweep: every due timer fired, `batch` per transaction."""

    batch: int


# --- the code events (consumer.py) -------------------------------------------------------
@dataclass(frozen=True)
class ScheduleCodeExpiry:
    """R2 from `code.issued`: code.expired due at `expires_at`; `supersedes` never expire."""

    code_id: uuid.UUID
    expires_at: datetime
    supersedes: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True)
class CancelCodeExpiry:
    """From `code.revoked` or `code.used`: the code does not expire any more; `reason` is
    what the timer records (`used`, `revoked:<reason>`)."""

    code_id: uuid.UUID
    reason: str


# --- the key mails and notices (tasks.py) --------------------------------------------
@dataclass(frozen=True)
class SendKeyMail:
    """R15, R17: a reset or email-change key mail, sent once while its key is valid."""

    mail_id: uuid.UUID
    kind: str  # shared.contracts.tasks.KEY_MAIL_KINDS
    email: str
    key: str  # normalised (shared.tokens.normalise_crockford)
    language: str
    issued_at: datetime
    valid_until: datetime
    retries: int = 0


@dataclass(frozen=True)
class SendNotice:
    """R12, R15-R20: a notice (no secret in it), sent once, retried for a bounded time."""

    notice_id: uuid.UUID
    kind: str  # shared.contracts.tasks.NOTICE_KINDS
    email: str
    language: str
    occurred_at: datetime
    client_address: str | None = None
    browser: str | None = None
    retries: int = 0


@dataclass(frozen=True)
class ReportUnusableNoticeTask:
    """A key-mail or notice task whose other arguments are unusable: registration is told."""

    notice_id: uuid.UUID
    kind: str
