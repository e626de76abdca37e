"""The relays' and consumers' metrics on the real servers: what was published, what waits
in the outbox and for how long, each event's outcome at a consumer, and the depth of a
dead-letter queue, as Prometheus reads them from the process's registry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from kombu import Connection, Producer
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from shared.bus import EventConsumer
from shared.clock import FixedClock
from shared.contracts.events import new_event
from shared.contracts.subscriptions import SUBSCRIPTIONS
from shared.handlers import Handlers
from shared.metrics import OutboxCollector, QueueCollector
from shared.outbox import Relay, add_event, add_task
from testsupport import BROKER, eventually, running

pytestmark = pytest.mark.integration

NOW = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)


def scrape(*collectors) -> dict[tuple[str, tuple], float]:
    """What Prometheus would read from these collectors: {(name, labels): value}."""
    registry = CollectorRegistry()
    for collector in collectors:
        registry.register(collector)
    text = generate_latest(registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def default(name: str, **labels) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def revoked(now=NOW):
    return new_event("code.revoked", {"code_id": uuid.uuid4(), "reason": "superseded"},
                     producer="test", now=now)


def test_the_outbox_backlog_and_its_oldest_age_are_read_at_each_scrape(pool, dsn, topology):
    collector = OutboxCollector(dsn, "registration", lambda: NOW)
    empty = (("service", "registration"), ("type", ""))
    assert scrape(collector)[("outbox_pending", empty)] == 0
    assert scrape(collector)[("outbox_oldest_age_seconds", empty)] == 0
    with pool.connection() as conn, conn.transaction():
        add_event(conn, revoked(NOW - timedelta(seconds=42)))
        add_event(conn, revoked(NOW - timedelta(seconds=5)))
        add_task(conn, task="notifier.send_auth_key_mail", namespace=topology.namespace,
                 kwargs={"application_id": str(uuid.uuid4()), "email": "taro@example.jp",
                         "auth_key": "7K3QZ9MX", "issued_at": "2026-04-01T00:59:00Z",
                         "valid_until": "2026-04-01T01:49:00Z"},
                 now=NOW - timedelta(seconds=7))

    seen = scrape(collector)

    events = (("service", "registration"), ("type", "code.revoked"))
    mails = (("service", "registration"), ("type", "notifier.send_auth_key_mail"))
    assert (seen[("outbox_pending", events)], seen[("outbox_pending", mails)]) == (2, 1)
    assert seen[("outbox_oldest_age_seconds", events)] == 42
    assert seen[("outbox_oldest_age_seconds", mails)] == 7
    assert ("outbox_pending", empty) not in seen


def test_an_unreachable_database_reports_nothing_rather_than_failing_the_scrape():
    collector = OutboxCollector("postgresql://postgres@127.0.0.1:1/none", "registration",
                                lambda: NOW)
    assert scrape(collector) == {}


def test_the_relay_counts_what_it_published_by_kind(pool, dsn, topology):
    before = default("outbox_published_total", service="metrics-test", type="code.revoked")
    with pool.connection() as conn, conn.transaction():
        for _ in range(3):
            add_event(conn, revoked())
    relay = Relay(dsn, BROKER, topology, FixedClock(NOW), name="metrics-test-relay:h:1")

    assert relay.run_once() == 3
    assert default("outbox_published_total", service="metrics-test",
                   type="code.revoked") == before + 3


def test_a_relay_without_its_database_counts_the_error(topology):
    relay = Relay("postgresql://postgres@127.0.0.1:1/none", BROKER, topology, FixedClock(NOW),
                  poll_interval=0.05, name="metrics-down-relay:h:1")
    before = default("outbox_publish_errors_total", service="metrics-down", cause="database")
    with running(relay):
        eventually(lambda: default("outbox_publish_errors_total", service="metrics-down",
                                   cause="database") > before)


def publish(topology, body, routing_key="code.revoked"):
    with Connection(BROKER) as conn:
        Producer(conn.default_channel).publish(body, exchange=topology.exchange,
                                               routing_key=routing_key)


@pytest.fixture
def consumer(pool, topology):
    handlers = Handlers("registration")
    for event_type in SUBSCRIPTIONS["registration"]:
        handlers.on(event_type, reads=())(lambda conn, event, payload, now: None)
    connection = Connection(BROKER)
    with running(EventConsumer(connection, topology, "registration",
                               handlers.dispatch(pool, FixedClock(NOW)),
                               retry_pause=0.05)) as consumer:
        yield consumer
    connection.release()


def test_a_consumer_counts_each_events_outcome_and_times_it(topology, consumer):
    def outcome(name, event="code.revoked"):
        return default("consumer_events_total", service="registration", event=event,
                       outcome=name)

    before = {name: outcome(name) for name in ("handled", "duplicate")}
    malformed = default("consumer_events_total", service="registration", event="malformed",
                        outcome="dead_lettered")
    timed = default("consumer_handling_seconds_count", service="registration",
                    event="code.revoked")
    event = revoked()
    publish(topology, event.to_message())
    publish(topology, event.to_message())
    publish(topology, {"type": "code.revoked"})

    eventually(lambda: outcome("duplicate") == before["duplicate"] + 1)
    assert outcome("handled") == before["handled"] + 1
    eventually(lambda: default("consumer_events_total", service="registration",
                               event="malformed", outcome="dead_lettered") == malformed + 1)
    assert default("consumer_handling_seconds_count", service="registration",
                   event="code.revoked") == timed + 2


def test_the_dead_letter_queues_depth_is_read_from_the_broker(topology, consumer):
    collector = QueueCollector(BROKER, topology, "registration", "registration")
    key = ("dead_letter_messages", (("queue", topology.dead_letter_queue("registration").name),
                                    ("service", "registration")))
    assert scrape(collector)[key] == 0
    publish(topology, {"type": "code.revoked"})
    publish(topology, b"\x00 not an envelope")

    eventually(lambda: scrape(collector)[key] == 2)


def test_a_queue_nobody_consumes_shows_its_lag(topology):
    collector = QueueCollector(BROKER, topology, "code-issuer", "code_issuer")
    key = ("broker_queue_messages", (("queue", topology.queue_name("code_issuer")),
                                     ("service", "code-issuer")))
    assert scrape(collector)[key] == 0
    for _ in range(3):
        publish(topology, revoked().to_message(), routing_key="code.used")
    eventually(lambda: scrape(collector)[key] == 3)


def test_a_redelivered_event_is_counted_by_type(pool, topology):
    before = default("consumer_redeliveries_total", service="registration", event="code.revoked")
    publish(topology, revoked().to_message())
    with Connection(BROKER) as conn:  # taken once and given back: the broker redelivers it
        queue = topology.service_queue("registration")(conn.default_channel)
        taken = []
        eventually(lambda: taken.append(queue.get(no_ack=False)) or taken[-1] is not None)
        taken[-1].requeue()
    handlers = Handlers("registration")
    for event_type in SUBSCRIPTIONS["registration"]:
        handlers.on(event_type, reads=())(lambda conn, event, payload, now: None)
    connection = Connection(BROKER)
    with running(EventConsumer(connection, topology, "registration",
                               handlers.dispatch(pool, FixedClock(NOW)))):
        eventually(lambda: default("consumer_redeliveries_total", service="registration",
                                   event="code.revoked") == before + 1)
    connection.release()
