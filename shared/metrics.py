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
    ["service", "type"])
OUTBOX_PUBLISH_ERRORS = Counter(
    "outbox_publish_errors_total", "Relay batches that failed, by what was unavailable",
    ["service", "cause"])
CONSUMER_EVENTS = Counter(
    "consumer_events_total",
    "Events a consumer took off its queue, by outcome (handled, duplicate, ignored, "
    "dead_lettered, failed, held)",
    ["service", "event", "outcome"])
CONSUMER_REDELIVERIES = Counter(
    "consumer_redeliveries_total", "Messages the broker delivered again", ["service", "event"])
CONSUMER_SECONDS = Histogram(
    "consumer_handling_seconds", "Time to handle one event, the inbox claim included",
    ["service", "event"], buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5))


# What an outbox row is, as a metric's `type` label: the event type, or the task's name.
ROW_TYPE = "CASE kind WHEN 'task' THEN body->>'task' ELSE destination END"


def row_type(row: dict) -> str:
    """`ROW_TYPE` for a row in hand (the relay's batch)."""
    return str(row["body"].get("task")) if row["kind"] == "task" else row["destination"]
# --- the rules' own (registration, code-issuer) --------------------------------------------
ARGON2_SECONDS = Histogram(
    "argon2_hash_seconds", "One argon2id computation (R11), its wait for a turn excluded",
    ["operation"], buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5))
CODES_INVALIDATED = Counter(
    "codes_invalidated_total", "R4: codes invalidated by their tenth wrong step 2")
AUTH_KEYS_EXPIRED = Counter(
    "auth_keys_expired_total", "R10: applications closed because their key's 50 minutes ran out")
THROTTLE_REFUSALS = Counter(
    "throttle_refusals_total", "Requests refused with 429 by a rate limit or throttle",
    ["service", "limit"])


class OutboxCollector(Collector):
    """`outbox_pending{service,type}` and `outbox_oldest_age_seconds{service,type}`, read
    from the service's database at each scrape by its consumer, so the backlog is seen
    while the relay is down (the partial index on unpublished rows keeps it cheap); nothing
    is reported while the database does not answer."""

    def __init__(self, dsn: str, service: str, now: Callable):
        self.dsn = dsn
        self.service = service
        self.now = now

    def collect(self) -> Iterable[GaugeMetricFamily]:
        try:
            with psycopg.connect(self.dsn, connect_timeout=2, autocommit=True) as conn:
                rows = conn.execute(
                    f"SELECT {ROW_TYPE}, count(*), min(created_at) FROM outbox "  # noqa: S608
                    "WHERE published_at IS NULL GROUP BY 1").fetchall()
        except psycopg.Error as exc:
            log.warning("outbox metrics unavailable", extra={"error": str(exc)[:200]})
            return
        now = self.now()
        pending = GaugeMetricFamily("outbox_pending", "Outbox rows not yet published",
                                    labels=["service", "type"])
        oldest = GaugeMetricFamily(
            "outbox_oldest_age_seconds",
            "Age of the oldest unpublished outbox row, by the service's clock (0: none waits)",
            labels=["service", "type"])
        if not rows:  # an empty outbox says 0 rather than vanishing, so rules see it clear
            rows = [("", 0, now)]
        for type_, count, first in rows:
            pending.add_metric([self.service, type_ or ""], count)
            oldest.add_metric([self.service, type_ or ""],
                              max(0.0, (now - first).total_seconds()))
        yield pending
        yield oldest

    def describe(self):
        return []


class QueueCollector(Collector):
    """`broker_queue_messages{service,queue}` (messages ready in the service's queue, and in
    `extra_queues`: the consumers' lag) and `dead_letter_messages{service,queue}` (its
    dead-letter queue), asked of the broker with passive declares at each scrape by the
    service's relay, so a stopped consumer's lag is still seen."""

    def __init__(self, broker_url: str, topology, service: str, subscriber: str,
                 extra_queues: tuple = ()):
        """`service` is the label (`code-issuer`), `subscriber` its key in the contract's
        subscriptions (`code_issuer`), which names its queues."""
        self.broker_url = broker_url
        self.service = service
        self.live = [topology.service_queue(subscriber), *extra_queues]
        self.dead = topology.dead_letter_queue(subscriber)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        from kombu import Connection

        depths = {}
        try:
            with Connection(self.broker_url, connect_timeout=2) as connection:
                channel = connection.default_channel
                for queue in [*self.live, self.dead]:
                    try:
                        _name, depths[queue.name], _consumers = queue(channel).queue_declare(
                            passive=True)
                    except Exception:  # noqa: BLE001 - not declared yet: the channel closed
                        channel = connection.channel()
        except Exception as exc:  # noqa: BLE001 - the broker may be away
            log.warning("queue metrics unavailable", extra={"error": str(exc)[:200]})
            return
        live = GaugeMetricFamily("broker_queue_messages", "Messages ready in a queue",
                                 labels=["service", "queue"])
        for queue in self.live:
            if queue.name in depths:
                live.add_metric([self.service, queue.name], depths[queue.name])
        yield live
        if self.dead.name in depths:
            dead = GaugeMetricFamily("dead_letter_messages",
                                     "Messages waiting in a dead-letter queue",
                                     labels=["service", "queue"])
            dead.add_metric([self.service, self.dead.name], depths[self.dead.name])
            yield dead

    def describe(self):
        return []
