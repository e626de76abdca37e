"""The notifier's Celery app: `celery -A notifier.celery_app worker` and `... beat`.

Routing comes from the contract (shared.contracts.tasks: each task's queue); the tasks
reach their runtime through `runtime.current()`, built in each pool process. The worker's
main process serves its probes (shared.probes) with gauges read from the notifier's tables,
beat its own.
"""

from __future__ import annotations

import logging

from celery import Celery, signals
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from psycopg_pool import ConnectionPool

from notifier import store, tasks
from notifier.config import Config
from notifier.domain import AUTH_KEY_EXPIRED, CODE_EXPIRED
from notifier.templates import KEY_KINDS, KINDS
from shared import probes
from shared.clock import make_clock
from shared.contracts.tasks import MAIL, TASKS
from shared.db import make_pool
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
    task_queues=[task_queue(config.queue(name))
                 for name in dict.fromkeys(task.queue for task in TASKS.values())],
    task_default_queue=config.queue(MAIL),
    task_default_exchange=config.queue(MAIL),
    task_default_routing_key=config.queue(MAIL),
    task_create_missing_queues=False,
    task_routes={name: {"queue": config.queue(task.queue)} for name, task in TASKS.items()},
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


class TableCollector:
    """The worker's metrics, computed from the notifier's tables on every scrape: its mail
    and timer work happens in the pool processes, so what an operator watches (mails sent,
    retried, failed by reason, their delivery time, the least time an undelivered key has
    left, timers due and overdue, the outbox backlog) is read, not counted in memory.
    Names and meanings: docs/METRICS.md."""

    def __init__(self, pool: ConnectionPool, now):
        self.pool = pool
        self.now = now

    def collect(self):
        now = self.now()
        with self.pool.connection(timeout=2) as conn:
            deliveries = store.deliveries_by_status(conn)
            timers = store.pending_timers_by_kind(conn)
            overdue = store.overdue_timers(conn, now)
            figures = store.mail_figures(conn, now, KINDS, KEY_KINDS)
            backlog = store.unpublished_count(conn)
        mails = GaugeMetricFamily("notifier_deliveries", "Mails by kind and delivery status",
                                  labels=["kind", "status"])
        for kind, status, count in deliveries:
            mails.add_metric([kind, status], count)
        yield mails
        pending = GaugeMetricFamily("notifier_timers_pending", "Timers not yet fired",
                                    labels=["kind"])
        for kind, count in timers:
            pending.add_metric([kind], count)
        yield pending
        late = GaugeMetricFamily("timers_overdue", "Timers past due, not fired",
                                 labels=["kind"])
        oldest = GaugeMetricFamily("timers_oldest_overdue_seconds",
                                   "How far past due the oldest unfired timer is (0: none)",
                                   labels=["kind"])
        by_kind = {kind: (count, seconds) for kind, count, seconds in overdue}
        for kind in (CODE_EXPIRED, AUTH_KEY_EXPIRED):
            count, seconds = by_kind.get(kind, (0, 0.0))
            late.add_metric([kind], count)
            oldest.add_metric([kind], max(0.0, seconds))
        yield late
        yield oldest
        sent = CounterMetricFamily("mails_sent_total", "Mails the SMTP server accepted",
                                   labels=["kind"])
        retried = CounterMetricFamily(
            "mails_retried_total", "Transient SMTP failures after which the mail was retried",
            labels=["kind"])
        failed = CounterMetricFamily("mails_failed_total", "Mails given up, by reason",
                                     labels=["kind", "reason"])
        delivery = HistogramMetricFamily(
            "mail_delivery_seconds", "From the key's issue (a notice's event) to the SMTP "
            "server's acceptance", labels=["kind"])
        # no sample while no key mail waits (an absent series never fires), the family always
        time_left = GaugeMetricFamily("auth_key_mail_time_left_seconds",
                                      "The least time any undelivered key has left",
                                      labels=["kind"])
        bounds = [str(bound) for bound in store.DELIVERY_BUCKETS] + ["+Inf"]
        for kind, one in figures.items():
            sent.add_metric([kind], one.sent)
            retried.add_metric([kind], one.retried)
            for reason, count in one.failed_by_reason:
                failed.add_metric([kind, reason], count)
            delivery.add_metric([kind], list(zip(bounds, one.delivery_buckets, strict=True)),
                                one.delivery_sum)
            if one.least_time_left is not None:
                time_left.add_metric([kind], one.least_time_left)
        yield from (sent, retried, failed, delivery, time_left)
        yield GaugeMetricFamily("notifier_outbox_unpublished", "Events waiting for the relay",
                                value=backlog)


@signals.worker_ready.connect
def _worker_probes(**_kwargs) -> probes.ProbeServer | None:
    """/healthz, /readyz and /metrics of the worker's main process (shared.probes) on
    NOTIFIER_HEALTH_HOST:NOTIFIER_HEALTH_PORT (0: none). Ready when the database answers
    (a small pool of its own, no connection held between probes); the broker's state is
    the `jobportal_broker_up` gauge and a log line. A port already taken is logged; the
    worker still works, unprobed."""
    if not config.health_port:
        return None
    pool = make_pool(config.database_url, min_size=0, max_size=2, name="notifier-health")
    registry = CollectorRegistry()
    registry.register(TableCollector(pool, make_clock(config.test_clock_file).now))
    registry.register(REGISTRY)  # the process's own metrics (the broker gauge among them)
    server = probes.serve("notifier-worker", {"database": probes.database(pool)},
                          registry=registry, host=config.health_host, port=config.health_port)
    probes.watch_broker(config.broker_url)
    return server


@signals.setup_logging.connect
def _setup_logging(**_kwargs) -> None:
    """JSON logs masking addresses and secrets, instead of Celery's own setup."""
    configure("notifier", config.log_level)
    for handler in logging.getLogger().handlers:
        handler.addFilter(TaskArgumentsFilter())
