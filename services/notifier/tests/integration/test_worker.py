"""The notifier's real processes: Celery worker(s) and beats on the real broker, the local
SMTP server, the outbox relay; tasks put on the queue the way registration puts them."""

import os
import signal
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from kombu import Connection, Producer
from notifier import store
from notifier.domain import EXPIRED_BEFORE_DELIVERY

from shared.clock import SystemClock, set_file_clock
from shared.contracts.events import new_event
from shared.contracts.tasks import SEND_AUTH_KEY_MAIL
from shared.outbox import Relay, add_task, celery_message, task_queue
from testsupport import BROKER, REDIS, eventually

pytestmark = pytest.mark.integration

TASK = SEND_AUTH_KEY_MAIL


def put_mail_task(pool, topology, *, valid_for=timedelta(minutes=50), application_id=None,
                  email="taro@example.jp", key="7K3QZ9MX", copies=1):
    """Write the task into an outbox as registration does; the relay fixture publishes it."""
    now = datetime.now(UTC)
    application_id = application_id or uuid.uuid4()
    kwargs = {"application_id": str(application_id), "email": email, "auth_key": key,
              "issued_at": now.isoformat(), "valid_until": (now + valid_for).isoformat()}
    with pool.connection() as conn, conn.transaction():
        for _ in range(copies):
            add_task(conn, task=TASK, namespace=topology.namespace, kwargs=kwargs, now=now,
                     correlation_id=str(uuid.uuid4()))
    return application_id


def events(published, type_, application_id=None):
    found = published.of_type(type_)
    if application_id is not None:
        found = [e for e in found if e["payload"].get("application_id") == str(application_id)]
    return found


def delivery(pool, application_id):
    with pool.connection() as conn:
        return store.get_delivery(conn, application_id)


def attempts(pool, application_id):
    row = delivery(pool, application_id)
    return row.attempts if row else 0


def settle(seconds=1.5):
    """Give a wrong second mail or event the time to show up before counting."""
    time.sleep(seconds)


def publish_bare_task(topology, application_id, email="taro@example.jp", key="7K3QZ9MX"):
    """The same task from a producer that sets no argsrepr/kwargsrepr (Celery would then
    log the arguments' full repr)."""
    now = datetime.now(UTC)
    kwargs = {"application_id": str(application_id), "email": email, "auth_key": key,
              "issued_at": now.isoformat(), "valid_until": (now + timedelta(minutes=50)).isoformat()}
    body, headers, _properties = celery_message({"message_id": uuid.uuid4(), "headers": {},
                                    "body": {"task": TASK, "kwargs": kwargs}})
    del headers["argsrepr"], headers["kwargsrepr"]
    queue = task_queue(f"{topology.namespace}.mail")
    with Connection(BROKER) as conn:
        Producer(conn.default_channel).publish(body, exchange=queue.exchange,
                                               routing_key=queue.routing_key, headers=headers,
                                               declare=[queue], serializer="json")


def test_r9_a_task_delivered_twice_sends_exactly_one_mail_and_one_auth_key_mailed(
        pool, topology, relay, published, mailbox, processes):
    processes.worker()
    application_id = put_mail_task(pool, topology)
    publish_bare_task(topology, application_id)
    mails = eventually(mailbox.messages, timeout=40)
    [mailed] = eventually(lambda: events(published, "auth_key.mailed", application_id), timeout=20)
    eventually(lambda: processes.log("worker").count("succeeded") >= 2, timeout=20)
    settle()
    mails = mailbox.messages()
    assert len(mails) == 1
    assert mails[0]["to"] == "taro@example.jp"
    assert mails[0]["subject"] == "パスワード登録申込受付通知"
    assert "7K3QZ9MX" in mails[0]["text"]
    assert len(events(published, "auth_key.mailed", application_id)) == 1
    row = delivery(pool, application_id)
    assert row.status == "sent"
    assert mailed["payload"]["delivered_at"] == row.delivered_at.isoformat().replace("+00:00", "Z")
    assert mailed["producer"] == "notifier"
    log = processes.log("worker")
    assert "7K3QZ9MX" not in log and "taro@example.jp" not in log  # masked: t***@example.jp


def test_smtp_refusing_for_a_while_then_accepting_gives_one_mail_after_retries(
        pool, topology, relay, published, mailbox, processes):
    mailbox.refuse(451)
    processes.worker()
    application_id = put_mail_task(pool, topology)
    eventually(lambda: attempts(pool, application_id) >= 3, timeout=40)
    assert mailbox.messages() == []
    mailbox.accept()
    eventually(mailbox.messages, timeout=30)
    eventually(lambda: events(published, "auth_key.mailed", application_id), timeout=20)
    settle()
    assert len(mailbox.messages()) == 1
    row = delivery(pool, application_id)
    assert row.status == "sent" and row.attempts >= 4
    assert events(published, "auth_key.delivery_failed") == []
    assert "7K3QZ9MX" not in processes.log("worker")


def test_r10_key_expired_before_smtp_recovers_means_no_mail_and_delivery_failed(
        pool, topology, relay, published, mailbox, processes):
    mailbox.refuse(451)
    processes.worker()
    application_id = put_mail_task(pool, topology, valid_for=timedelta(seconds=8))
    [failed] = eventually(lambda: events(published, "auth_key.delivery_failed", application_id),
                          timeout=40)
    assert failed["payload"]["reason"] == EXPIRED_BEFORE_DELIVERY
    mailbox.accept()
    settle(2)
    assert mailbox.messages() == []
    assert events(published, "auth_key.mailed") == []
    row = delivery(pool, application_id)
    assert row.status == "failed" and row.attempts >= 2


def test_a_worker_killed_with_sigkill_mid_delivery_still_delivers_the_mail_exactly_once(
        pool, topology, relay, published, mailbox, processes):
    mailbox.delay(60)  # the server holds the mail before answering 250
    processes.worker("worker-a")
    application_id = put_mail_task(pool, topology)
    eventually(lambda: mailbox.status()["in_progress"] == 1, timeout=40)
    [child] = processes.children("worker-a")
    processes.alive()
    os.kill(child, signal.SIGKILL)  # the pool process dies while it waits for the server
    processes.kill("worker-a")  # then the whole worker, so another one must take over
    mailbox.accept()
    eventually(lambda: mailbox.status()["in_progress"] == 0, timeout=10)
    assert mailbox.messages() == []  # the first attempt was never accepted
    assert delivery(pool, application_id).status == "pending"
    processes.worker("worker-b")
    eventually(mailbox.messages, timeout=40)
    eventually(lambda: events(published, "auth_key.mailed", application_id), timeout=20)
    settle()
    assert len(mailbox.messages()) == 1
    assert len(events(published, "auth_key.mailed", application_id)) == 1
    assert delivery(pool, application_id).status == "sent"


def publish(topology, *events_):
    with Connection(BROKER) as conn:
        producer = Producer(conn.default_channel)
        for event in events_:
            producer.publish(event.to_message(), exchange=topology.exchange,
                             routing_key=event.type, delivery_mode=2)


def code_issued(code_id, expires_at):
    now = datetime.now(UTC)
    return new_event("code.issued", {
        "code_id": code_id, "job_seeker_number": "12345-1234567", "birth_date": date(1990, 1, 2),
        "code_digest": "b" * 64, "issued_at": now, "expires_at": expires_at, "supersedes": []},
        producer="code-issuer", now=now)


def test_timers_fire_auth_key_expired_and_code_expired_once_each_with_two_beats(
        pool, topology, published, mailbox, processes, clock_file):
    processes.notifier("relay")
    processes.notifier("consumer")
    processes.worker()
    processes.beat("beat-1")
    processes.beat("beat-2")
    expires_at = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    code_id, revoked_id = uuid.uuid4(), uuid.uuid4()
    # the revoke arrives before its issue: that code must never expire
    publish(topology,
            new_event("code.revoked", {"code_id": revoked_id, "reason": "revoked_by_office"},
                      producer="code-issuer", now=datetime.now(UTC)),
            code_issued(code_id, expires_at), code_issued(revoked_id, expires_at))
    application_id = put_mail_task(pool, topology)
    [mailed] = eventually(lambda: events(published, "auth_key.mailed", application_id), timeout=40)
    delivered_at = datetime.fromisoformat(mailed["payload"]["delivered_at"].replace("Z", "+00:00"))

    def timers_known():
        with pool.connection() as conn:
            return conn.execute("SELECT count(*) FROM timers WHERE kind = 'code.expired' "
                                "AND due_at IS NOT NULL").fetchone()[0] == 2

    eventually(timers_known, timeout=20)
    settle(1)
    assert events(published, "auth_key.expired") == [] and events(published, "code.expired") == []

    set_file_clock(str(clock_file), delivered_at + timedelta(minutes=50, seconds=1))
    [key_expired] = eventually(lambda: events(published, "auth_key.expired"), timeout=20)
    assert key_expired["payload"]["application_id"] == str(application_id)
    assert datetime.fromisoformat(key_expired["payload"]["expired_at"].replace("Z", "+00:00")) == \
        delivered_at + timedelta(minutes=50)
    settle(1)
    assert events(published, "code.expired") == []

    set_file_clock(str(clock_file), expires_at + timedelta(seconds=1))
    [code_expired] = eventually(lambda: events(published, "code.expired"), timeout=20)
    assert code_expired["payload"] == {"code_id": str(code_id),
                                       "expired_at": expires_at.isoformat().replace("+00:00", "Z")}
    settle(2.5)  # ten more ticks of two beats
    assert len(events(published, "auth_key.expired")) == 1
    assert len(events(published, "code.expired")) == 1
    for beat in ("beat-1", "beat-2"):
        assert processes.log(beat).count("Sending due task sweep-expiry-timers") >= 5
    processes.alive()


@pytest.fixture
def redis_broker(topology):
    """The Redis URL as the broker; this namespace's keys are removed afterwards."""
    import redis

    yield REDIS
    client = redis.Redis.from_url(REDIS)
    for key in client.scan_iter(match=f"*{topology.namespace}*"):
        client.delete(key)
    client.close()


def test_a_redis_broker_url_works_too(pool, dsn, topology, mailbox, processes, redis_broker):
    processes.env = {**processes.env, "BROKER_URL": redis_broker}
    processes.worker()
    application_id = put_mail_task(pool, topology)
    relay = Relay(dsn, redis_broker, topology, SystemClock(), poll_interval=0.2)
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    try:
        [mail] = eventually(mailbox.messages, timeout=40)
        assert "7K3QZ9MX" in mail["text"]
        eventually(lambda: delivery(pool, application_id).status == "sent", timeout=10)
    finally:
        relay.stopping.set()
        thread.join(10)
