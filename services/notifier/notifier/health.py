"""/healthz, /readyz and /metrics of a notifier worker, served from its main process by
shared.probes (the server every non-HTTP process uses).

The worker's mail and timer work happens in prefork children, so the metrics are read from
the notifier's own tables at scrape time (what an operator watches: mails sent, failed or
waiting, timers due, the outbox backlog) rather than counted in one process's memory.
"""

from __future__ import annotations

import logging

from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from psycopg_pool import ConnectionPool

from notifier.config import Config
from shared import probes
from shared.db import make_pool
from shared.probes import ProbeServer

log = logging.getLogger(__name__)


class TableCollector:
    """Gauges computed from the notifier's tables on every scrape."""

    def __init__(self, pool: ConnectionPool):
        self.pool = pool

    def collect(self):
        with self.pool.connection(timeout=2) as conn:
            deliveries = conn.execute(
                "SELECT status, count(*) FROM deliveries GROUP BY status").fetchall()
            timers = conn.execute(
                "SELECT kind, count(*) FROM timers WHERE fired_at IS NULL "
                "AND cancelled_at IS NULL AND due_at IS NOT NULL GROUP BY kind").fetchall()
            backlog = conn.execute(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL").fetchone()[0]
        mails = GaugeMetricFamily("notifier_deliveries", "Auth-key mails by status",
                                  labels=["status"])
        for status, count in deliveries:
            mails.add_metric([status], count)
        pending = GaugeMetricFamily("notifier_timers_pending", "Timers not yet fired",
                                    labels=["kind"])
        for kind, count in timers:
            pending.add_metric([kind], count)
        yield mails
        yield pending
        yield GaugeMetricFamily("notifier_outbox_unpublished", "Events waiting for the relay",
                                value=backlog)


def serve(config: Config) -> ProbeServer | None:
    """The worker's probes (shared.probes) on NOTIFIER_HEALTH_HOST:NOTIFIER_HEALTH_PORT, in a
    daemon thread; None when disabled (port 0) or the port is taken. Ready when the database
    answers; the broker's state is the `jobportal_broker_up` gauge and a log line."""
    if not config.health_port:
        return None
    pool = make_pool(config.database_url, min_size=0, max_size=2, name="notifier-health")
    registry = CollectorRegistry()
    registry.register(TableCollector(pool))
    registry.register(REGISTRY)  # the process's own metrics (the broker gauge among them)
    server = probes.serve("notifier-worker", {"database": probes.database(pool)},
                          registry=registry, host=config.health_host, port=config.health_port)
    probes.watch_broker(config.broker_url)
    return server
