"""The worker's /metrics, read from the notifier's tables at scrape time (docs/METRICS.md):
mails sent, retried and failed by reason, their delivery time from the key's issue, the
least time an undelivered key has left, and timers overdue by the notifier's clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from notifier import store
from notifier.celery_app import TableCollector
from notifier.domain import AUTH_KEY_EXPIRED, CODE_EXPIRED, Timer
from notifier.store import notices
from notifier.templates import KINDS
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

pytestmark = pytest.mark.integration

NOW = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)


def scrape(pool) -> dict[tuple[str, tuple], float]:
    registry = CollectorRegistry()
    registry.register(TableCollector(pool, lambda: NOW))
    text = generate_latest(registry).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def delivery(conn, *, issued_seconds_before: float, delivered_after_issue: float | None,
             valid_minutes_left: float = 50):
    application_id = uuid.uuid4()
    issued = NOW - timedelta(seconds=issued_seconds_before)
    store.add_delivery(conn, application_id, NOW + timedelta(minutes=valid_minutes_left),
                       issued, issued)
    if delivered_after_issue is not None:
        store.record_sent(conn, application_id, issued + timedelta(seconds=delivered_after_issue),
                          "<m@x>")
    return application_id


def test_an_empty_notifier_reports_zeros_and_no_time_left(pool):
    seen = scrape(pool)
    for kind in KINDS:  # every kind's counters exist from the start (rate() sees the first)
        assert seen[("mails_sent_total", (("kind", kind),))] == 0
        assert seen[("mails_retried_total", (("kind", kind),))] == 0
        assert seen[("mail_delivery_seconds_count", (("kind", kind),))] == 0
    assert seen[("timers_overdue", (("kind", CODE_EXPIRED),))] == 0
    assert not any(name == "auth_key_mail_time_left_seconds" for name, _ in seen)  # no sample


def test_mails_are_counted_and_timed_from_the_keys_issue(pool):
    with pool.connection() as conn, conn.transaction():
        delivery(conn, issued_seconds_before=600, delivered_after_issue=0.04)
        delivery(conn, issued_seconds_before=600, delivered_after_issue=0.3)
        delivery(conn, issued_seconds_before=600, delivered_after_issue=40)
        retried = delivery(conn, issued_seconds_before=60, delivered_after_issue=None,
                           valid_minutes_left=12)
        store.record_attempt_failed(conn, retried, "451 try later")
        store.record_attempt_failed(conn, retried, "451 try later")
        given_up = delivery(conn, issued_seconds_before=60, delivered_after_issue=None)
        store.record_failed(conn, given_up, "rejected_by_mail_server", "550 no", NOW)

    seen = scrape(pool)

    key = ("kind", "auth_key")
    assert seen[("mails_sent_total", (key,))] == 3
    assert seen[("mails_retried_total", (key,))] == 2
    assert seen[("mails_failed_total", (key, ("reason", "rejected_by_mail_server")))] == 1
    assert seen[("mail_delivery_seconds_bucket", (key, ("le", "0.05")))] == 1
    assert seen[("mail_delivery_seconds_bucket", (key, ("le", "0.5")))] == 2
    assert seen[("mail_delivery_seconds_bucket", (key, ("le", "60.0")))] == 3
    assert seen[("mail_delivery_seconds_count", (key,))] == 3
    assert seen[("mail_delivery_seconds_sum", (key,))] == pytest.approx(40.34)
    assert seen[("auth_key_mail_time_left_seconds", (key,))] == pytest.approx(12 * 60)
    assert seen[("notifier_deliveries", (key, ("status", "sent")))] == 3


def test_key_mails_and_notices_are_counted_by_their_kind(pool):
    with pool.connection() as conn, conn.transaction():
        reset, login, closed = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        notices.add(conn, reset, "password_reset_key", NOW + timedelta(minutes=20),
                    NOW - timedelta(seconds=5), NOW - timedelta(seconds=5))
        notices.record_attempt_failed(conn, reset, "password_reset_key", "451 later")
        notices.add(conn, login, "new_login", NOW + timedelta(hours=24), NOW - timedelta(seconds=2),
                    NOW - timedelta(seconds=2))
        notices.record_sent(conn, login, "new_login", NOW - timedelta(seconds=1.8), "<m@x>")
        notices.add(conn, closed, "account_closed", NOW + timedelta(minutes=1), NOW, NOW)
        notices.record_failed(conn, closed, "account_closed", "rejected_by_mail_server", "550",
                              NOW)

    seen = scrape(pool)

    assert seen[("mails_sent_total", (("kind", "new_login"),))] == 1
    assert seen[("mail_delivery_seconds_sum", (("kind", "new_login"),))] == pytest.approx(0.2)
    assert seen[("mails_retried_total", (("kind", "password_reset_key"),))] == 1
    assert seen[("mails_failed_total", (("kind", "account_closed"),
                                        ("reason", "rejected_by_mail_server")))] == 1
    assert seen[("notifier_deliveries", (("kind", "password_reset_key"),
                                         ("status", "pending")))] == 1
    # the key's time left counts; a notice's retry window is no key's deadline
    assert seen[("auth_key_mail_time_left_seconds", (("kind", "password_reset_key"),))] == \
        pytest.approx(20 * 60)
    assert not any(name == "auth_key_mail_time_left_seconds" and ("kind", "new_login") in labels
                   for name, labels in seen)
    assert seen[("mails_sent_total", (("kind", "auth_key"),))] == 0


def test_overdue_timers_are_counted_by_kind_with_the_oldest_lateness(pool):
    with pool.connection() as conn, conn.transaction():
        for kind, late in ((CODE_EXPIRED, 90), (CODE_EXPIRED, 30), (AUTH_KEY_EXPIRED, -60)):
            store.schedule_timer(conn, Timer(kind, uuid.uuid4(), NOW - timedelta(seconds=late)),
                                 NOW - timedelta(hours=1), None)

    seen = scrape(pool)

    assert seen[("timers_overdue", (("kind", CODE_EXPIRED),))] == 2
    assert seen[("timers_oldest_overdue_seconds", (("kind", CODE_EXPIRED),))] == 90
    assert seen[("timers_overdue", (("kind", AUTH_KEY_EXPIRED),))] == 0
    assert seen[("timers_oldest_overdue_seconds", (("kind", AUTH_KEY_EXPIRED),))] == 0
