"""The key mails (R15, R17) and notices (R12, R15-R20) through their use cases on the real
PostgreSQL (and the real SMTP sink where it says so): sent once, retried while they may be,
given up with notice.delivery_failed, and never a key or an address stored."""

import smtplib
import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from notifier.commands import ReportUnusableNoticeTask, SendKeyMail, SendNotice
from notifier.domain import (
    INVALID_TASK_ARGUMENTS,
    KEY_EXPIRED_BEFORE_DELIVERY,
    REJECTED_BY_MAIL_SERVER,
    RETRY_WINDOW_PASSED,
    Retry,
)
from notifier.mail import DeliveryError, SmtpMailer, delivery_error
from notifier.store import notices
from notifier.usecases import AlreadyHandled, Busy, Failed, Sent
from notifier.usecases.notices import report_unusable_notice_task, send_key_mail, send_notice

from shared.clock import FixedClock

pytestmark = pytest.mark.integration

ISSUED = datetime(2026, 4, 2, 4, 20, tzinfo=UTC)  # 13:20 JST
KEY = "9QW4RT2Z"
EMAIL = "hanako@example.jp"


def key_mail(**over):
    fields = {"mail_id": uuid.uuid4(), "kind": "password_reset_key", "email": EMAIL, "key": KEY,
              "language": "ja", "issued_at": ISSUED,
              "valid_until": ISSUED + timedelta(minutes=50)}
    fields.update(over)
    return SendKeyMail(**fields)


def notice(**over):
    fields = {"notice_id": uuid.uuid4(), "kind": "new_login", "email": EMAIL, "language": "ja",
              "occurred_at": ISSUED, "client_address": "203.0.113.0/24",
              "browser": "Firefox on Windows"}
    fields.update(over)
    return SendNotice(**fields)


def send(pool, mailer, clock, config, cmd, retries=0):
    """The use case as the task calls it: attempt `retries` + 1, starting at the clock's now."""
    use_case = send_key_mail if isinstance(cmd, SendKeyMail) else send_notice
    return use_case(pool, replace(cmd, retries=retries), clock.now(), mailer=mailer, clock=clock,
                    config=config)


def outbox(pool):
    with pool.connection() as conn:
        return conn.execute("SELECT destination, body FROM outbox ORDER BY id").fetchall()


def row(pool, notice_id, kind):
    with pool.connection() as conn:
        return notices.get(conn, notice_id, kind)


def text_of(message):
    return message.parsed().get_body(("plain",)).get_content()


def test_r15_a_reset_key_mail_is_sent_once_and_notice_mailed_carries_its_delivery(
        pool, mailer, config):
    clock = FixedClock(ISSUED + timedelta(seconds=1))
    mailer.during_send = lambda: clock.advance(seconds=2)
    cmd = key_mail()
    assert send(pool, mailer, clock, config, cmd) == Sent(ISSUED + timedelta(seconds=3))
    assert send(pool, mailer, clock, config, cmd) == AlreadyHandled("sent")  # redelivered
    [message] = mailer.sent
    assert KEY in text_of(message) and "2026年4月2日 14時10分（日本時間）まで" in text_of(message)
    [(kind, event)] = outbox(pool)
    assert kind == "notice.mailed"
    assert event["payload"] == {"notice_id": str(cmd.mail_id), "kind": "password_reset_key",
                                "delivered_at": "2026-04-02T04:20:03Z"}
    found = row(pool, cmd.mail_id, "password_reset_key")
    assert (found.status, found.attempts, found.issued_at) == ("sent", 1, ISSUED)


def test_a_notice_delivered_twice_sends_one_mail_and_one_notice_mailed(pool, mailer, config):
    clock = FixedClock(ISSUED)
    cmd = notice()
    assert isinstance(send(pool, mailer, clock, config, cmd), Sent)
    clock.advance(minutes=3)
    assert send(pool, mailer, clock, config, cmd, retries=0) == AlreadyHandled("sent")
    assert len(mailer.sent) == 1
    text = text_of(mailer.sent[0])
    assert "203.0.113.0/24" in text and "Firefox on Windows" in text
    assert [kind for kind, _ in outbox(pool)] == ["notice.mailed"]


def test_the_same_id_of_two_kinds_is_two_mails(pool, mailer, config):
    clock = FixedClock(ISSUED)
    same = uuid.uuid4()
    assert isinstance(send(pool, mailer, clock, config, notice(notice_id=same)), Sent)
    assert isinstance(send(pool, mailer, clock, config,
                           notice(notice_id=same, kind="password_changed")), Sent)
    assert len(mailer.sent) == 2


def test_a_concurrent_attempt_of_the_same_notice_sends_nothing(pool, mailer, config):
    clock = FixedClock(ISSUED)
    cmd = notice(kind="registration_complete")
    talking, release = threading.Event(), threading.Event()

    def slow_server():
        talking.set()
        assert release.wait(10)

    mailer.during_send = slow_server
    first = []
    thread = threading.Thread(target=lambda: first.append(send(pool, mailer, clock, config, cmd)))
    thread.start()
    assert talking.wait(10)
    mailer.during_send = None
    assert send(pool, mailer, clock, config, cmd) == Busy()
    release.set()
    thread.join(10)
    assert isinstance(first[0], Sent)
    assert len(mailer.sent) == 1
    assert [kind for kind, _ in outbox(pool)] == ["notice.mailed"]


def test_r17_a_transient_refusal_of_a_key_mail_is_retried_without_events(pool, mailer, config):
    clock = FixedClock(ISSUED)
    mailer.errors = [delivery_error(smtplib.SMTPRecipientsRefused({EMAIL: (451, b"later")}))]
    cmd = key_mail(kind="email_change_key")
    assert send(pool, mailer, clock, config, cmd) == Retry(countdown=2)
    assert outbox(pool) == []
    assert row(pool, cmd.mail_id, "email_change_key").attempts == 1
    clock.advance(seconds=2)
    assert isinstance(send(pool, mailer, clock, config, cmd, retries=1), Sent)
    assert len(mailer.sent) == 1
    assert [kind for kind, _ in outbox(pool)] == ["notice.mailed"]


def test_r10_a_key_mail_is_not_retried_past_its_keys_validity(pool, mailer, config):
    cmd = key_mail()
    clock = FixedClock(cmd.valid_until - timedelta(seconds=1))
    mailer.errors = [DeliveryError("ConnectionRefusedError", permanent=False)]
    assert send(pool, mailer, clock, config, cmd, retries=4) == Retry(countdown=1)
    clock.advance(seconds=1)
    assert send(pool, mailer, clock, config, cmd, retries=5) == Failed(KEY_EXPIRED_BEFORE_DELIVERY)
    assert mailer.sent == []
    [(kind, event)] = outbox(pool)
    assert kind == "notice.delivery_failed"
    assert event["payload"] == {"notice_id": str(cmd.mail_id), "kind": "password_reset_key",
                                "reason": KEY_EXPIRED_BEFORE_DELIVERY}
    assert send(pool, mailer, clock, config, cmd, retries=6) == AlreadyHandled("failed")


def test_a_notice_is_retried_for_its_window_from_the_first_attempt_then_given_up(
        pool, mailer, config):
    clock = FixedClock(ISSUED)
    cmd = notice(kind="password_changed")
    mailer.errors = [DeliveryError("ConnectionRefusedError", permanent=False)] * 3
    assert isinstance(send(pool, mailer, clock, config, cmd), Retry)
    clock.advance(hours=23, minutes=59)
    assert send(pool, mailer, clock, config, cmd, retries=1) == Retry(countdown=4)
    clock.advance(minutes=2)  # 24 h and 1 minute after the first attempt: the window is gone
    assert send(pool, mailer, clock, config, cmd, retries=2) == Failed(RETRY_WINDOW_PASSED)
    assert mailer.sent == []
    [(kind, event)] = outbox(pool)
    assert (kind, event["payload"]["reason"]) == ("notice.delivery_failed", RETRY_WINDOW_PASSED)


def test_a_notices_window_is_a_setting(pool, mailer):
    from notifier.config import Config

    config = Config(database_url="unused", notice_retry_hours=0.5)
    clock = FixedClock(ISSUED)
    cmd = notice()
    mailer.errors = [DeliveryError("451 later", permanent=False)]
    assert isinstance(send(pool, mailer, clock, config, cmd), Retry)
    clock.advance(minutes=31)
    assert send(pool, mailer, clock, config, cmd, retries=1) == Failed(RETRY_WINDOW_PASSED)


def test_a_permanent_rejection_gives_up_at_once_with_notice_delivery_failed(pool, mailer, config):
    clock = FixedClock(ISSUED)
    mailer.errors = [delivery_error(smtplib.SMTPRecipientsRefused({EMAIL: (550, b"no user")}))]
    cmd = notice(kind="account_closed")
    assert send(pool, mailer, clock, config, cmd) == Failed(REJECTED_BY_MAIL_SERVER)
    [(kind, event)] = outbox(pool)
    assert kind == "notice.delivery_failed"
    assert event["payload"] == {"notice_id": str(cmd.notice_id), "kind": "account_closed",
                                "reason": REJECTED_BY_MAIL_SERVER}
    found = row(pool, cmd.notice_id, "account_closed")
    assert (found.status, found.failure_reason) == ("failed", REJECTED_BY_MAIL_SERVER)


def test_unusable_notice_task_arguments_are_reported_as_delivery_failed(pool):
    notice_id = uuid.uuid4()
    outcome = report_unusable_notice_task(pool, ReportUnusableNoticeTask(notice_id, "new_login"),
                                          ISSUED)
    assert outcome == Failed(INVALID_TASK_ARGUMENTS)
    [(kind, event)] = outbox(pool)
    assert (kind, event["payload"]) == ("notice.delivery_failed", {
        "notice_id": str(notice_id), "kind": "new_login", "reason": INVALID_TASK_ARGUMENTS})


def test_no_key_no_address_and_no_client_is_stored_anywhere(pool, mailer, config):
    clock = FixedClock(ISSUED)
    send(pool, mailer, clock, config, key_mail())
    mailer.errors = [DeliveryError("451 4.3.2 later", permanent=False)]
    send(pool, mailer, clock, config, key_mail(kind="email_change_key"))
    send(pool, mailer, clock, config, notice())
    with pool.connection() as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
        dump = "".join(str(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables)
    assert "notices" in tables
    assert KEY not in dump and EMAIL not in dump and "203.0.113" not in dump
    assert "Firefox" not in dump


def test_key_mails_and_notices_go_through_smtp_to_the_mail_sink_decoded(pool, mailbox, config):
    mailer = SmtpMailer("127.0.0.1", mailbox.smtp_port, timeout=30)
    clock = FixedClock(ISSUED)
    mailbox.refuse(451)
    cmd = key_mail(language="en")
    assert send(pool, mailer, clock, config, cmd) == Retry(countdown=2)
    mailbox.accept()
    assert send(pool, mailer, clock, config, cmd, retries=1) == Sent(ISSUED)
    assert isinstance(send(pool, mailer, clock, config, notice(kind="registration_complete")),
                      Sent)
    completed, reset = mailbox.messages()  # newest first
    assert (reset["to"], reset["subject"]) == (EMAIL, "Your key to reset your password")
    assert KEY in reset["text"] and "2 April 2026, 14:10 (JST)" in reset["text"]
    assert "<" not in reset["text"]  # the plain part, not the HTML one
    assert completed["subject"] == "パスワード登録完了のお知らせ"
    assert "お心当たりのない場合" in completed["text"]
    assert "2026年4月2日 13時20分（日本時間）" in completed["text"]
