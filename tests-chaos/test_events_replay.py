"""Events delivered twice and out of order (issue 7): a tap records every event of a busy
system; replaying them all twice, shuffled, into the services' queues changes no view, and
views built from nothing but that shuffled stream end where the live ones are.

This file runs first (file order), while the system is new: its clock jump then expires
only the codes it made itself."""

import random
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import notifier
import psycopg
import pytest
import registration
import requests
from crowd import OFFICE, Crowd, Seeker
from kombu import Connection, Producer
from notifier.consumer import handlers as notifier_handlers
from registration.consumer import handlers as registration_handlers

from shared.bus import EventConsumer, Topology
from shared.clock import FixedClock
from shared.contracts.subscriptions import SUBSCRIPTIONS
from shared.db import make_pool
from testsupport import BROKER, Tap, eventually, fresh_database, fresh_namespace

# The views each consumer keeps (its inbox and outbox are plumbing, not views).
VIEWS = {
    "registration": ["codes", "applications", "accounts"],
    "code_issuer": ["codes", "job_seekers"],
    "notifier": ["timers", "deliveries"],
}


def snapshot(system) -> dict[str, list]:
    views = {}
    for service, tables in VIEWS.items():
        with psycopg.connect(system.databases[service]) as conn:
            for table in tables:
                views[f"{service}.{table}"] = conn.execute(
                    f"SELECT t::text FROM {table} t ORDER BY 1").fetchall()
    return views


def backlog(system) -> int:
    """Events still in an outbox or a service queue."""
    waiting = 0
    for dsn in system.databases.values():
        with psycopg.connect(dsn) as conn:
            waiting += conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL "
                                    "AND kind = 'event'").fetchone()[0]
    topology = Topology(system.namespace)
    with Connection(BROKER) as conn:
        for service in SUBSCRIPTIONS:
            queue = topology.service_queue(service)(conn.default_channel)
            waiting += queue.queue_declare(passive=True).message_count
    return waiting


def settled(system) -> dict[str, list]:
    """The views once nothing is travelling and they stopped changing."""
    def still():
        if backlog(system):
            return None
        before = snapshot(system)
        time.sleep(2)
        return before if not backlog(system) and snapshot(system) == before else None
    return eventually(still, timeout=120, interval=0.5)


def dead_letters(system) -> int:
    topology = Topology(system.namespace)
    with Connection(BROKER) as conn:
        return sum(topology.dead_letter_queue(s)(conn.default_channel)
                   .queue_declare(passive=True).message_count for s in SUBSCRIPTIONS)


def replay(events: list[dict], topology: Topology,
           services: tuple[str, ...] = tuple(SUBSCRIPTIONS)) -> dict[str, int]:
    """Every event twice, shuffled, straight into each subscribing service's queue."""
    doubled = events + events
    random.Random(7).shuffle(doubled)
    sent = dict.fromkeys(services, 0)
    with Connection(BROKER) as conn:
        producer = Producer(conn.default_channel, serializer="json")
        for event in doubled:
            for service in services:
                if event["type"] in SUBSCRIPTIONS[service]:
                    producer.publish(event, exchange="", routing_key=topology.queue_name(service),
                                     delivery_mode=2)
                    sent[service] += 1
    return sent


def busy_day(system, mailbox) -> None:
    """Flows, re-issues, office revokes and invalidations, then every code's expiry."""
    crowd = Crowd(system.urls, mailbox, system.databases["registration"], tag="replay",
                  size=30, concurrency=10)
    crowd.start()
    for _ in range(10):  # R3: a re-issue supersedes the first code
        seeker = Seeker(system)
        requests.post(f"{system.code_issuer_url}/v1/codes", headers=OFFICE, timeout=10,
                      json={"job_seeker_number": seeker.number, "birth_date": seeker.birth_date})
    for _ in range(5):
        seeker = Seeker(system)
        requests.post(f"{system.code_issuer_url}/v1/codes/{seeker.code_id}/revoke",
                      headers=OFFICE, timeout=10)
    for _ in range(3):  # R4: ten failures invalidate
        seeker = Seeker(system)
        for _ in range(10):
            requests.post(f"{system.registration_url}/v1/applications", timeout=10,
                          json=seeker.step2(birth_date="1970-01-01"))
    crowd.wait()
    assert crowd.completed() == 30
    settled(system)
    # Six days on, every code still active expires and every auth key with it.
    later = datetime.now(UTC) + timedelta(days=6)
    system.move_clock(later)

    def every_timer_fired():
        with psycopg.connect(system.databases["notifier"]) as conn:
            return conn.execute("SELECT count(*) FROM timers WHERE fired_at IS NULL AND "
                                "cancelled_at IS NULL AND due_at < %s", (later,)).fetchone()[0] == 0
    eventually(every_timer_fired, timeout=60, interval=0.5)


@pytest.fixture(scope="module")
def replayed(system, mailbox):
    """A busy day recorded by a tap, then every event replayed twice, shuffled, live."""
    tap = Tap(Topology(system.namespace))
    try:
        busy_day(system, mailbox)
        before = settled(system)
        events = tap.drain()
    finally:
        tap.close()
    dead = dead_letters(system)
    sent = replay(events, Topology(system.namespace))
    after = settled(system)
    return {"events": events, "before": before, "after": after, "sent": sent,
            "dead before": dead, "dead after": dead_letters(system)}


@pytest.fixture(scope="module")
def rebuilt(replayed):
    return rebuild_from(replayed["events"])


@pytest.fixture(scope="module")
def issued(replayed):
    return {e["payload"]["code_id"] for e in replayed["events"] if e["type"] == "code.issued"}


def test_the_tap_saw_every_kind_of_event(replayed):
    kinds = {e["type"] for e in replayed["events"]}
    assert {"code.issued", "code.revoked", "code.invalidated", "code.used", "code.expired",
            "account.registered", "auth_key.mailed", "auth_key.expired"} <= kinds, kinds
    assert sum(replayed["sent"].values()) >= len(replayed["events"])


def test_events_twice_and_shuffled_leave_every_live_view_as_it_was(replayed):
    assert replayed["after"] == replayed["before"]
    assert replayed["dead after"] == replayed["dead before"]  # nothing refused either


def test_registrations_codes_rebuilt_from_the_shuffled_stream_match_the_live_view(system,
                                                                                 rebuilt, issued):
    assert rebuilt["registration"] == event_made_codes(system.databases["registration"], issued)


def test_the_notifiers_timers_rebuilt_from_the_shuffled_stream_match_but_for_the_reason(
        system, rebuilt, issued):
    def without_reason(rows):
        return [row[:3] for row in rows]
    assert without_reason(rebuilt["notifier"]) == without_reason(
        code_timers(system.databases["notifier"], issued))


def test_the_notifiers_timers_rebuilt_from_the_shuffled_stream_match_the_live_view(
        system, rebuilt, issued):
    assert rebuilt["notifier"] == code_timers(system.databases["notifier"], issued)


def event_made_codes(dsn: str, code_ids: set[str]) -> list[tuple]:
    """Registration's codes as the code.* events make them (not step 2 or 3's columns)."""
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT code_id::text, job_seeker_number, birth_date, code_digest, issued_at, "
            "expires_at, revoke_reason, revoked_at IS NOT NULL, superseded_at IS NOT NULL, "
            "expired_at FROM codes WHERE code_id::text = ANY(%s) ORDER BY 1",
            (sorted(code_ids),)).fetchall()


def code_timers(dsn: str, code_ids: set[str]) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(
            "SELECT subject_id::text, due_at, cancelled_at IS NOT NULL, cancel_reason FROM "
            "timers WHERE kind = 'code.expired' AND subject_id::text = ANY(%s) ORDER BY 1",
            (sorted(code_ids),)).fetchall()


def rebuild_from(events: list[dict]) -> dict[str, list[tuple]]:
    """Run registration's and the notifier's real consumers on fresh databases and a fresh
    namespace, fed only the shuffled, doubled stream."""
    issued = {e["payload"]["code_id"] for e in events if e["type"] == "code.issued"}
    clock = FixedClock(datetime.now(UTC))
    out = {}
    with fresh_namespace() as topology:
        for service, package, make, read in (
                ("registration", registration, registration_handlers.dispatch, event_made_codes),
                ("notifier", notifier, notifier_handlers.dispatch, code_timers)):
            with fresh_database(f"replay_{service}", Path(package.__file__).parent
                                / "migrations") as dsn:
                pool = make_pool(dsn, max_size=2)
                connection = Connection(BROKER)
                consumer = EventConsumer(connection, topology, service, make(pool, clock))
                thread = threading.Thread(target=consumer.run, daemon=True)
                thread.start()
                try:
                    sent = replay(events, topology, (service,))[service]
                    eventually(lambda c=consumer, n=sent: c.handled >= n, timeout=120)
                    out[service] = read(dsn, issued)
                finally:
                    consumer.should_stop = True
                    thread.join(timeout=10)
                    connection.release()
                    pool.close()
    return out
