"""A database outage in a consumer is transient: the message is held and retried in place, so
no good event reaches the dead-letter queue however long the outage (issue 15)."""

import threading
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from kombu import Connection, Producer

from shared.bus import DELIVERY_LIMIT, EventConsumer
from shared.contracts.events import new_event
from shared.db import make_pool
from shared.inbox import handle_once
from testsupport import BROKER, TcpProxy, eventually

pytestmark = pytest.mark.integration


def publish(topology, event):
    with Connection(BROKER) as conn:
        Producer(conn.default_channel).publish(event.to_message(), exchange=topology.exchange,
                                               routing_key=event.type)


def dead_letters(topology, service="registration"):
    with Connection(BROKER) as conn:
        queue = topology.dead_letter_queue(service)(conn.default_channel)
        return queue.queue_declare(passive=True).message_count


def run_consumer(topology, handlers, **options):
    connection = Connection(BROKER, heartbeat=30)
    consumer = EventConsumer(connection, topology, "registration", handlers, **options)
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    return consumer, thread, connection


def stop(consumer, thread, connection):
    consumer.should_stop = True
    consumer.stopping.set()
    thread.join(timeout=15)
    connection.release()


def revoked():
    return new_event("code.revoked", {"code_id": uuid.uuid4(), "reason": "superseded"},
                     producer="test", now=datetime.now(UTC))


def test_database_errors_beyond_the_delivery_limit_never_dead_letter_a_good_event(topology):
    """More failures in a row than the quorum queue's delivery limit: held, then handled."""
    failures = DELIVERY_LIMIT * 2
    calls, deliveries = [], []

    def handler(event):
        calls.append(event.event_id)
        if len(calls) <= failures:
            raise psycopg.OperationalError("connection refused (PostgreSQL down)")

    consumer, thread, connection = run_consumer(topology, {"code.revoked": handler},
                                                retry_pause=0.01, database_pause_max=0.05)
    original = consumer.on_message
    consumer.on_message = lambda body, message: (deliveries.append(1), original(body, message))
    try:
        publish(topology, revoked())
        eventually(lambda: consumer.handled == 1, timeout=30)
    finally:
        stop(consumer, thread, connection)
    assert len(calls) == failures + 1
    assert len(deliveries) == 1  # never requeued: no delivery counted against the limit
    assert consumer.database_waits >= failures
    assert dead_letters(topology) == 0


def test_other_errors_still_reach_the_dead_letter_queue_after_the_delivery_limit(topology):
    def handler(event):
        raise RuntimeError("a bug, not an outage")

    consumer, thread, connection = run_consumer(topology, {"code.revoked": handler},
                                                retry_pause=0.01)
    try:
        publish(topology, revoked())
        eventually(lambda: dead_letters(topology) == 1, timeout=30)
    finally:
        stop(consumer, thread, connection)


def test_a_real_database_link_cut_holds_events_until_it_is_back(pool, dsn, topology):
    """PostgreSQL unreachable for longer than the delivery limit's retries would last: every
    event is handled once after, none dead-lettered."""
    host_port = dsn.split("@", 1)[1].split("/", 1)[0]
    host, port = host_port.split(":")
    link = TcpProxy(host, int(port))
    cut_dsn = dsn.replace(host_port, f"127.0.0.1:{link.port}")
    with pool.connection() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS held (event_id uuid)")
        conn.execute("TRUNCATE held")
        conn.commit()
    linked = make_pool(cut_dsn, max_size=2)
    linked.timeout = 1

    def handler(event):
        handle_once(linked, event, datetime.now(UTC), lambda conn, e: conn.execute(
            "INSERT INTO held VALUES (%s)", (e.event_id,)))

    consumer, thread, connection = run_consumer(topology, {"code.revoked": handler},
                                                retry_pause=0.05, database_pause_max=0.5)
    events = [revoked() for _ in range(10)]
    try:
        link.cut()
        for event in events:
            publish(topology, event)
        # more retries than the delivery limit would have allowed
        eventually(lambda: consumer.database_waits > DELIVERY_LIMIT + 1, timeout=90)
        assert consumer.handled == 0
        link.restore()
        eventually(lambda: consumer.handled == len(events), timeout=90)
    finally:
        link.restore()
        stop(consumer, thread, connection)
        linked.close()
        link.close()
    with pool.connection() as conn:
        held = {row[0] for row in conn.execute("SELECT event_id FROM held")}
    assert held == {e.event_id for e in events}
    assert dead_letters(topology) == 0
