"""Throw-away resources on the real servers: a database, a bus namespace, a Redis key
prefix, each of a test's (or a run's) own and removed afterwards."""

from __future__ import annotations

import os
import re
import socket
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import redis
from kombu import Connection

from shared.bus import Topology
from shared.db import drop_database, migrate
from shared.outbox import task_queue

POSTGRES = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BROKER = os.environ.get("TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
# The Celery queues of a namespace (`<ns>.mail`, `<ns>.timers`), which the relays declare.
TASK_QUEUES = ("mail", "timers")


def unique(prefix: str) -> str:
    """`<prefix>_<minute><random>`: the minute it was made (7 hex digits) lets the sweeper
    (`python -m testsupport sweep`) recognise what a killed run left behind."""
    return f"{prefix}_{int(time.time() // 60):07x}{uuid.uuid4().hex[:5]}"


# A name `unique` made: the minute (7 hex digits) and 5 random ones.
UNIQUE = re.compile(r"^[A-Za-z0-9_-]+_([0-9a-f]{7})[0-9a-f]{5}$")


def made_before(name: str, minute: int) -> bool:
    """Whether `name` (a database, or a namespace: the part before the first dot) is one of
    `unique`'s, made before `minute` (minutes since the epoch)."""
    match = UNIQUE.match(name.split(".", 1)[0])
    return bool(match) and int(match[1], 16) < minute


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dsn_for(dbname: str) -> str:
    base = POSTGRES.rsplit("/", 1)[0]
    return f"{base}/{dbname}"


@contextmanager
def fresh_database(service: str, migrations: Path | None = None) -> Iterator[str]:
    """A new database migrated with the shared migrations and `migrations` (none: only
    the shared ones); dropped afterwards."""
    dsn = dsn_for(unique(f"test_{service}"))
    if migrations is None:
        with tempfile.TemporaryDirectory() as nothing:
            migrate(dsn, Path(nothing))
    else:
        migrate(dsn, migrations)
    try:
        yield dsn
    finally:
        drop_database(dsn)


def empty_tables(conn: psycopg.Connection) -> None:
    """TRUNCATE every table of the database but the migration tool's own."""
    tables = [row[0] for row in conn.execute(
        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
        "AND tablename NOT LIKE '%yoyo%'").fetchall()]
    if tables:
        conn.execute(f"TRUNCATE {', '.join(tables)}")


def delete_namespace(namespace: str) -> None:
    """Remove a namespace's exchanges and queues, the Celery task queues included."""
    with Connection(BROKER) as conn:
        Topology(namespace=namespace).delete(conn)
        for name in TASK_QUEUES:
            queue = task_queue(f"{namespace}.{name}")
            queue(conn.default_channel).delete()
            queue.exchange(conn.default_channel).delete()


@contextmanager
def fresh_namespace() -> Iterator[Topology]:
    """A bus namespace of its own (exchanges and queues), deleted afterwards."""
    topology = Topology(namespace=unique("test"))
    with Connection(BROKER) as conn:
        topology.declare(conn)
    try:
        yield topology
    finally:
        delete_namespace(topology.namespace)


def delete_redis_keys(prefix: str) -> None:
    """Remove every Redis key under `prefix:`."""
    client = redis.Redis.from_url(REDIS)
    try:
        keys = list(client.scan_iter(f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start:start + 1000])
    finally:
        client.close()


@contextmanager
def fresh_redis_prefix(name: str = "test") -> Iterator[str]:
    """A Redis key prefix of its own; its keys are removed afterwards."""
    prefix = unique(name)
    try:
        yield prefix
    finally:
        delete_redis_keys(prefix)
