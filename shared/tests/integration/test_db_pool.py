"""The services' connection pools (shared.db.make_pool) on the real PostgreSQL: a pooled
connection the server ended is never handed out (nor waited on for long), the check costs no round trip on a healthy
connection, and a pool is whole again within about a second of an outage's end."""

import time

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool

from shared.db import make_pool
from testsupport import TcpProxy

pytestmark = pytest.mark.integration


def backend_pid(pool) -> int:
    with pool.connection() as conn:
        pid = conn.info.backend_pid
        conn.rollback()
        return pid


def test_a_healthy_connection_costs_no_round_trip_and_one_the_server_ended_is_replaced(
        dsn, monkeypatch):
    checks = []
    empty_query = ConnectionPool.check_connection
    monkeypatch.setattr(ConnectionPool, "check_connection",
                        staticmethod(lambda conn: checks.append(1) or empty_query(conn)))
    pool = make_pool(dsn, min_size=1, max_size=1)
    try:
        pid = backend_pid(pool)
        for _ in range(50):
            with pool.connection() as conn:
                assert conn.info.backend_pid == pid
        assert checks == []  # psycopg_pool's own check would have run 51 empty queries
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.2)  # the FATAL message reaches the idle connection's socket
        with pool.connection() as conn:  # no error: the dead one was checked and replaced
            assert conn.execute("SELECT 1").fetchone() == (1,)
            assert conn.info.backend_pid != pid
        assert checks == [1]  # the readable socket made it check, and replace
    finally:
        pool.close()


def test_ten_idle_connections_the_server_ended_are_passed_within_readiness_timeout(dsn):
    """The chaos suite's /readyz answered 503 PoolTimeout while the database answered: a
    worker's pool held idle connections the server had ended, and psycopg_pool waited its
    backoff (1 s, then 2 s) after each one it found broken, outlasting the probe's 2 s."""
    pool = make_pool(dsn, min_size=10, max_size=10)
    try:
        pool.wait(timeout=10)
        held = [pool.getconn() for _ in range(10)]
        pids = [conn.info.backend_pid for conn in held]
        for conn in held:
            conn.rollback()
            pool.putconn(conn)
        with psycopg.connect(dsn, autocommit=True) as admin:
            for pid in pids:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.3)  # every FATAL message reaches its idle connection's socket
        began = time.monotonic()
        with pool.connection(timeout=2) as conn:  # the readiness check's timeout
            assert conn.execute("SELECT 1").fetchone() == (1,)
            assert conn.info.backend_pid not in pids
        assert time.monotonic() - began < 1.5
    finally:
        pool.close()


def test_a_pool_is_whole_again_within_seconds_after_a_long_outage(dsn):
    parts = conninfo_to_dict(dsn)
    proxy = TcpProxy(parts.get("host", "127.0.0.1"), int(parts.get("port", 5432)))
    pool = make_pool(make_conninfo(dsn, host="127.0.0.1", port=proxy.port), min_size=2,
                     max_size=2)
    try:
        pool.wait(timeout=10)
        proxy.cut()
        cut = time.monotonic()
        # finds them broken and starts reconnecting; PoolTimeout is an OperationalError
        with pytest.raises(psycopg.OperationalError), pool.connection(timeout=1) as conn:
            conn.execute("SELECT 1")
        time.sleep(8.5 - (time.monotonic() - cut))
        proxy.restore()
        back = time.monotonic()
        with pool.connection(timeout=10) as conn:
            conn.execute("SELECT 1")
        # psycopg_pool's own backoff (attempts 1, 3, 7, 15 s after the first failure)
        # would make this wait about 6 s
        assert time.monotonic() - back < 2.5
    finally:
        pool.close()
        proxy.close()
