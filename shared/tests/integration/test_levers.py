"""The operator's levers on the real PostgreSQL and RabbitMQ: the outbox's backlog, the
dead-letter queue listed without being emptied, and replay back to the queue the event
died in (one, or all)."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from kombu import Connection, Producer

from shared.contracts.events import new_event
from shared.levers import DeadLetters, outbox_status
from shared.outbox import add_event, add_task
from testsupport import BROKER, eventually

pytestmark = pytest.mark.integration

SERVICE = "registration"
NOW = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)


def revoked(now=NOW):
    return new_event("code.revoked", {"code_id": uuid.uuid4(), "reason": "superseded"},
                     producer="test", now=now)


def test_outbox_status_counts_the_backlog_by_destination_and_ages_the_oldest(conn, topology):
    with conn.transaction():
        add_event(conn, revoked(NOW - timedelta(seconds=90)))
        add_event(conn, revoked(NOW - timedelta(seconds=30)))
        add_task(conn, task="notifier.send_auth_key_mail", namespace=topology.namespace,
                 kwargs={"application_id": str(uuid.uuid4()), "email": "taro@example.jp",
                         "auth_key": "7K3QZ9MX", "issued_at": "2026-04-01T00:59:00Z",
                         "valid_until": "2026-04-01T01:49:00Z"},
                 now=NOW - timedelta(seconds=10))
    conn.execute("UPDATE outbox SET published_at = %s WHERE id = (SELECT min(id) FROM outbox)",
                 (NOW - timedelta(minutes=5),))
    conn.execute("INSERT INTO outbox (message_id, kind, destination, body, created_at, "
                 "published_at) VALUES (%s, 'event', 'code.revoked', '{}', %s, %s)",
                 (uuid.uuid4(), NOW - timedelta(hours=3), NOW - timedelta(hours=2)))

    status = outbox_status(conn, NOW)

    assert status.pending == 2
    assert status.oldest_age_seconds == 30
    assert status.published_last_hour == 1
    assert [(b.kind, b.destination, b.pending) for b in status.backlog] == [
        ("event", "code.revoked", 1), ("task", f"{topology.namespace}.mail", 1)]


def test_outbox_status_of_an_empty_outbox(conn):
    status = outbox_status(conn, NOW)
    assert (status.pending, status.oldest_age_seconds, status.backlog) == (0, None, ())


def dead_letter(topology, *events_or_bodies, service=SERVICE, key="code.revoked") -> None:
    """Publish to the service's queue, then have the broker dead-letter each message the
    way a consumer refusing it does (reject without requeue)."""
    with Connection(BROKER, transport_options={"confirm_publish": True}) as connection:
        producer = Producer(connection.default_channel)
        for item in events_or_bodies:
            body = item if isinstance(item, bytes) else json.dumps(item.to_message()).encode()
            producer.publish(body, exchange=topology.exchange.name, routing_key=key,
                             content_type="application/json", content_encoding="utf-8")
        queue = topology.service_queue(service)(connection.default_channel)
        for _ in events_or_bodies:
            message = None

            def got():
                nonlocal message
                message = queue.get(no_ack=False)
                return message is not None

            eventually(got)
            message.reject(requeue=False)


def queue_bodies(topology, name: str) -> list[bytes]:
    """Drain a queue (the test's own namespace) and return the bodies."""
    bodies = []
    with Connection(BROKER) as connection:
        queue = topology.service_queue(SERVICE)(connection.default_channel)
        queue.name = name
        while (message := queue.get(no_ack=True)) is not None:
            bodies.append(message.body)
    return bodies


def test_dead_letters_are_listed_with_id_type_reason_and_first_seen_and_stay(topology):
    first, second = revoked(), revoked()
    dead_letter(topology, first, second, b"not json")
    levers = DeadLetters(BROKER, topology, SERVICE)

    eventually(lambda: len(levers.list()) == 3)
    letters = levers.list()

    assert [d.event_id for d in letters] == [str(first.event_id), str(second.event_id), None]
    assert {d.type for d in letters[:2]} == {"code.revoked"}
    assert {d.reason for d in letters} == {"rejected"}
    assert {d.queue for d in letters} == {topology.queue_name(SERVICE)}
    assert {d.routing_key for d in letters} == {"code.revoked"}
    assert all(d.first_seen is not None and d.deaths == 1 for d in letters)
    assert len(levers.list()) == 3  # listing takes nothing away


def test_replay_of_one_event_puts_only_it_back_on_its_own_queue(topology):
    first, second = revoked(), revoked()
    dead_letter(topology, first, second)
    levers = DeadLetters(BROKER, topology, SERVICE)
    eventually(lambda: len(levers.list()) == 2)

    replayed = levers.replay(str(second.event_id))

    assert [d.event_id for d in replayed] == [str(second.event_id)]
    assert [d.event_id for d in levers.list()] == [str(first.event_id)]
    bodies = queue_bodies(topology, topology.queue_name(SERVICE))
    assert [json.loads(b)["event_id"] for b in bodies] == [str(second.event_id)]
    # only the service it died in sees it again: no other subscriber's queue got a copy
    assert queue_bodies(topology, topology.queue_name("code_issuer")) == []


def test_replay_all_empties_the_dead_letter_queue_and_an_unknown_id_replays_nothing(topology):
    events = [revoked() for _ in range(3)]
    dead_letter(topology, *events)
    levers = DeadLetters(BROKER, topology, SERVICE)
    eventually(lambda: len(levers.list()) == 3)

    assert levers.replay(str(uuid.uuid4())) == []
    assert len(levers.replay()) == 3

    assert levers.list() == []
    bodies = queue_bodies(topology, topology.queue_name(SERVICE))
    assert sorted(json.loads(b)["event_id"] for b in bodies) == sorted(
        str(e.event_id) for e in events)


@pytest.mark.parametrize("package, service, key", [("code_issuer", "code_issuer", "code.used"),
                                                   ("notifier", "notifier", "code.used")])
def test_the_ops_command_lists_and_replays_from_the_command_line(topology, dsn, package,
                                                                 service, key):
    event = revoked()
    dead_letter(topology, event, service=service, key=key)
    env = {"DATABASE_URL": dsn, "BROKER_URL": BROKER, "BUS_NAMESPACE": topology.namespace,
           "PATH": "/usr/bin:/bin"}

    def ops(*args):
        return subprocess.run([sys.executable, "-m", package, "ops", *args],
                              capture_output=True, text=True, env=env, timeout=60)

    eventually(lambda: str(event.event_id) in ops("dead-letters").stdout)
    listed = ops("dead-letters", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [d["event_id"] for d in json.loads(listed.stdout)] == [str(event.event_id)]
    replay = ops("replay", str(event.event_id))
    assert replay.returncode == 0, replay.stderr
    assert "replayed 1 event(s)" in replay.stdout
    missing = ops("replay", str(uuid.uuid4()))
    assert missing.returncode == 1
    assert "no dead letter" in missing.stderr
    status = ops("outbox", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["pending"] == 0
