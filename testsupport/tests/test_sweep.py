"""The sweeper removes only what `unique` made, and only once it is old enough."""

import time
import uuid

import psycopg
from kombu import Connection, Queue

from testsupport import BROKER, POSTGRES, unique
from testsupport.__main__ import sweep_broker, sweep_databases
from testsupport.servers import made_before

NOW = int(time.time() // 60)


def test_names_made_by_unique_carry_their_minute():
    name = unique("test")
    minute = int(time.time() // 60)
    assert made_before(name, minute + 2) and not made_before(name, minute - 1)
    assert made_before(f"{name}.registration.dlq", minute + 2)


def test_other_names_are_never_swept():
    for name in ("jobportal.registration", "jobportal", "postgres", "test", "test_abc.x",
                 "test_0123456789.registration"):
        assert not made_before(name, 10**9)


def test_sweeping_removes_old_queues_and_databases_and_keeps_young_ones():
    old = f"sweep_{NOW - 600:07x}{uuid.uuid4().hex[:5]}"  # as if made 10 hours ago
    young = unique("sweep")
    with Connection(BROKER) as conn:
        for name in (old, young):
            Queue(f"{name}.q", durable=False)(conn.default_channel).declare()
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        for name in (old, young):
            conn.execute(f'CREATE DATABASE "{name}"')
    minute = NOW - 300  # older than 5 hours: nothing a run still going could own
    try:
        assert sweep_broker(minute) >= 1 and sweep_databases(minute) >= 1
        with Connection(BROKER) as conn:
            assert conn.default_channel.queue_declare(f"{young}.q", passive=True)
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            names = {r[0] for r in conn.execute("SELECT datname FROM pg_database")}
        assert old not in names
    finally:
        with Connection(BROKER) as conn:
            conn.default_channel.queue_delete(f"{young}.q")
        with psycopg.connect(POSTGRES, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{young}" WITH (FORCE)')
