import threading
import uuid
from datetime import UTC, datetime

import pytest
from kombu import Connection

from shared.contracts.events import new_event
from shared.outbox import Relay, add_event, add_task, pending_count, task_queue
from testsupport import BROKER, TcpProxy, eventually

PLAIN_KEY = "7K3QZ9MX"
MAIL_KWARGS = {"application_id": str(uuid.uuid4()), "email": "taro@example.jp",
               "auth_key": PLAIN_KEY, "issued_at": "2026-04-01T01:00:00Z",
               "valid_until": "2026-04-01T01:50:00Z"}

pytestmark = pytest.mark.integration


def revoked(now=None):
    return new_event("code.revoked", {"code_id": uuid.uuid4(), "reason": "superseded"},
                     producer="test", now=now or datetime.now(UTC))


def write_events(pool, count):
    events = [revoked() for _ in range(count)]
    with pool.connection() as conn, conn.transaction():
        for event in events:
            add_event(conn, event)
    return events


def test_an_event_commits_or_rolls_back_with_its_change(pool):
    with pool.connection() as conn, conn.transaction():
        add_event(conn, revoked())
    with pytest.raises(RuntimeError), pool.connection() as conn, conn.transaction():
        add_event(conn, revoked())
        raise RuntimeError("the change failed")
    with pool.connection() as conn:
        assert pending_count(conn) == 1


def test_relay_publishes_each_event_once_with_confirms(pool, dsn, topology, published, clock):
    events = write_events(pool, 5)
    relay = Relay(dsn, BROKER, topology, clock)
    assert relay.run_once() == 5
    assert relay.run_once() == 0
    eventually(lambda: len(published.drain()) >= 5)
    ids = [e["event_id"] for e in published.seen]
    assert sorted(ids) == sorted(str(e.event_id) for e in events)
    with pool.connection() as conn:
        assert pending_count(conn) == 0


def test_two_relays_at_once_publish_every_event_exactly_once(pool, dsn, topology, published,
                                                           clock):
    events = write_events(pool, 300)
    relays = [Relay(dsn, BROKER, topology, clock, batch_size=20, poll_interval=0.1)
              for _ in range(2)]
    threads = [threading.Thread(target=r.run) for r in relays]
    for t in threads:
        t.start()
    try:
        eventually(lambda: len(published.drain()) >= 300, timeout=30)
    finally:
        for r in relays:
            r.stopping.set()
        for t in threads:
            t.join()
    ids = [e["event_id"] for e in published.drain()]
    assert len(ids) == 300 and len(set(ids)) == 300
    assert set(ids) == {str(e.event_id) for e in events}
    assert sum(r.published for r in relays) == 300


def test_broker_unreachable_delays_events_and_loses_none(pool, dsn, topology, published, clock):
    proxy = TcpProxy("127.0.0.1", 5672)
    proxy.cut()
    relay = Relay(dsn, f"amqp://guest:guest@127.0.0.1:{proxy.port}//", topology, clock,
                  poll_interval=0.1)
    thread = threading.Thread(target=relay.run)
    thread.start()
    try:
        events = write_events(pool, 3)
        threading.Event().wait(1.0)
        assert published.drain() == []
        with pool.connection() as conn:
            assert pending_count(conn) == 3
        proxy.restore()
        eventually(lambda: len(published.drain()) >= 3, timeout=20)
    finally:
        relay.stopping.set()
        thread.join()
        proxy.close()
    assert sorted(e["event_id"] for e in published.seen) == sorted(str(e.event_id) for e in events)


def test_task_rows_become_celery_messages_and_their_arguments_are_scrubbed(pool, dsn, topology,
                                                                         clock):
    queue_name = f"{topology.namespace}.mail"
    with pool.connection() as conn, conn.transaction():
        task_id = add_task(conn, task="notifier.send_auth_key_mail",
                           namespace=topology.namespace, kwargs=MAIL_KWARGS, now=clock.now(),
                           correlation_id="corr-1")
    Relay(dsn, BROKER, topology, clock).run_once()
    with Connection(BROKER) as broker:
        queue = task_queue(queue_name)
        simple = broker.SimpleQueue(queue)
        message = simple.get(timeout=5)
        args, kwargs, _embed = message.payload
        assert kwargs == MAIL_KWARGS
        assert message.headers["task"] == "notifier.send_auth_key_mail"
        assert message.headers["id"] == str(task_id)
        assert message.properties["correlation_id"] == str(task_id)  # as Celery sends it
        assert message.headers["origin_correlation_id"] == "corr-1"
        assert PLAIN_KEY not in message.headers["kwargsrepr"]
        message.ack()
        simple.close()
        queue(broker.default_channel).delete()
    with pool.connection() as conn:
        body = conn.execute("SELECT body::text FROM outbox WHERE message_id = %s",
                            (task_id,)).fetchone()[0]
    assert PLAIN_KEY not in body


def test_a_task_the_contract_refuses_is_never_queued(pool, topology, clock):
    from marshmallow import ValidationError

    with pool.connection() as conn, conn.transaction():
        with pytest.raises(ValidationError):
            add_task(conn, task="notifier.send_auth_key_mail", namespace=topology.namespace,
                     kwargs={**MAIL_KWARGS, "auth_key": "not a key"}, now=clock.now())
        with pytest.raises(ValidationError):
            add_task(conn, task="notifier.send_auth_key_mail", namespace=topology.namespace,
                     kwargs={**MAIL_KWARGS, "extra": "x"}, now=clock.now())
        assert pending_count(conn) == 0
