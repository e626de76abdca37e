"""Readiness checks: the database answers, the broker accepts a connection."""

from __future__ import annotations

from collections.abc import Callable, Mapping

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


def run_checks(checks: Mapping[str, Callable[[], None]]) -> tuple[bool, dict[str, str]]:
    """Run every readiness check: (all ok, name -> "ok" or why not). Never raises."""
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - report, never raise
            results[name] = f"unavailable: {type(exc).__name__}"
    return all(v == "ok" for v in results.values()), results
