"""The Celery tasks: thin entry points, as api.py is elsewhere. Names, queues and argument
schemas are the contract's (shared.contracts.tasks); each task reads its arguments into a
command, calls one use case with the process's runtime, and turns the outcome into what
Celery understands (a retry). The beat schedule is beside them."""

from __future__ import annotations

import logging
import uuid

import psycopg
from celery import Task, shared_task
from marshmallow import ValidationError
from psycopg_pool import PoolTimeout

from notifier import commands, domain, runtime, usecases
from notifier.config import Config
from notifier.usecases import notices
from shared.contracts.events import MAILED_KINDS
from shared.contracts.tasks import (
    SEND_AUTH_KEY_MAIL,
    SEND_KEY_MAIL,
    SEND_NOTICE,
    SWEEP_TIMERS,
    TIMERS,
    read_arguments,
)
from shared.logs import set_correlation
from shared.tokens import normalise_crockford

log = logging.getLogger(__name__)


def beat_schedule(config: Config) -> dict:
    """One sweep every few seconds on the timers queue; a sweep older than one interval
    is dropped (the next one does its work), so a stopped worker finds no pile-up."""
    return {
        "sweep-expiry-timers": {
            "task": SWEEP_TIMERS,
            "schedule": config.timer_sweep_seconds,
            "options": {"queue": config.queue(TIMERS), "expires": config.timer_sweep_seconds},
        },
    }


def given(raw: dict) -> dict:
    """The arguments the message had (a missing one stays missing, so the contract's
    defaults apply and a required one is named as missing)."""
    return {name: value for name, value in raw.items() if value is not None}


def read_mail_command(kwargs: dict, retries: int = 0) -> commands.SendAuthKeyMail:
    """The task's kwargs checked by the contract's schema (unknown ones ignored) and the
    key normalised; ValidationError names the bad ones."""
    args = read_arguments(SEND_AUTH_KEY_MAIL, kwargs)
    return commands.SendAuthKeyMail(**{**args, "auth_key": normalise_crockford(args["auth_key"])},
                                    retries=retries)


class SecretArgumentsTask(Task):
    """Every message this task sends (its retries included) shows no arguments in logs:
    they hold the plain auth key and the address."""

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, link=None,
                    link_error=None, shadow=None, **options):
        options.setdefault("argsrepr", "()")
        options["kwargsrepr"] = "{...}"
        return super().apply_async(args, kwargs, task_id, producer, link, link_error, shadow,
                                   **options)


# The parameters are the contract's fields (tests/unit/test_task_arguments.py checks it).
@shared_task(bind=True, base=SecretArgumentsTask, name=SEND_AUTH_KEY_MAIL, acks_late=True,
             reject_on_worker_lost=True, max_retries=None, ignore_result=True)
def send_auth_key_mail(self, application_id=None, email=None, auth_key=None, issued_at=None,
                       valid_until=None, replaces_earlier=None, language=None, **_unknown):
    """Send the auth-key mail once, retrying while the key is valid (R10). Missing or bad
    arguments are reported as auth_key.delivery_failed, never as a crash."""
    rt = runtime.current()
    raw = given({"application_id": application_id, "email": email, "auth_key": auth_key,
                 "issued_at": issued_at, "valid_until": valid_until,
                 "replaces_earlier": replaces_earlier, "language": language})
    # the correlation id of the HTTP request that caused the mail (set by the outbox relay)
    correlation_id = set_correlation(
        getattr(self.request, "origin_correlation_id", None) or self.request.id)
    try:
        cmd = read_mail_command(raw, self.request.retries)
    except ValidationError as exc:
        log.error("auth-key mail task refused: bad arguments", extra={"fields": sorted(exc.messages)})
        try:
            unusable = commands.ReportUnusableMailTask(uuid.UUID(str(application_id)))
        except ValueError:
            return  # without an application id there is nobody to tell
        usecases.report_unusable_mail_task(rt.pool, unusable, rt.clock.now(),
                                           correlation_id=correlation_id)
        return
    policy = domain.RetryPolicy(rt.config.retry_base_seconds, rt.config.retry_max_seconds)
    try:
        outcome = usecases.send_auth_key_mail(rt.pool, cmd, rt.clock.now(), mailer=rt.mailer,
                                              clock=rt.clock, config=rt.config,
                                              correlation_id=correlation_id)
    except (psycopg.OperationalError, PoolTimeout) as exc:
        if not domain.may_attempt(rt.clock.now(), cmd.valid_until):
            log.error("auth-key mail abandoned: database unavailable until the key expired",
                      extra={"application_id": str(cmd.application_id)})
            return
        log.warning("auth-key mail: database unavailable; will retry",
                    extra={"error": type(exc).__name__})
        raise self.retry(countdown=policy.backoff(self.request.retries)) from None
    if isinstance(outcome, domain.Retry):
        raise self.retry(countdown=outcome.countdown)
    if isinstance(outcome, usecases.Busy):
        raise self.retry(countdown=policy.backoff(0))


def read_key_mail_command(kwargs: dict, retries: int = 0) -> commands.SendKeyMail:
    """send_key_mail's kwargs checked by the contract's schema, the key normalised."""
    args = read_arguments(SEND_KEY_MAIL, kwargs)
    return commands.SendKeyMail(**{**args, "key": normalise_crockford(args["key"])},
                                retries=retries)


def read_notice_command(kwargs: dict, retries: int = 0) -> commands.SendNotice:
    """send_notice's kwargs checked by the contract's schema."""
    return commands.SendNotice(**read_arguments(SEND_NOTICE, kwargs), retries=retries)


@shared_task(bind=True, base=SecretArgumentsTask, name=SEND_KEY_MAIL, acks_late=True,
             reject_on_worker_lost=True, max_retries=None, ignore_result=True)
def send_key_mail(self, mail_id=None, kind=None, email=None, key=None, language=None,
                  issued_at=None, valid_until=None, **_unknown):
    """R15, R17: send a reset or email-change key mail once, retrying while its key is valid;
    bad arguments are reported as notice.delivery_failed, never as a crash."""
    raw = given({"mail_id": mail_id, "kind": kind, "email": email, "key": key,
                 "language": language, "issued_at": issued_at, "valid_until": valid_until})
    _send_notice(self, raw, read_key_mail_command, notices.send_key_mail, mail_id, kind,
                 lambda cmd, _config: cmd.valid_until)


@shared_task(bind=True, base=SecretArgumentsTask, name=SEND_NOTICE, acks_late=True,
             reject_on_worker_lost=True, max_retries=None, ignore_result=True)
def send_notice(self, notice_id=None, kind=None, email=None, language=None, occurred_at=None,
                client_address=None, browser=None, **_unknown):
    """R12, R15-R20: send a notice once, retrying for NOTICE_RETRY_HOURS; bad arguments are
    reported as notice.delivery_failed, never as a crash."""
    raw = given({"notice_id": notice_id, "kind": kind, "email": email, "language": language,
                 "occurred_at": occurred_at, "client_address": client_address,
                 "browser": browser})
    # With the database down the row's window is unknown: bound the retries by occurred_at's.
    _send_notice(self, raw, read_notice_command, notices.send_notice, notice_id, kind,
                 lambda cmd, config: domain.notice_deadline(cmd.occurred_at,
                                                            config.notice_retry_hours))


def _send_notice(task: Task, raw: dict, read, send, notice_id, kind, deadline) -> None:
    """What both tasks do: read, call the use case, turn its outcome into a retry."""
    rt = runtime.current()
    correlation_id = set_correlation(
        getattr(task.request, "origin_correlation_id", None) or task.request.id)
    try:
        cmd = read(raw, task.request.retries)
    except ValidationError as exc:
        log.error("mail task refused: bad arguments",
                  extra={"task": task.name, "fields": sorted(exc.messages)})
        try:
            unusable = commands.ReportUnusableNoticeTask(uuid.UUID(str(notice_id)), kind)
        except ValueError:
            return  # without a notice id there is nobody to tell
        if kind not in MAILED_KINDS:
            return  # nor without a kind the event can name
        notices.report_unusable_notice_task(rt.pool, unusable, rt.clock.now(),
                                            correlation_id=correlation_id)
        return
    policy = domain.RetryPolicy(rt.config.retry_base_seconds, rt.config.retry_max_seconds)
    try:
        outcome = send(rt.pool, cmd, rt.clock.now(), mailer=rt.mailer, clock=rt.clock,
                       config=rt.config, correlation_id=correlation_id)
    except (psycopg.OperationalError, PoolTimeout) as exc:
        if not domain.may_attempt(rt.clock.now(), deadline(cmd, rt.config)):
            log.error("mail abandoned: database unavailable until its deadline",
                      extra={"notice_id": str(notice_id), "kind": kind})
            return
        log.warning("mail: database unavailable; will retry",
                    extra={"error": type(exc).__name__})
        raise task.retry(countdown=policy.backoff(task.request.retries)) from None
    if isinstance(outcome, domain.Retry):
        raise task.retry(countdown=outcome.countdown)
    if isinstance(outcome, usecases.Busy):
        raise task.retry(countdown=policy.backoff(0))


@shared_task(name=SWEEP_TIMERS, acks_late=True, ignore_result=True)
def sweep_timers():
    """Fire every due expiry timer (claimed in the database: two beats fire nothing twice)."""
    rt = runtime.current()
    usecases.fire_due_timers(rt.pool, commands.FireDueTimers(rt.config.timer_batch),
                             rt.clock.now(), clock=rt.clock)
