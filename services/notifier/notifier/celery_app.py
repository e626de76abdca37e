"""The notifier's Celery app: `celery -A notifier.celery_app worker` and `... beat`."""

from __future__ import annotations

import logging

from celery import Celery, signals

from notifier import tasks
from notifier.config import Config
from shared import probes
from shared.logs import configure
from shared.outbox import declare_task_queue, task_queue

config = Config.from_env()


class NotifierCelery(Celery):
    """Celery with whole-second countdowns. With quorum queues a retry's countdown travels
    through Celery's native delayed delivery, which routes by whole seconds and refuses a
    countdown under one (kombu's calculate_routing_key raises; the task would be rejected
    and its mail lost): such countdowns are rounded up to one second."""

    def send_task(self, name, args=None, kwargs=None, countdown=None, eta=None, **options):
        if countdown is not None and 0 < countdown < 1:
            countdown = 1
        return super().send_task(name, args, kwargs, countdown=countdown, eta=eta, **options)


app = NotifierCelery("notifier")
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
    # Queues exactly as the outbox relay declares them (quorum queues behind topic exchanges,
    # shared.outbox.task_queue). With quorum queues Celery uses per-consumer prefetch (no
    # global QoS) and native delayed delivery for the retries' countdowns.
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


def use_broker_queues(celery: Celery = app) -> None:
    """Declare the task queues; where the broker still holds an earlier version's classic
    queue of the same name, consume from and publish to that one as it is (no start-up
    failure on PRECONDITION_FAILED; shared.outbox.declare_task_queue logs the way out).
    With the broker down, the quorum definitions stay and Celery declares them later."""
    queues = celery.amqp.queues
    try:
        with celery.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1)
            for name in list(queues):
                found = declare_task_queue(connection, name)
                if found.queue_arguments != queues[name].queue_arguments:
                    queues.select_add(found)
    except Exception as exc:  # noqa: BLE001 - broker unreachable: Celery keeps retrying
        logging.getLogger(__name__).warning("task queues not checked at start",
                                            extra={"error": str(exc)[:200]})


@signals.worker_init.connect
def _worker_queues(**_kwargs) -> None:
    use_broker_queues()


@signals.beat_init.connect
def _beat_start(**_kwargs) -> None:
    """Beat publishes the timer sweeps: same queues; its probes on HEALTH_PORT (9123)."""
    use_broker_queues()
    probes.serve("notifier-beat", {})
    probes.watch_broker(config.broker_url)


@signals.worker_ready.connect
def _serve_health(**_kwargs) -> None:
    """/healthz, /readyz and /metrics on NOTIFIER_HEALTH_PORT (the worker's main process)."""
    from notifier.health import serve

    serve(config)  # a port already taken is logged; the worker still works, unprobed


@signals.setup_logging.connect
def _setup_logging(**_kwargs) -> None:
    """JSON logs masking addresses and secrets, instead of Celery's own setup."""
    configure("notifier", config.log_level)
    for handler in logging.getLogger().handlers:
        handler.addFilter(TaskArgumentsFilter())
