import smtplib
import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.parser import BytesParser

import pytest
from notifier import store
from notifier.commands import ReportUnusableMailTask, SendAuthKeyMail
from notifier.domain import EXPIRED_BEFORE_DELIVERY, INVALID_TASK_ARGUMENTS, REJECTED_BY_MAIL_SERVER, Retry
from notifier.mail import DeliveryError, SmtpMailer, delivery_error
from notifier.usecases import AlreadyHandled, Busy, Failed, Sent, report_unusable_mail_task
from notifier.usecases import send_auth_key_mail as send

from shared.clock import FixedClock

pytestmark = pytest.mark.integration

ISSUED = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)  # 10:00 JST
KEY = "7K3QZ9MX"
EMAIL = "taro@example.jp"


def request(**over):
    fields = {"application_id": uuid.uuid4(), "email": EMAIL, "auth_key": KEY,
              "issued_at": ISSUED, "valid_until": ISSUED + timedelta(minutes=50)}
    fields.update(over)
    return SendAuthKeyMail(**fields)


def deliver_auth_key_mail(pool, mailer, clock, config, req, retries):
    """The use case as the task calls it: attempt `retries` + 1, starting at the clock's now."""
    return send(pool, replace(req, retries=retries), clock.now(), mailer=mailer, clock=clock,
                config=config)


def outbox(pool):
    with pool.connection() as conn:
        return conn.execute("SELECT destination, body FROM outbox ORDER BY id").fetchall()


def delivery(pool, application_id):
    with pool.connection() as conn:
        return store.get_delivery(conn, application_id)


def test_r10_delivered_at_is_when_the_server_accepted_and_the_expiry_is_fifty_minutes_later(
        pool, mailer, config):
    clock = FixedClock(ISSUED + timedelta(seconds=20))
    mailer.during_send = lambda: clock.advance(seconds=3)  # the server takes 3 s to answer
    req = request()
    outcome = deliver_auth_key_mail(pool, mailer, clock, config, req, retries=0)
    delivered_at = ISSUED + timedelta(seconds=23)
    assert outcome == Sent(delivered_at)
    assert len(mailer.sent) == 1
    text = BytesParser(policy=policy.default).parsebytes(mailer.sent[0].as_bytes()).get_body(
        ("plain",)).get_content()
    assert KEY in text and "2026年4月1日 10時50分" in text
    row = delivery(pool, req.application_id)
    assert (row.status, row.delivered_at, row.attempts) == ("sent", delivered_at, 1)
    [(kind, event)] = outbox(pool)
    assert kind == "auth_key.mailed"
    assert event["payload"] == {"application_id": str(req.application_id),
                                "delivered_at": "2026-04-01T01:00:23Z"}
    with pool.connection() as conn:
        due = conn.execute("SELECT due_at FROM timers WHERE kind = 'auth_key.expired' "
                           "AND subject_id = %s", (req.application_id,)).fetchone()[0]
    assert due == delivered_at + timedelta(minutes=50)


def test_a_task_delivered_twice_sends_one_mail_once_the_first_result_is_recorded(pool, mailer,
                                                                                 config):
    clock = FixedClock(ISSUED)
    req = request()
    assert isinstance(deliver_auth_key_mail(pool, mailer, clock, config, req, 0), Sent)
    assert deliver_auth_key_mail(pool, mailer, clock, config, req, 0) == AlreadyHandled("sent")
    assert len(mailer.sent) == 1
    assert [kind for kind, _ in outbox(pool)] == ["auth_key.mailed"]


def test_a_concurrent_attempt_of_the_same_mail_waits_and_sends_nothing(pool, mailer, config):
    clock = FixedClock(ISSUED)
    req = request()
    talking, release = threading.Event(), threading.Event()

    def slow_server():
        talking.set()
        assert release.wait(10)

    mailer.during_send = slow_server
    first = []
    thread = threading.Thread(target=lambda: first.append(
        deliver_auth_key_mail(pool, mailer, clock, config, req, 0)))
    thread.start()
    assert talking.wait(10)
    mailer.during_send = None
    assert deliver_auth_key_mail(pool, mailer, clock, config, req, 0) == Busy()
    release.set()
    thread.join(10)
    assert isinstance(first[0], Sent)
    assert deliver_auth_key_mail(pool, mailer, clock, config, req, 0) == AlreadyHandled("sent")
    assert len(mailer.sent) == 1


def test_r10_a_transient_refusal_is_retried_and_counted_without_events(pool, mailer, config):
    clock = FixedClock(ISSUED)
    mailer.errors = [delivery_error(smtplib.SMTPRecipientsRefused({EMAIL: (451, b"later")}))]
    req = request()
    assert deliver_auth_key_mail(pool, mailer, clock, config, req, 0) == Retry(countdown=2)
    row = delivery(pool, req.application_id)
    assert (row.status, row.attempts) == ("pending", 1)
    assert outbox(pool) == []
    clock.advance(seconds=2)
    assert isinstance(deliver_auth_key_mail(pool, mailer, clock, config, req, 1), Sent)
    assert delivery(pool, req.application_id).attempts == 2
    assert len(mailer.sent) == 1


def test_r10_a_key_that_expired_before_delivery_is_not_mailed_and_delivery_failed_is_told(
        pool, mailer, config):
    req = request()
    clock = FixedClock(req.valid_until - timedelta(seconds=1))
    mailer.errors = [DeliveryError("ConnectionRefusedError", permanent=False)]
    assert deliver_auth_key_mail(pool, mailer, clock, config, req, 5) == Retry(countdown=1)
    clock.advance(seconds=1)
    assert deliver_auth_key_mail(pool, mailer, clock, config, req, 6) == Failed(
        EXPIRED_BEFORE_DELIVERY)
    assert mailer.sent == []
    row = delivery(pool, req.application_id)
    assert (row.status, row.failure_reason) == ("failed", EXPIRED_BEFORE_DELIVERY)
    [(kind, event)] = outbox(pool)
    assert kind == "auth_key.delivery_failed"
    assert event["payload"] == {"application_id": str(req.application_id),
                                "reason": EXPIRED_BEFORE_DELIVERY}
    assert deliver_auth_key_mail(pool, mailer, clock, config, req, 7) == AlreadyHandled("failed")


def test_a_permanent_rejection_fails_at_once_and_delivery_failed_is_told(pool, mailer, config):
    clock = FixedClock(ISSUED)
    mailer.errors = [delivery_error(smtplib.SMTPRecipientsRefused({EMAIL: (550, b"no user")}))]
    req = request()
    assert deliver_auth_key_mail(pool, mailer, clock, config, req, 0) == Failed(
        REJECTED_BY_MAIL_SERVER)
    assert [kind for kind, _ in outbox(pool)] == ["auth_key.delivery_failed"]


def test_unusable_task_arguments_are_reported_as_delivery_failed(pool):
    application_id = uuid.uuid4()
    outcome = report_unusable_mail_task(pool, ReportUnusableMailTask(application_id), ISSUED)
    assert outcome == Failed(INVALID_TASK_ARGUMENTS)
    [(kind, event)] = outbox(pool)
    assert kind == "auth_key.delivery_failed"
    assert event["payload"]["reason"] == INVALID_TASK_ARGUMENTS


def test_no_key_and_no_address_are_stored_anywhere(pool, mailer, config):
    clock = FixedClock(ISSUED)
    deliver_auth_key_mail(pool, mailer, clock, config, request(), 0)
    mailer.errors = [DeliveryError("451 4.3.2 later", permanent=False)]
    deliver_auth_key_mail(pool, mailer, clock, config, request(), 0)
    with pool.connection() as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()]
        dump = "".join(str(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables)
    assert "deliveries" in tables and "timers" in tables
    assert KEY not in dump and EMAIL not in dump


def test_the_use_case_sends_through_smtp_to_the_mail_sink_and_a_refusal_is_retried(pool, mailbox,
                                                                                    config):
    mailer = SmtpMailer("127.0.0.1", mailbox.smtp_port, timeout=30)
    clock = FixedClock(ISSUED)
    req = request()
    mailbox.refuse(451)
    assert deliver_auth_key_mail(pool, mailer, clock, config, req, 0) == Retry(countdown=2)
    assert mailbox.messages() == []
    mailbox.accept()
    assert deliver_auth_key_mail(pool, mailer, clock, config, req, 1) == Sent(ISSUED)
    [mail] = mailbox.messages()
    assert (mail["to"], mail["subject"]) == (EMAIL, "パスワード登録申込受付通知")
    assert KEY in mail["text"] and "2026年4月1日 10時50分" in mail["text"]
    assert [kind for kind, _ in outbox(pool)] == ["auth_key.mailed"]


def test_a_resent_key_takes_a_pending_mail_over_and_the_old_tasks_retries_stop(pool, mailer,
                                                                             config):
    """Issue 16's re-send: registration mails a new key for an application whose mail is
    stuck; the new task's later issue supersedes the old task, which then sends nothing."""
    clock = FixedClock(ISSUED + timedelta(seconds=5))
    stuck = request()
    mailer.errors = [delivery_error(smtplib.SMTPServerDisconnected("the server went away"))]
    assert isinstance(deliver_auth_key_mail(pool, mailer, clock, config, stuck, 0), Retry)
    resent = replace(stuck, auth_key="9QW4RT2Z", issued_at=ISSUED + timedelta(minutes=20),
                     valid_until=ISSUED + timedelta(minutes=70))
    clock.advance(minutes=20)

    assert isinstance(deliver_auth_key_mail(pool, mailer, clock, config, resent, 0), Sent)
    assert deliver_auth_key_mail(pool, mailer, clock, config, stuck, 1) == AlreadyHandled("sent")
    [message] = mailer.sent
    text = message.parsed().get_body(("plain",)).get_content()
    assert "9QW4RT2Z" in text and KEY not in text
    row = delivery(pool, stuck.application_id)
    assert (row.issued_at, row.valid_until) == (resent.issued_at, resent.valid_until)


def test_an_old_task_arriving_after_the_resend_is_superseded(pool, mailer, config):
    clock = FixedClock(ISSUED + timedelta(minutes=20))
    old = request()
    new = replace(old, auth_key="9QW4RT2Z", issued_at=ISSUED + timedelta(minutes=19),
                  valid_until=ISSUED + timedelta(minutes=69))
    mailer.errors = [delivery_error(smtplib.SMTPServerDisconnected("the server went away"))]
    assert isinstance(deliver_auth_key_mail(pool, mailer, clock, config, new, 0), Retry)
    assert deliver_auth_key_mail(pool, mailer, clock, config, old, 3) == \
        AlreadyHandled("superseded")
    assert mailer.sent == []
