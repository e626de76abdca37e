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
from shared.contracts.tasks import SEND_AUTH_KEY_MAIL, SWEEP_TIMERS, TIMERS, read_arguments
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
                       valid_until=None, **_unknown):
    """Send the auth-key mail once, retrying while the key is valid (R10). Missing or bad
    arguments are reported as auth_key.delivery_failed, never as a crash."""
    rt = runtime.current()
    raw = {"application_id": application_id, "email": email, "auth_key": auth_key,
           "issued_at": issued_at, "valid_until": valid_until}
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


@shared_task(name=SWEEP_TIMERS, acks_late=True, ignore_result=True)
def sweep_timers():
    """Fire every due expiry timer (claimed in the database: two beats fire nothing twice)."""
    rt = runtime.current()
    usecases.fire_due_timers(rt.pool, commands.FireDueTimers(rt.config.timer_batch),
                             rt.clock.now(), clock=rt.clock)
