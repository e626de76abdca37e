"""shared.outbox.add_quiet_events: events written with one statement and no NOTIFY (the
relay's poll publishes them), and decoys that cost the same but are not written (R5)."""

import threading
import uuid
from datetime import UTC, datetime

import pytest

from shared.contracts.events import new_event
from shared.outbox import Relay, add_quiet_events, pending_count
from testsupport import BROKER, eventually

pytestmark = pytest.mark.integration


def revoked():
    return new_event("code.revoked", {"code_id": uuid.uuid4(), "reason": "superseded"},
                     producer="test", now=datetime.now(UTC))


def test_quiet_events_are_written_together_and_decoys_not_at_all(pool):
    events = [revoked(), revoked()]
    with pool.connection() as conn, conn.transaction():
        add_quiet_events(conn, events)
        add_quiet_events(conn, [revoked()], keep=False)
        add_quiet_events(conn, [])
    with pool.connection() as conn:
        assert pending_count(conn) == 2
        rows = conn.execute("SELECT message_id, kind, destination, body FROM outbox "
                            "ORDER BY id").fetchall()
    assert [(r[0], r[1], r[2]) for r in rows] == [(e.event_id, "event", "code.revoked")
                                                  for e in events]
    assert [r[3] for r in rows] == [e.to_message() for e in events]


def test_quiet_events_roll_back_with_their_change(pool):
    with pytest.raises(RuntimeError), pool.connection() as conn, conn.transaction():
        add_quiet_events(conn, [revoked()])
        raise RuntimeError("the change failed")
    with pool.connection() as conn:
        assert pending_count(conn) == 0


def test_a_waiting_relay_publishes_quiet_events_at_its_next_poll(pool, dsn, topology,
                                                                 published, clock):
    relay = Relay(dsn, BROKER, topology, clock, poll_interval=0.5)
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    try:
        event = revoked()
        with pool.connection() as conn, conn.transaction():
            add_quiet_events(conn, [event])
        eventually(lambda: [e for e in published.drain() if e["event_id"] == str(event.event_id)],
                   timeout=5)
    finally:
        relay.stopping.set()
        thread.join(timeout=10)
