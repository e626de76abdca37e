"""The Celery tasks one service hands another through its outbox (point to point, not
events): each task's name, its queue and the strict schema of its keyword arguments.

The producer's `shared.outbox.add_task` validates the arguments against this schema on
the way out; the notifier's task reads them with the same schema, ignoring unknown ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from shared.contracts.formats import KEY_LENGTH
from shared.tokens import is_crockford, normalise_crockford

MAIL = "mail"  # the queue of every mail task: <namespace>.mail
TIMERS = "timers"  # beat's sweep: <namespace>.timers

SEND_AUTH_KEY_MAIL = "notifier.send_auth_key_mail"
SEND_KEY_MAIL = "notifier.send_key_mail"
SEND_NOTICE = "notifier.send_notice"
SWEEP_TIMERS = "notifier.sweep_timers"

LANGUAGES = ("ja", "en")  # the mail's language: Japanese unless the person asked for English
KEY_MAIL_KINDS = ("password_reset_key", "email_change_key")  # R15, R17
NOTICE_KINDS = ("registration_complete", "password_changed", "email_changed", "new_login",
                "account_closed")  # R12 (issue 17), R15/R16, R17, R20, R18


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class SendAuthKeyMail(_Strict):
    """The auth-key mail (R9, R10): the only place the plain key travels."""

    application_id = fields.UUID(required=True)
    email = fields.Email(required=True, validate=validate.Length(max=254))
    auth_key = fields.String(required=True)
    issued_at = fields.AwareDateTime(required=True)
    valid_until = fields.AwareDateTime(required=True, metadata={
        "description": "issued_at + 50 minutes: the notifier stops retrying after it"})
    replaces_earlier = fields.Boolean(load_default=False, metadata={
        "description": "a new step 2 for the same code voided an earlier application (R9): "
                       "the mail says that its key replaces the earlier mail's"})
    language = fields.String(load_default="ja", validate=validate.OneOf(LANGUAGES))

    @validates("auth_key")
    def _key(self, value: str, **_kwargs) -> None:
        _check_key(value)


def _check_key(value: str) -> None:
    if not is_crockford(normalise_crockford(value), KEY_LENGTH):
        raise ValidationError("Not an 8-character key.")


class SendKeyMail(_Strict):
    """A key mail of R15 (password reset) or R17 (email change): like the auth-key mail, the
    plain key travels only here. Its delivery is announced as `notice.mailed` with
    `notice_id` = `mail_id` and the same `kind`; its failure as `notice.delivery_failed`."""

    mail_id = fields.UUID(required=True, metadata={
        "description": "the reset's or the email change's id in registration"})
    kind = fields.String(required=True, validate=validate.OneOf(KEY_MAIL_KINDS))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    key = fields.String(required=True)
    language = fields.String(load_default="ja", validate=validate.OneOf(LANGUAGES))
    issued_at = fields.AwareDateTime(required=True)
    valid_until = fields.AwareDateTime(required=True, metadata={
        "description": "issued_at + 50 minutes: the notifier stops retrying after it"})

    @validates("key")
    def _key(self, value: str, **_kwargs) -> None:
        _check_key(value)


class SendNotice(_Strict):
    """A notice with no secret in it (R12's completion, R15-R18's changes, R20's new
    login). Delivery is announced as `notice.mailed` / `notice.delivery_failed`."""

    notice_id = fields.UUID(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(NOTICE_KINDS))
    email = fields.Email(required=True, validate=validate.Length(max=254))
    language = fields.String(load_default="ja", validate=validate.OneOf(LANGUAGES))
    occurred_at = fields.AwareDateTime(required=True, metadata={
        "description": "when the thing the notice tells of happened"})
    client_address = fields.String(load_default=None, allow_none=True, metadata={
        "description": "R20: the client's address masked to /24 (shared.logs.mask_address)"})
    browser = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(max=100), metadata={
        "description": "R20: the browser family, e.g. 'Firefox on Windows'"})


class SweepTimers(_Strict):
    """Beat's tick: no arguments."""


@dataclass(frozen=True)
class Task:
    queue: str
    arguments: type[Schema]


TASKS: dict[str, Task] = {
    SEND_AUTH_KEY_MAIL: Task(MAIL, SendAuthKeyMail),
    SEND_KEY_MAIL: Task(MAIL, SendKeyMail),
    SEND_NOTICE: Task(MAIL, SendNotice),
    SWEEP_TIMERS: Task(TIMERS, SweepTimers),
}


def queue_name(namespace: str, queue: str) -> str:
    return f"{namespace}.{queue}"


def check_arguments(task: str, kwargs: dict) -> None:
    """Raise ValidationError unless `kwargs` (JSON-ready) are exactly what `task` takes."""
    TASKS[task].arguments().load(kwargs)


def read_arguments(task: str, kwargs: dict) -> dict:
    """A task's arguments loaded (UUIDs, instants...), unknown ones ignored; ValidationError
    names the bad ones."""
    return TASKS[task].arguments().load(kwargs, unknown="exclude")
