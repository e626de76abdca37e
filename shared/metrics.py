"""The metrics of the processes that move messages (relays, consumers), framework-free.
Names and labels are docs/METRICS.md's; the probes' port serves them (shared.probes).

Counters count as things happen; the outbox's backlog and the dead-letter queues' depth are
read when Prometheus scrapes (a collector), so a stuck relay still reports its backlog."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

import psycopg
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

OUTBOX_PUBLISHED = Counter(
    "outbox_published_total", "Outbox rows published with the broker's confirm",
    ["service", "kind"])
OUTBOX_PUBLISH_ERRORS = Counter(
    "outbox_publish_errors_total", "Relay batches that failed, by what was unavailable",
    ["service", "cause"])
CONSUMER_EVENTS = Counter(
    "consumer_events_total",
    "Events a consumer took off its queue, by outcome (handled, duplicate, ignored, "
    "dead_lettered, failed, held)",
    ["service", "event", "outcome"])
CONSUMER_REDELIVERIES = Counter(
    "consumer_redeliveries_total", "Messages the broker delivered again", ["service"])
CONSUMER_SECONDS = Histogram(
    "consumer_handling_seconds", "Time to handle one event, the inbox claim included",
    ["service", "event"], buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5))


class OutboxCollector(Collector):
    """`outbox_pending{service}` and `outbox_oldest_age_seconds{service}`, read from the
    service's database at each scrape (the partial index on unpublished rows keeps it
    cheap); nothing is reported while the database does not answer."""

    def __init__(self, dsn: str, service: str, now: Callable):
        self.dsn = dsn
        self.service = service
        self.now = now

    def collect(self) -> Iterable[GaugeMetricFamily]:
        try:
            with psycopg.connect(self.dsn, connect_timeout=2, autocommit=True) as conn:
                pending, oldest = conn.execute(
                    "SELECT count(*), min(created_at) FROM outbox WHERE published_at IS NULL"
                ).fetchone()
        except psycopg.Error as exc:
            log.warning("outbox metrics unavailable", extra={"error": str(exc)[:200]})
            return
        age = 0.0 if oldest is None else max(0.0, (self.now() - oldest).total_seconds())
        yield _gauge("outbox_pending", "Outbox rows not yet published", self.service, pending)
        yield _gauge("outbox_oldest_age_seconds",
                     "Age of the oldest unpublished outbox row (0 when none waits)",
                     self.service, age)

    def describe(self):
        return []


def _gauge(name: str, documentation: str, service: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["service"])
    family.add_metric([service], value)
    return family


class DeadLetterCollector(Collector):
    """`dead_letter_messages{service,queue}`: the depth of a service's dead-letter queue,
    asked of the broker (a passive declare) at each scrape."""

    def __init__(self, broker_url: str, topology, service: str):
        self.broker_url = broker_url
        self.queue = topology.dead_letter_queue(service)
        self.service = service

    def collect(self) -> Iterable[GaugeMetricFamily]:
        from kombu import Connection

        try:
            with Connection(self.broker_url, connect_timeout=2) as connection:
                _name, depth, _consumers = self.queue(connection.default_channel).queue_declare(
                    passive=True)
        except Exception as exc:  # noqa: BLE001 - the broker or the queue may be missing
            log.warning("dead-letter metrics unavailable", extra={"error": str(exc)[:200]})
            return
        family = GaugeMetricFamily("dead_letter_messages",
                                   "Messages waiting in a dead-letter queue",
                                   labels=["service", "queue"])
        family.add_metric([self.service, self.queue.name], depth)
        yield family

    def describe(self):
        return []
