"""Readiness checks: the database answers, the broker accepts a connection."""

from __future__ import annotations

from collections.abc import Callable

from kombu import Connection
from psycopg_pool import ConnectionPool


def database(pool: ConnectionPool) -> Callable[[], None]:
    def check() -> None:
        with pool.connection(timeout=2) as conn:
            conn.execute("SELECT 1")

    return check


def broker(url: str) -> Callable[[], None]:
    def check() -> None:
        with Connection(url, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1)

    return check
