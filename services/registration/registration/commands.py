"""What each use case of registration is asked to do: one frozen dataclass a use case.

Fields are named as the request schemas, the event payloads and the store name them
(`account_creation_code`, `job_seeker_number`, `application_id`...), so a field can be
followed by name from the edge to the SQL. The public API's requests are built by the
schemas' `post_load`; the consumed events' by the consumer's handlers from the payload.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Caller:
    """Who made a request: recorded in the audit trail, never a secret."""

    client_address: str
    correlation_id: str | None
    language: str = "ja"  # of the mails a request causes: "en" when it asked for English
    user_agent: str | None = None  # R19, R20: read for the browser family only, never kept


# --- the public API's requests (api.py) --------------------------------------------------
@dataclass(frozen=True)
class SubmitApplication:
    """Steps 1-2 (R4-R9): the terms agreed and the identity entered, normalised."""

    privacy_policy_version: str | None
    terms_of_use_version: str | None
    email: str
    job_seeker_number: str
    birth_date: date
    account_creation_code: str


@dataclass(frozen=True)
class RegisterPassword:
    """Step 3 (R10-R12): the application token, the mailed auth key and the password."""

    application_token: str
    auth_key: str
    password: str
    password_confirmation: str


@dataclass(frozen=True)
class LogIn:
    """R13: email and password, checked only for type and size at the edge."""

    email: str
    password: str


@dataclass(frozen=True)
class UseSession:
    """A bearer session token: who is logged in (GET /v1/me), or log out."""

    session_token: str


# --- R19: the account's sessions ------------------------------------------------------------
@dataclass(frozen=True)
class EndSession:
    """End one of the account's open sessions, named by its public id (not its token)."""

    session_token: str
    session_id: uuid.UUID


# --- R15 forgotten password (api.py) ------------------------------------------------------
@dataclass(frozen=True)
class RequestPasswordReset:
    """R15: the identity entered, normalised."""

    email: str
    job_seeker_number: str
    birth_date: date


@dataclass(frozen=True)
class CompletePasswordReset:
    """R15: the reset token, the mailed reset key and the new password."""

    reset_token: str
    reset_key: str
    password: str
    password_confirmation: str


# --- what code-issuer tells (code.*) -------------------------------------------------------
@dataclass(frozen=True)
class RecordIssue:
    code_id: uuid.UUID
    job_seeker_number: str
    birth_date: date
    code_digest: str
    issued_at: datetime
    expires_at: datetime
    supersedes: list[uuid.UUID]


@dataclass(frozen=True)
class RecordRevocation:
    code_id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class RecordExpiry:
    code_id: uuid.UUID
    expired_at: datetime


# --- what the notifier tells (auth_key.*) ------------------------------------------------
@dataclass(frozen=True)
class RecordDelivery:
    application_id: uuid.UUID
    delivered_at: datetime


@dataclass(frozen=True)
class RecordDeliveryFailure:
    application_id: uuid.UUID
    reason: str


@dataclass(frozen=True)
class RecordKeyExpiry:
    application_id: uuid.UUID
    expired_at: datetime


# --- what the notifier tells of key mails and notices (notice.*), R15 -------------------
@dataclass(frozen=True)
class RecordNoticeDelivery:
    notice_id: uuid.UUID
    kind: str
    delivered_at: datetime


@dataclass(frozen=True)
class RecordNoticeDeliveryFailure:
    notice_id: uuid.UUID
    kind: str
    reason: str


# --- the operator's levers (cli.py) --------------------------------------------------------
@dataclass(frozen=True)
class ResendAuthKey:
    application_id: uuid.UUID


# --- R16-R18 with a session (api.py; the bearer token comes as UseSession beside them) ----
@dataclass(frozen=True)
class ChangePassword:
    """R16: the current password, and the new one (R11) with its confirmation."""

    current_password: str
    password: str
    password_confirmation: str


@dataclass(frozen=True)
class RequestEmailChange:
    """R17: the current password and the new address (R6, already equal to its
    confirmation)."""

    current_password: str
    email: str


@dataclass(frozen=True)
class ConfirmEmailChange:
    """R17: the change token of the request's answer and the key mailed to the new
    address."""

    change_token: str
    key: str


@dataclass(frozen=True)
class Withdraw:
    """R18: the current password."""

    current_password: str
