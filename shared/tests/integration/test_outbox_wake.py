"""OUTBOX_WAKE (issue 19): which writing transactions send NOTIFY, and that a row whose
NOTIFY was skipped still reaches the broker within the relay's poll interval, also when
it commits just after the relay's last look and when many writers race."""

import threading
import time
import uuid
from datetime import UTC, datetime

import psycopg
import pytest

from shared.config import NOTIFY, NOTIFY_IF_EMPTY, POLL
from shared.contracts.events import new_event
from shared.outbox import (
    CHANNEL,
    Relay,
    add_decoy_task,
    add_event,
    add_quiet_events,
    add_task,
    pending_count,
)
from testsupport import BROKER, eventually

pytestmark = pytest.mark.integration

MAIL_KWARGS = {"application_id": str(uuid.uuid4()), "email": "taro@example.jp",
               "auth_key": "7K3QZ9MX", "issued_at": "2026-04-01T01:00:00Z",
               "valid_until": "2026-04-01T01:50:00Z"}


def revoked():
    return new_event("code.revoked", {"code_id": uuid.uuid4(), "reason": "superseded"},
                     producer="test", now=datetime.now(UTC))


@pytest.fixture
def listener(dsn):
    """A LISTENing connection; `heard()` says how many notifications came since last asked."""
    conn = psycopg.connect(dsn, autocommit=True)
    conn.execute(f"LISTEN {CHANNEL}")

    class Listener:
        @staticmethod
        def heard(wait: float = 0.3) -> int:
            return sum(1 for _ in conn.notifies(timeout=wait))

    yield Listener
    conn.close()


def commit_event(pool, wake: str) -> uuid.UUID:
    event = revoked()
    with pool.connection() as conn, conn.transaction():
        add_event(conn, event, wake=wake)
    return event.event_id


def test_notify_wakes_the_relay_on_every_commit_and_poll_never(pool, listener):
    commit_event(pool, NOTIFY)
    commit_event(pool, NOTIFY)
    assert listener.heard() == 2
    commit_event(pool, POLL)
    with pool.connection() as conn, conn.transaction():
        add_task(conn, task="notifier.send_auth_key_mail", namespace="wake-test",
                 kwargs=MAIL_KWARGS, now=datetime.now(UTC), wake=POLL)
    assert listener.heard() == 0
    with pool.connection() as conn:
        assert pending_count(conn) == 4


def test_notify_if_empty_notifies_only_a_write_that_found_no_announced_row_waiting(
        pool, listener):
    commit_event(pool, NOTIFY_IF_EMPTY)  # nothing waits: NOTIFY
    assert listener.heard() == 1
    commit_event(pool, NOTIFY_IF_EMPTY)  # the first row waits: no NOTIFY
    with pool.connection() as conn, conn.transaction():
        add_task(conn, task="notifier.send_auth_key_mail", namespace="wake-test",
                 kwargs=MAIL_KWARGS, now=datetime.now(UTC), wake=NOTIFY_IF_EMPTY)
    assert listener.heard() == 0
    with pool.connection() as conn:
        conn.execute("UPDATE outbox SET published_at = now()")  # a relay drained them
        conn.commit()
    commit_event(pool, NOTIFY_IF_EMPTY)
    assert listener.heard() == 1


def test_quiet_rows_announced_to_nobody_do_not_silence_a_write(pool, listener):
    """R5's quiet events wait for the poll; a mail written after them must not wait too."""
    with pool.connection() as conn, conn.transaction():
        add_quiet_events(conn, [revoked(), revoked()])
    assert listener.heard() == 0
    commit_event(pool, NOTIFY_IF_EMPTY)
    assert listener.heard() == 1


def test_the_decoy_task_writes_nothing_and_wakes_as_a_task_does(pool, listener):
    for wake, heard in ((NOTIFY, 1), (NOTIFY_IF_EMPTY, 1), (POLL, 0)):
        with pool.connection() as conn, conn.transaction():
            add_decoy_task(conn, wake=wake)
        assert listener.heard() == heard, wake
    with pool.connection() as conn:
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 0


def timed(relay: Relay) -> list[float]:
    """The seconds each of the relay's looks takes (publishing and the broker's confirms
    included): a row committed just after a look began waits for that look, the poll
    interval, then the look that publishes it."""
    looks: list[float] = []
    look = relay.run_once

    def run_once() -> int:
        started = time.monotonic()
        try:
            return look()
        finally:
            looks.append(time.monotonic() - started)

    relay.run_once = run_once  # type: ignore[method-assign]
    return looks


def published_at(pool, message_id: uuid.UUID):
    with pool.connection() as conn:
        row = conn.execute("SELECT published_at FROM outbox WHERE message_id = %s",
                           (message_id,)).fetchone()
    return row[0] if row else None


def test_a_row_that_skipped_its_notify_after_the_relays_last_look_waits_one_poll_at_most(
        pool, dsn, topology, published, clock, listener):
    """The race notify-if-empty leaves open: a writer sees a row waiting (so keeps quiet),
    the relay drains that row and finds nothing more, then the writer commits."""
    poll = 0.6
    waiting = commit_event(pool, POLL)  # announced, waiting for the relay
    writer = pool.getconn()
    try:
        with writer.transaction():
            late = revoked()
            add_event(writer, late, wake=NOTIFY_IF_EMPTY)  # sees `waiting`: no NOTIFY
            relay = Relay(dsn, BROKER, topology, clock, poll_interval=poll)
            looks = timed(relay)
            thread = threading.Thread(target=relay.run, daemon=True)
            thread.start()
            eventually(lambda: published_at(pool, waiting), timeout=10)
            time.sleep(0.1)  # the relay's next look found nothing: it sleeps on LISTEN
        committed = time.monotonic()
    finally:
        pool.putconn(writer)
    try:
        assert listener.heard(wait=0) == 0  # the late row was announced to no one
        eventually(lambda: published_at(pool, late.event_id), timeout=poll + 2,
                   interval=0.01)
        waited = time.monotonic() - committed
    finally:
        relay.stopping.set()
        thread.join(timeout=10)
    assert waited < poll + 2 * max(looks) + 0.2  # 0.2 s: the test's own polling
    ids = {e["event_id"] for e in published.drain()}
    assert {str(waiting), str(late.event_id)} <= ids


def test_racing_writers_in_notify_if_empty_each_wait_one_poll_at_most(pool, dsn, topology,
                                                                      published, clock):
    """8 writers, each committing 25 events in quick succession while the relay drains:
    every row is published once, none later than the poll interval (plus the looks around
    it) after its commit."""
    poll = 0.5
    relay = Relay(dsn, BROKER, topology, clock, poll_interval=poll)
    looks = timed(relay)
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    commits: dict[uuid.UUID, float] = {}
    lock = threading.Lock()

    def writer():
        for _ in range(25):
            event = revoked()
            with pool.connection() as conn, conn.transaction():
                add_event(conn, event, wake=NOTIFY_IF_EMPTY)
            with lock:
                commits[event.event_id] = time.time()

    writers = [threading.Thread(target=writer) for _ in range(8)]
    try:
        for w in writers:
            w.start()
        for w in writers:
            w.join()
        eventually(lambda: len(published.drain()) >= 200, timeout=30)
    finally:
        relay.stopping.set()
        thread.join(timeout=10)
    with pool.connection() as conn:
        rows = dict(conn.execute(
            "SELECT message_id, extract(epoch FROM published_at) FROM outbox").fetchall())
    assert len(rows) == 200 and None not in rows.values()
    bound = poll + 2 * max(looks) + 0.1  # 0.1 s: the writer's own clock reading
    late = {m: float(rows[m]) - t for m, t in commits.items() if float(rows[m]) - t > bound}
    assert late == {}, f"bound {bound:.2f} s"
    ids = [e["event_id"] for e in published.seen]
    assert len(ids) == len(set(ids)) == 200
