import uuid
from datetime import UTC, datetime

import pytest
from kombu import Connection, Producer
from marshmallow import EXCLUDE, Schema, fields

from shared.bus import EventConsumer
from shared.contracts.events import new_event, read_payload
from shared.inbox import handle_once
from testsupport import BROKER, eventually, running

pytestmark = pytest.mark.integration


class Revoked(Schema):
    class Meta:
        unknown = EXCLUDE

    code_id = fields.UUID(required=True)


@pytest.fixture
def seen_table(pool):
    with pool.connection() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS seen (code_id uuid)")
        conn.execute("TRUNCATE seen")
        conn.commit()


@pytest.fixture
def running_consumer(pool, topology, seen_table):
    def on_revoked(event):
        payload = read_payload(event, Revoked())
        handle_once(pool, event, datetime.now(UTC), lambda conn, _e: conn.execute(
            "INSERT INTO seen VALUES (%s)", (payload["code_id"],)))

    connection = Connection(BROKER)
    with running(EventConsumer(connection, topology, "registration", {"code.revoked": on_revoked},
                               retry_pause=0.05)) as consumer:
        yield consumer
    connection.release()


def publish(topology, body, routing_key="code.revoked", **kwargs):
    with Connection(BROKER) as conn:
        Producer(conn.default_channel).publish(body, exchange=topology.exchange,
                                               routing_key=routing_key, **kwargs)


def count_seen(pool):
    with pool.connection() as conn:
        return conn.execute("SELECT count(*) FROM seen").fetchone()[0]


def dead_letters(topology, service="registration"):
    with Connection(BROKER) as conn:
        queue = topology.dead_letter_queue(service)(conn.default_channel)
        return queue.queue_declare(passive=True).message_count


def test_a_duplicated_event_is_ignored_by_the_inbox(pool, topology, running_consumer):
    event = new_event("code.revoked", {"code_id": uuid.uuid4(), "reason": "superseded"},
                      producer="test", now=datetime.now(UTC))
    publish(topology, event.to_message())
    publish(topology, event.to_message())
    eventually(lambda: running_consumer.handled >= 2)
    assert count_seen(pool) == 1


def test_malformed_events_are_dead_lettered_and_the_consumer_keeps_going(pool, topology,
                                                                         running_consumer):
    publish(topology, {"type": "code.revoked", "payload": {}})  # no envelope fields
    publish(topology, b"\xff\xfe not json", content_type="application/json",
            content_encoding="binary")
    bad_payload = new_event("code.revoked", {"code_id": uuid.uuid4(), "reason": "superseded"},
                            producer="test", now=datetime.now(UTC)).to_message()
    bad_payload["payload"]["code_id"] = "not-a-uuid"
    publish(topology, bad_payload)
    good = new_event("code.revoked", {"code_id": uuid.uuid4(), "reason": "superseded"},
                     producer="test", now=datetime.now(UTC))
    publish(topology, good.to_message())
    eventually(lambda: count_seen(pool) == 1)
    eventually(lambda: dead_letters(topology) == 3)
