"""PostgreSQL: connection pools, databases and schema migrations (yoyo-migrations)."""

from __future__ import annotations

import logging
import select
import time
from pathlib import Path

import psycopg
import psycopg_pool.pool
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool
from psycopg_pool.base import AttemptWithBackoff
from yoyo import get_backend, read_migrations

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"
# A process that vanishes without closing its connection (host loss, partition) must not
# hold its row locks for the kernel's two-hour keepalive: both ends probe the link after
# 30 s, and the server ends a transaction left idle for 5 minutes.
DEAD_PEER_SETTINGS = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "options": "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 "
               "-c tcp_keepalives_count=3 -c idle_in_transaction_session_timeout=300000",
}
log = logging.getLogger(__name__)
# A pool that lost its connections retries with exponential backoff (1, 2, 4, ... 32 s
# between attempts by default), so a database back after a 30 s outage could stay out of
# reach for half a minute more, every request waiting out the pool's timeout. The wait
# between attempts is capped instead: a pool is whole again within about a second.
RECONNECT_MAX_DELAY = 1.0


class _CappedBackoff(AttemptWithBackoff):
    # The same backoff paces getconn's check loop: each idle connection found broken (the
    # server restarted, or ended the backends) costs the caller the next delay before the
    # next idle connection is tried. From 1 s, two broken connections outlasted /readyz's
    # 2 s and ten a request's 10 s while the database answered; from 10 ms growing by half,
    # a pool of ten broken connections is passed in about a second.
    INITIAL_DELAY = 0.01
    DELAY_BACKOFF = 1.5

    def update_delay(self, now: float) -> None:
        super().update_delay(now)
        self.delay = min(self.delay, RECONNECT_MAX_DELAY)


# psycopg_pool has no setting for it; its pools make their attempts from this name.
psycopg_pool.pool.AttemptWithBackoff = _CappedBackoff  # type: ignore[misc]


def check_idle_connection(conn: psycopg.Connection) -> None:
    """The pool's check when it hands out a connection, without a round trip when it can.

    An idle connection is sent nothing by the server. A server that shut down or restarted
    sends a FATAL message and closes, and a broken link closes: either leaves the socket
    readable, and only then the pool's usual check (an empty query) runs, fails, and the
    pool hands out a fresh connection instead. A silent partition is left to the keepalives.
    """
    try:
        readable, _, _ = select.select([conn.pgconn.socket], [], [], 0)
    except (OSError, ValueError, psycopg.OperationalError):
        readable = [True]
    if readable:
        ConnectionPool.check_connection(conn)


def make_pool(dsn: str, min_size: int = 1, max_size: int = 10, name: str = "db") -> ConnectionPool:
    """A pool opened at once; call it in each process (after fork), never before."""
    pool = ConnectionPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        name=name,
        open=False,
        timeout=10,
        kwargs={"autocommit": False, **DEAD_PEER_SETTINGS},
        check=check_idle_connection,
    )
    pool.open(wait=False)
    return pool


def database_name(dsn: str) -> str:
    return conninfo_to_dict(dsn)["dbname"]


def _maintenance_dsn(dsn: str) -> str:
    return make_conninfo(dsn, dbname="postgres")


def create_database(dsn: str) -> bool:
    """Create the database `dsn` names if it is missing; True when it was created."""
    name = database_name(dsn)
    with psycopg.connect(_maintenance_dsn(dsn), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists:
            return False
        try:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.errors.DuplicateDatabase:
            return False
    return True


def drop_database(dsn: str) -> None:
    name = database_name(dsn)
    with psycopg.connect(_maintenance_dsn(dsn), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _yoyo_url(dsn: str) -> str:
    parts = conninfo_to_dict(dsn)
    user = parts.get("user", "postgres")
    password = f":{parts['password']}" if parts.get("password") else ""
    host = parts.get("host", "127.0.0.1")
    port = parts.get("port", "5432")
    return f"postgresql+psycopg://{user}{password}@{host}:{port}/{parts['dbname']}"


def wait_for_server(dsn: str, seconds: float = 30) -> None:
    """Return once the server accepts a connection; a process starting beside a database
    that is restarting or briefly full waits instead of crashing."""
    deadline = time.monotonic() + seconds
    delay = 0.2
    while True:
        try:
            with psycopg.connect(_maintenance_dsn(dsn), connect_timeout=5):
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("database not reachable yet; waiting", extra={"error": str(exc)[:200]})
            time.sleep(delay)
            delay = min(delay * 2, 3)


def migrate(dsn: str, service_migrations: Path, create: bool = True) -> list[str]:
    """Apply the shared (outbox, inbox) and the service's migrations; return applied ids."""
    wait_for_server(dsn)
    if create:
        create_database(dsn)
    backend = get_backend(_yoyo_url(dsn))
    migrations = read_migrations(str(SHARED_MIGRATIONS), str(service_migrations))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    applied = [m.id for m in pending]
    if applied:
        log.info("migrations applied", extra={"migrations": applied})
    return applied
