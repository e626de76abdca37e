import threading
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from kombu import Connection, Producer
from notifier import store, usecases
from notifier.commands import CancelCodeExpiry, FireDueTimers, ScheduleCodeExpiry
from notifier.consumer import handlers as registry
from notifier.consumer import make_consumer
from notifier.domain import AUTH_KEY_EXPIRED, CODE_EXPIRED, Timer

from shared.clock import FixedClock
from shared.contracts.events import new_event
from testsupport import BROKER, eventually

pytestmark = pytest.mark.integration

NOW = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
EXPIRES = datetime(2026, 4, 6, 15, 0, tzinfo=UTC)  # 4/7 00:00 JST


def issued(code_id, supersedes=(), expires_at=EXPIRES):
    return new_event("code.issued", {
        "code_id": code_id, "job_seeker_number": "12345-1234567", "birth_date": date(1990, 1, 2),
        "code_digest": "a" * 64, "issued_at": NOW, "expires_at": expires_at,
        "supersedes": list(supersedes)}, producer="code-issuer", now=NOW)


def revoked(code_id, reason="revoked_by_office"):
    return new_event("code.revoked", {"code_id": code_id, "reason": reason},
                     producer="code-issuer", now=NOW)


def used(code_id):
    return new_event("code.used", {"code_id": code_id, "account_id": uuid.uuid4(), "used_at": NOW},
                     producer="registration", now=NOW)


def make_handlers(pool, clock):
    """The consumer's callbacks by event type (each in one transaction with the inbox)."""
    return registry.dispatch(pool, clock)


def fire_due_timers(pool, clock, batch):
    """The sweep's use case, as the task calls it."""
    return usecases.fire_due_timers(pool, FireDueTimers(batch), clock.now(), clock=clock)


def fired_events(pool):
    with pool.connection() as conn:
        return [(kind, body["payload"]) for kind, body in conn.execute(
            "SELECT destination, body FROM outbox ORDER BY id").fetchall()]


def add_timers(pool, timers):
    with pool.connection() as conn, conn.transaction():
        for timer in timers:
            store.schedule_timer(conn, timer, NOW, None)


def test_r2_code_issued_schedules_code_expired_when_the_validity_ends(pool):
    clock = FixedClock(NOW)
    handlers = make_handlers(pool, clock)
    code_id = uuid.uuid4()
    handlers["code.issued"](issued(code_id))
    clock.set(EXPIRES - timedelta(microseconds=1))
    assert fire_due_timers(pool, clock, 100) == 0
    clock.set(EXPIRES)
    assert fire_due_timers(pool, clock, 100) == 1
    assert fired_events(pool) == [(CODE_EXPIRED, {"code_id": str(code_id),
                                                  "expired_at": "2026-04-06T15:00:00Z"})]
    clock.advance(days=1)
    assert fire_due_timers(pool, clock, 100) == 0  # fired once, never again


def test_the_sweep_claims_exactly_the_timers_due_by_the_injected_clock(pool):
    timers = [Timer(kind, uuid.uuid4(), NOW + timedelta(seconds=offset))
              for kind in (CODE_EXPIRED, AUTH_KEY_EXPIRED) for offset in (-60, -1, 0, 1, 60)]
    add_timers(pool, timers)
    clock = FixedClock(NOW)
    fire_due_timers(pool, clock, 100)
    fired = {(kind, payload.get("code_id") or payload["application_id"])
             for kind, payload in fired_events(pool)}
    assert fired == {(t.kind, str(t.subject_id)) for t in timers if t.is_due(clock.now())}
    assert len(fired) == 6


def test_a_revoke_that_arrives_before_its_issue_leaves_the_timer_cancelled(pool):
    clock = FixedClock(NOW)
    handlers = make_handlers(pool, clock)
    code_id = uuid.uuid4()
    handlers["code.revoked"](revoked(code_id))
    handlers["code.issued"](issued(code_id))
    clock.set(EXPIRES + timedelta(days=1))
    assert fire_due_timers(pool, clock, 100) == 0
    with pool.connection() as conn:
        row = conn.execute("SELECT due_at, cancel_reason FROM timers WHERE subject_id = %s",
                           (code_id,)).fetchone()
    assert row == (EXPIRES, "revoked:revoked_by_office")


def test_used_and_superseded_codes_never_expire(pool):
    clock = FixedClock(NOW)
    handlers = make_handlers(pool, clock)
    used_code, old_code, new_code = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    handlers["code.issued"](issued(used_code))
    handlers["code.used"](used(used_code))
    handlers["code.issued"](issued(old_code))
    handlers["code.issued"](issued(new_code, supersedes=[old_code]))
    clock.set(EXPIRES)
    fire_due_timers(pool, clock, 100)
    assert fired_events(pool) == [(CODE_EXPIRED, {"code_id": str(new_code),
                                                  "expired_at": "2026-04-06T15:00:00Z"})]


def test_a_revoke_after_the_timer_fired_changes_nothing(pool):
    clock = FixedClock(EXPIRES)
    handlers = make_handlers(pool, clock)
    code_id = uuid.uuid4()
    handlers["code.issued"](issued(code_id))
    assert fire_due_timers(pool, clock, 100) == 1
    handlers["code.revoked"](revoked(code_id))
    with pool.connection() as conn:
        assert conn.execute("SELECT cancelled_at FROM timers WHERE subject_id = %s",
                            (code_id,)).fetchone()[0] is None


def test_a_duplicated_event_is_handled_once(pool):
    clock = FixedClock(NOW)
    handlers = make_handlers(pool, clock)
    event = issued(uuid.uuid4())
    handlers["code.issued"](event)
    handlers["code.issued"](event)
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM inbox").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM timers").fetchone()[0] == 1


def test_two_sweeps_at_once_fire_each_timer_exactly_once(pool):
    timers = [Timer(AUTH_KEY_EXPIRED, uuid.uuid4(), NOW - timedelta(seconds=i)) for i in range(300)]
    add_timers(pool, timers)
    clock = FixedClock(NOW)
    counts = []
    threads = [threading.Thread(target=lambda: counts.append(fire_due_timers(pool, clock, 20)))
               for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    events = fired_events(pool)
    assert sum(counts) == 300 and len(events) == 300
    assert len({p["application_id"] for _, p in events}) == 300


def test_a_late_sweep_catches_up_on_every_overdue_timer(pool):
    add_timers(pool, [Timer(CODE_EXPIRED, uuid.uuid4(), NOW - timedelta(hours=h)) for h in range(250)])
    assert fire_due_timers(pool, FixedClock(NOW), 100) == 250
    assert len(fired_events(pool)) == 250


def test_the_consumer_takes_code_events_from_the_bus_and_dead_letters_a_bad_one(pool, dsn, topology, config):
    from dataclasses import replace

    consumer = make_consumer(replace(config, bus_namespace=topology.namespace), pool,
                             FixedClock(NOW))
    thread = threading.Thread(target=consumer.run, daemon=True)
    thread.start()
    try:
        code_id, other = uuid.uuid4(), uuid.uuid4()
        bad = issued(uuid.uuid4()).to_message()
        bad["payload"]["expires_at"] = "next week"
        with Connection(BROKER) as conn:
            producer = Producer(conn.default_channel)
            producer.publish(bad, exchange=topology.exchange, routing_key="code.issued")
            for event in (revoked(other), issued(code_id), issued(other)):
                producer.publish(event.to_message(), exchange=topology.exchange,
                                 routing_key=event.type)
        eventually(lambda: consumer.handled >= 3, timeout=15)
        with pool.connection() as conn:
            rows = dict(conn.execute("SELECT subject_id, cancelled_at IS NULL FROM timers").fetchall())
        assert rows == {code_id: True, other: False}  # the bad event changed nothing

        def dead_letters():
            with Connection(BROKER) as conn:
                dlq = topology.dead_letter_queue("notifier")(conn.default_channel)
                return dlq.queue_declare(passive=True).message_count

        eventually(lambda: dead_letters() == 1, timeout=10)
    finally:
        consumer.should_stop = True
        thread.join(10)
        consumer.connection.release()


def test_the_timer_use_cases_change_the_callers_transaction_only(pool):
    kept, superseded, used_code = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    with pool.connection() as conn:
        with conn.transaction():
            usecases.schedule_code_expiry(conn, ScheduleCodeExpiry(superseded, EXPIRES), NOW)
            usecases.schedule_code_expiry(conn, ScheduleCodeExpiry(used_code, EXPIRES), NOW)
            usecases.cancel_code_expiry(conn, CancelCodeExpiry(used_code, "used"), NOW)
        with conn.transaction(force_rollback=True):
            usecases.schedule_code_expiry(conn, ScheduleCodeExpiry(uuid.uuid4(), EXPIRES), NOW)
        with conn.transaction():
            usecases.schedule_code_expiry(
                conn, ScheduleCodeExpiry(kept, EXPIRES, supersedes=[superseded]), NOW,
                correlation_id="c-1")
        rows = conn.execute("SELECT subject_id, cancel_reason, correlation_id FROM timers "
                            "ORDER BY created_at, id").fetchall()
    assert sorted(rows, key=str) == sorted([(superseded, "revoked:superseded", None),
                                           (used_code, "used", None), (kept, None, "c-1")], key=str)
    assert fire_due_timers(pool, FixedClock(EXPIRES), 100) == 1
    assert fired_events(pool) == [(CODE_EXPIRED, {"code_id": str(kept),
                                                  "expired_at": "2026-04-06T15:00:00Z"})]
