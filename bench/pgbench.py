"""SQL ceilings of B1: registration's own step-2 statements run by pgbench.

pgbench runs on a database of its own, migrated with registration's migrations and
seeded with as many codes (job seekers 99999-k) as the HTTP runs use, so nothing it
writes reaches the running system (its outbox rows have no relay).
"""

from __future__ import annotations

import math
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

from bench.load import HERE, run_measured
from shared.db import drop_database, migrate
from testsupport import dsn_for

REGISTRATION_MIGRATIONS = (HERE.parent / "services" / "registration" / "registration"
                           / "migrations")


@dataclass(frozen=True)
class SqlRun:
    transactions: int
    seconds: float
    tps: float
    p50_ms: float
    p99_ms: float
    failed: int
    cpu: float  # CPU seconds pgbench itself used


class SqlCeiling:
    """A throw-away registration database for pgbench; `close()` drops it."""

    def __init__(self, codes: int):
        self.codes = codes
        self.dsn = dsn_for(f"bench_pgbench_{uuid.uuid4().hex[:10]}")
        migrate(self.dsn, REGISTRATION_MIGRATIONS)
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO codes (code_id, job_seeker_number, birth_date, code_digest, "
                "issued_at, expires_at) SELECT md5(k::text)::uuid, '99999-' || k, "
                "'1990-04-01', lpad(k::text, 64, '0'), now(), now() + interval '5 days' "
                "FROM generate_series(1, %s) AS k", (codes,))
            conn.execute("ANALYZE")

    def reset_counters(self) -> None:
        """Every seeded code active again, as before the first run."""
        with connect_patiently(self.dsn) as conn:
            conn.execute("UPDATE codes SET failed_attempts = 0, invalidated_at = NULL "
                         "WHERE failed_attempts > 0")

    def run(self, script: str, clients: int, seconds: float) -> SqlRun:
        self.reset_counters()
        with tempfile.TemporaryDirectory(prefix="bench-pgbench-") as logs:
            argv = ["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "1",
                    "-T", str(int(seconds)), "-D", f"codes={self.codes}", "-D", "limit=10",
                    "-f", str(HERE / "sql" / script), "-l", "--log-prefix", f"{logs}/tx",
                    self.dsn]
            for attempt in range(13):
                done = run_measured(argv, timeout=seconds + 60)
                # other suites on the machine may hold most of max_connections for a moment
                if done.returncode == 0 or "too many clients" not in done.stderr or attempt == 12:
                    break
                for path in Path(logs).glob("tx*"):
                    path.unlink()
                time.sleep(5)
            if done.returncode != 0:
                raise RuntimeError(f"pgbench failed: {done.stderr[-800:]}")
            latencies, failed = [], 0
            for path in Path(logs).glob("tx*"):
                for line in path.read_text().splitlines():
                    fields = line.split()
                    if fields[2] == "failed" or fields[2] == "skipped":
                        failed += 1
                    else:
                        latencies.append(int(fields[2]) / 1000)
        latencies.sort()
        tps = next(float(ln.split("=")[1].split()[0]) for ln in done.stdout.splitlines()
                   if ln.startswith("tps ="))
        return SqlRun(len(latencies), seconds, tps, percentile(latencies, 50),
                      percentile(latencies, 99), failed, done.cpu)

    def close(self) -> None:
        """Drop the database, waiting out a moment of too many clients (so that a failed
        run's own error is the one reported)."""
        for attempt in range(13):
            try:
                drop_database(self.dsn)
                return
            except psycopg.OperationalError as exc:
                if "too many clients" not in str(exc) or attempt == 12:
                    raise
                time.sleep(5)


def connect_patiently(dsn: str, attempts: int = 13, pause: float = 5.0) -> psycopg.Connection:
    """An autocommit connection, waiting while other suites on the machine hold most of
    max_connections for a moment (as pgbench's own runs wait)."""
    for attempt in range(attempts):
        try:
            return psycopg.connect(dsn, autocommit=True)
        except psycopg.OperationalError as exc:
            if "too many clients" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(pause)
    raise AssertionError("unreachable")


def percentile(sorted_values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of already sorted values; NaN when empty."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(p / 100 * len(sorted_values))))
    return sorted_values[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)
