"""Issue 19: events written with orjson through RabbitMQ and PostgreSQL stay JSON that every
reader takes: kombu's own json consumer reads an 'orjson' message, the EventConsumer reads
messages of either serializer, and the outbox's jsonb holds the same envelope."""

import threading
from datetime import UTC, datetime

import pytest
from kombu import Connection, Consumer, Producer
from psycopg.types.json import Jsonb

from shared.bus import SERIALIZER, EventConsumer
from shared.contracts.events import new_event
from testsupport import BROKER, eventually

pytestmark = pytest.mark.integration


def closed(reason):
    return new_event("job_seeker.closed", {"job_seeker_number": "12345-1234567",
                                           "reason": reason},
                     producer="test", now=datetime(2026, 4, 1, tzinfo=UTC))


def publish(topology, event, serializer):
    with Connection(BROKER) as conn:
        Producer(conn.default_channel).publish(
            event.to_message(), exchange=topology.exchange, routing_key=event.type,
            serializer=serializer)


def test_a_kombu_json_consumer_reads_an_orjson_message_as_sent(topology):
    event = closed("転居のため")
    with Connection(BROKER) as conn:
        topology.declare(conn)
        publish(topology, event, SERIALIZER)
        got = []
        queue = topology.service_queue("code_issuer")
        with Consumer(conn.default_channel, queues=[queue], accept=["json"],
                      callbacks=[lambda body, message: (got.append((body, message.content_type)),
                                                        message.ack())]):
            eventually(lambda: conn.drain_events(timeout=1) or got, timeout=10)
    assert got == [(event.to_message(), "application/json")]


def test_the_event_consumer_reads_messages_of_either_serializer(topology):
    handled = []
    connection = Connection(BROKER, heartbeat=30)
    consumer = EventConsumer(connection, topology, "code_issuer",
                             {"job_seeker.closed": handled.append})
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        eventually(lambda: consumer.connection.connected, timeout=10)
        sent = [closed("orjson で"), closed("json で")]
        publish(topology, sent[0], SERIALIZER)
        publish(topology, sent[1], "json")
        eventually(lambda: len(handled) == 2, timeout=15)
    finally:
        consumer.should_stop = True
        thread.join(timeout=15)
        connection.release()
    assert sorted(handled, key=lambda e: e.payload["reason"]) == sorted(
        sent, key=lambda e: e.payload["reason"])


def test_jsonb_written_and_read_with_orjson_is_the_envelope(conn):
    message = closed("氏名の訂正 \u2028 <&>").to_message()
    stored, text = conn.execute("SELECT %s::jsonb, %s::jsonb::text",
                                (Jsonb(message), Jsonb(message))).fetchone()
    assert stored == message
    assert "氏名の訂正" in text  # PostgreSQL holds the characters, not escapes
