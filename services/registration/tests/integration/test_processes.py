"""`python -m registration migrate|relay|consumer` as real processes on the real servers."""

import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from kombu import Connection, Producer

from shared.contracts.events import new_event
from shared.db import drop_database
from shared.outbox import add_event
from testsupport import BROKER, Tap, dsn_for, eventually, fresh_namespace, unique

pytestmark = pytest.mark.integration


def run(command, env, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "registration", command],
                            env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, **kwargs)


@pytest.fixture
def own_world():
    """A database migrated by the command itself and a namespace of its own."""
    dsn = dsn_for(unique("test_registration_cli"))
    with fresh_namespace() as topology:
        env = {"DATABASE_URL": dsn, "BUS_NAMESPACE": topology.namespace, "LOG_LEVEL": "WARNING"}
        try:
            assert run("migrate", env).wait(timeout=60) == 0
            yield dsn, topology, env
        finally:
            drop_database(dsn)


def test_migrate_relay_and_consumer_processes_work_together(own_world):
    dsn, topology, env = own_world
    with psycopg.connect(dsn, autocommit=True) as conn:
        tables = {r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()}
        assert {"codes", "applications", "accounts", "sessions", "audit_log", "outbox",
                "inbox"} <= tables
        assert run("migrate", env).wait(timeout=60) == 0  # idempotent
        consumer, relay = run("consumer", env), run("relay", env)
        tap = Tap(topology)
        try:
            now = datetime.now(UTC)
            code_id = uuid.uuid4()
            issued = new_event("code.issued", {
                "code_id": code_id, "job_seeker_number": "12345-1", "birth_date": date(1990, 1, 2),
                "code_digest": "a" * 64, "issued_at": now, "expires_at": now + timedelta(days=5),
                "supersedes": []}, producer="test", now=now)
            with Connection(BROKER) as broker:
                Producer(broker.default_channel).publish(
                    issued.to_message(), exchange=topology.exchange, routing_key="code.issued")
            eventually(lambda: conn.execute("SELECT count(*) FROM codes WHERE code_id = %s",
                                            (code_id,)).fetchone()[0] == 1, timeout=20)
            used = new_event("code.used", {"code_id": code_id, "account_id": uuid.uuid4(),
                                           "used_at": now}, producer="registration", now=now)
            with conn.transaction():
                add_event(conn, used)
            eventually(lambda: [e for e in tap.drain() if e["event_id"] == str(used.event_id)],
                       timeout=20)
        finally:
            for process in (consumer, relay):
                process.send_signal(signal.SIGTERM)
            for process in (consumer, relay):
                assert process.wait(timeout=20) == 0
            tap.close()
