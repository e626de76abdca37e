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
SWEEP_TIMERS = "notifier.sweep_timers"


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

    @validates("auth_key")
    def _key(self, value: str, **_kwargs) -> None:
        if not is_crockford(normalise_crockford(value), KEY_LENGTH):
            raise ValidationError("Not an 8-character auth key.")


class SweepTimers(_Strict):
    """Beat's tick: no arguments."""


@dataclass(frozen=True)
class Task:
    queue: str
    arguments: type[Schema]


TASKS: dict[str, Task] = {
    SEND_AUTH_KEY_MAIL: Task(MAIL, SendAuthKeyMail),
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
