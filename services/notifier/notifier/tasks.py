"""Celery tasks (thin entrypoints) and the beat schedule beside them."""

from __future__ import annotations

import logging
import uuid

import psycopg
from celery import Task, shared_task
from marshmallow import ValidationError
from psycopg_pool import PoolTimeout

from notifier import runtime
from notifier.config import Config
from notifier.delivery import (
    Busy,
    Retry,
    deliver_auth_key_mail,
    read_mail_request,
    refuse_invalid_request,
)
from notifier.domain import RetryPolicy, may_attempt
from notifier.timers import fire_due_timers
from shared.logs import set_correlation

log = logging.getLogger(__name__)

SEND_AUTH_KEY_MAIL = "notifier.send_auth_key_mail"
SWEEP_TIMERS = "notifier.sweep_timers"


def beat_schedule(config: Config) -> dict:
    """One sweep every few seconds on the timers queue; a sweep older than one interval
    is dropped (the next one does its work), so a stopped worker finds no pile-up."""
    return {
        "sweep-expiry-timers": {
            "task": SWEEP_TIMERS,
            "schedule": config.timer_sweep_seconds,
            "options": {"queue": config.timers_queue, "expires": config.timer_sweep_seconds},
        },
    }


class SecretArgumentsTask(Task):
    """Every message this task sends (its retries included) shows no arguments in logs:
    they hold the plain auth key and the address."""

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, link=None,
                    link_error=None, shadow=None, **options):
        options.setdefault("argsrepr", "()")
        options["kwargsrepr"] = "{...}"
        return super().apply_async(args, kwargs, task_id, producer, link, link_error, shadow,
                                   **options)


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
        request = read_mail_request(raw)
    except ValidationError as exc:
        log.error("auth-key mail task refused: bad arguments", extra={"fields": sorted(exc.messages)})
        try:
            refuse_invalid_request(rt.pool, rt.clock, uuid.UUID(str(application_id)), correlation_id)
        except ValueError:
            pass  # without an application id there is nobody to tell
        return
    policy = RetryPolicy(rt.config.retry_base_seconds, rt.config.retry_max_seconds)
    try:
        outcome = deliver_auth_key_mail(rt.pool, rt.mailer, rt.clock, rt.config, request,
                                        self.request.retries, correlation_id)
    except (psycopg.OperationalError, PoolTimeout) as exc:
        if not may_attempt(rt.clock.now(), request.valid_until):
            log.error("auth-key mail abandoned: database unavailable until the key expired",
                      extra={"application_id": str(request.application_id)})
            return
        log.warning("auth-key mail: database unavailable; will retry",
                    extra={"error": type(exc).__name__})
        raise self.retry(countdown=policy.backoff(self.request.retries)) from None
    if isinstance(outcome, Retry):
        raise self.retry(countdown=outcome.countdown)
    if isinstance(outcome, Busy):
        raise self.retry(countdown=policy.backoff(0))


@shared_task(name=SWEEP_TIMERS, acks_late=True, ignore_result=True)
def sweep_timers():
    """Fire every due expiry timer (claimed in the database: two beats fire nothing twice)."""
    rt = runtime.current()
    fire_due_timers(rt.pool, rt.clock, rt.config.timer_batch)
