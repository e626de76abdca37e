"""The notifier's Celery app: `celery -A notifier.celery_app worker` and `... beat`."""

from __future__ import annotations

import logging

from celery import Celery, signals

from notifier import tasks
from notifier.config import Config
from shared.logs import configure
from shared.outbox import task_queue

config = Config.from_env()

app = Celery("notifier")
app.conf.update(
    broker_url=config.broker_url,
    broker_connection_retry_on_startup=True,
    # JSON only, no results: the tasks report through the outbox, not a result backend.
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    result_backend=None,
    task_ignore_result=True,
    # At-least-once: a task is acknowledged after it ran, and requeued if its process dies.
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    # On broker loss a running mail task finishes and records its result; its redelivered
    # message then finds the mail sent. Cancelling it could kill it between SMTP and commit.
    worker_cancel_long_running_tasks_on_connection_loss=False,
    # Queues exactly as the outbox relay declares them (classic, durable, direct exchange).
    task_queues=[task_queue(config.mail_queue), task_queue(config.timers_queue)],
    task_default_queue=config.mail_queue,
    task_default_exchange=config.mail_queue,
    task_default_routing_key=config.mail_queue,
    task_create_missing_queues=False,
    task_routes={
        tasks.SEND_AUTH_KEY_MAIL: {"queue": config.mail_queue},
        tasks.SWEEP_TIMERS: {"queue": config.timers_queue},
    },
    # Timers live in the database, so beat keeps no state of its own (--schedule is unused).
    beat_scheduler="celery.beat:Scheduler",
    beat_schedule=tasks.beat_schedule(config),
    beat_max_loop_interval=max(1.0, config.timer_sweep_seconds),
    enable_utc=True,
    timezone="UTC",
    worker_hijack_root_logger=False,
    worker_redirect_stdouts=False,
)


class TaskArgumentsFilter(logging.Filter):
    """Celery logs a task's arguments from the message's argsrepr/kwargsrepr, or their full
    repr when a producer left those out; the auth key would then reach the log. Never show them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for holder in (record.args, getattr(record, "data", None)):
            if isinstance(holder, dict):
                if "args" in holder:
                    holder["args"] = "()"
                if "kwargs" in holder:
                    holder["kwargs"] = "{...}"
        return True


@signals.worker_ready.connect
def _serve_health(**_kwargs) -> None:
    """/healthz, /readyz and /metrics on NOTIFIER_HEALTH_PORT (the worker's main process)."""
    from notifier.health import serve

    try:
        serve(config)
    except OSError as exc:  # a second worker on the same host: it still works, unprobed
        logging.getLogger(__name__).warning("health endpoints not started",
                                            extra={"error": str(exc)})


@signals.setup_logging.connect
def _setup_logging(**_kwargs) -> None:
    """JSON logs masking addresses and secrets, instead of Celery's own setup."""
    configure("notifier", config.log_level)
    for handler in logging.getLogger().handlers:
        handler.addFilter(TaskArgumentsFilter())
