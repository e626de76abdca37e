"""send_key_mail and send_notice in the real worker: tasks put through an outbox the way
registration puts them, the relay, the broker, a Celery worker process and the SMTP sink."""

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from kombu import Connection, Producer
from notifier.domain import (
    INVALID_TASK_ARGUMENTS,
    KEY_EXPIRED_BEFORE_DELIVERY,
    REJECTED_BY_MAIL_SERVER,
)
from notifier.store import notices

from shared.contracts.tasks import SEND_KEY_MAIL, SEND_NOTICE
from shared.outbox import add_task, celery_message, task_queue
from testsupport import BROKER, eventually

pytestmark = pytest.mark.integration

KEY = "9QW4RT2Z"
EMAIL = "hanako@example.jp"


def put(pool, topology, task, kwargs, copies=1):
    """Write the task into an outbox as registration does; the relay fixture publishes it."""
    now = datetime.now(UTC)
    with pool.connection() as conn, conn.transaction():
        for _ in range(copies):
            add_task(conn, task=task, namespace=topology.namespace, kwargs=kwargs, now=now,
                     correlation_id=str(uuid.uuid4()))


def key_mail(valid_for=timedelta(minutes=50), **over):
    now = datetime.now(UTC)
    kwargs = {"mail_id": str(uuid.uuid4()), "kind": "password_reset_key", "email": EMAIL,
              "key": KEY, "language": "ja", "issued_at": now.isoformat(),
              "valid_until": (now + valid_for).isoformat()}
    kwargs.update(over)
    return kwargs


def notice(**over):
    kwargs = {"notice_id": str(uuid.uuid4()), "kind": "new_login", "email": EMAIL,
              "language": "en", "occurred_at": datetime.now(UTC).isoformat(),
              "client_address": "203.0.113.0/24", "browser": "Firefox on Windows"}
    kwargs.update(over)
    return kwargs


def events(published, type_, notice_id):
    return [e for e in published.of_type(type_) if e["payload"]["notice_id"] == notice_id]


def attempts(pool, notice_id, kind):
    with pool.connection() as conn:
        found = notices.get(conn, uuid.UUID(notice_id), kind)
    return found.attempts if found else 0


def settle(seconds=1.5):
    """Give a wrong second mail or event the time to show up before counting."""
    time.sleep(seconds)


def test_r15_a_key_mail_task_delivered_twice_sends_one_mail_and_one_notice_mailed(
        pool, topology, relay, published, mailbox, processes):
    processes.worker()
    task = key_mail()
    put(pool, topology, SEND_KEY_MAIL, task, copies=2)
    [mailed] = eventually(lambda: events(published, "notice.mailed", task["mail_id"]),
                          timeout=40)
    eventually(lambda: processes.log("worker").count("succeeded") >= 2, timeout=20)
    settle()
    [mail] = mailbox.messages()
    assert (mail["to"], mail["subject"]) == (EMAIL, "パスワード再設定の認証キーのお知らせ")
    assert KEY in mail["text"]
    assert mailed["payload"]["kind"] == "password_reset_key"
    assert len(events(published, "notice.mailed", task["mail_id"])) == 1
    log = processes.log("worker")
    assert KEY not in log and EMAIL not in log


def test_a_notice_refused_for_a_while_is_retried_and_sent_once(
        pool, topology, relay, published, mailbox, processes):
    mailbox.refuse(451)
    processes.worker()
    task = notice()
    put(pool, topology, SEND_NOTICE, task)
    eventually(lambda: attempts(pool, task["notice_id"], "new_login") >= 2, timeout=40)
    assert mailbox.messages() == []
    mailbox.accept()
    eventually(lambda: events(published, "notice.mailed", task["notice_id"]), timeout=30)
    settle()
    [mail] = mailbox.messages()
    assert mail["subject"] == "New login to your account"
    assert "203.0.113.0/24" in mail["text"] and "Firefox on Windows" in mail["text"]
    assert published.of_type("notice.delivery_failed") == []


def test_a_permanent_refusal_gives_up_with_notice_delivery_failed(
        pool, topology, relay, published, mailbox, processes):
    mailbox.refuse(550)
    processes.worker()
    task = notice(kind="password_changed", language="ja")
    put(pool, topology, SEND_NOTICE, task)
    [failed] = eventually(lambda: events(published, "notice.delivery_failed",
                                         task["notice_id"]), timeout=40)
    assert failed["payload"] == {"notice_id": task["notice_id"], "kind": "password_changed",
                                 "reason": REJECTED_BY_MAIL_SERVER}
    settle()
    assert attempts(pool, task["notice_id"], "password_changed") == 1  # no retry
    assert published.of_type("notice.mailed") == []


def test_r10_a_key_mail_is_not_retried_past_its_keys_validity(
        pool, topology, relay, published, mailbox, processes):
    mailbox.refuse(451)
    processes.worker()
    task = key_mail(kind="email_change_key", valid_for=timedelta(seconds=6))
    put(pool, topology, SEND_KEY_MAIL, task)
    [failed] = eventually(lambda: events(published, "notice.delivery_failed", task["mail_id"]),
                          timeout=40)
    assert failed["payload"]["reason"] == KEY_EXPIRED_BEFORE_DELIVERY
    mailbox.accept()
    settle(2)
    assert mailbox.messages() == []
    assert published.of_type("notice.mailed") == []
    assert attempts(pool, task["mail_id"], "email_change_key") >= 2


def test_a_notice_task_with_bad_arguments_is_reported_not_crashed(
        pool, topology, relay, published, mailbox, processes):
    """A producer that skipped the contract's check: the notice's id and kind are readable,
    its address is not."""
    processes.worker()
    task = notice(email="hanako@example.jp\r\nBcc: x@example.com")
    body, headers, _properties = celery_message({"message_id": uuid.uuid4(), "headers": {},
                                                 "body": {"task": SEND_NOTICE, "kwargs": task}})
    queue = task_queue(f"{topology.namespace}.mail")
    with Connection(BROKER) as conn:
        Producer(conn.default_channel).publish(body, exchange=queue.exchange,
                                               routing_key=queue.routing_key, headers=headers,
                                               declare=[queue], serializer="json")
    [failed] = eventually(lambda: events(published, "notice.delivery_failed",
                                         task["notice_id"]), timeout=40)
    assert failed["payload"]["reason"] == INVALID_TASK_ARGUMENTS
    assert mailbox.messages() == []
