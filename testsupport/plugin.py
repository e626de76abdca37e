"""The pytest fixtures the suites share, loaded by every suite (`-p testsupport.plugin` in
the root pyproject.toml).

A suite's conftest keeps only what is its own. It names its database in one line,
`dsn = database_fixture("registration", MIGRATIONS)`, and widens a fixture's scope the
same way where its own session-wide fixtures need it:
`topology = namespace_fixture(scope="session")`.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from shared.db import make_pool
from testsupport.bus import Tap
from testsupport.mail import mail_sink
from testsupport.servers import empty_tables, fresh_database, fresh_namespace, fresh_redis_prefix


def database_fixture(service: str, migrations: Path | None = None, *, scope: str = "session"):
    """The `dsn` fixture: a throw-away database with the shared migrations and the
    service's `migrations` (none: the shared ones only), for `scope`."""

    @pytest.fixture(scope=scope, name="dsn")
    def dsn():
        with fresh_database(service, migrations) as dsn:
            yield dsn

    return dsn


def namespace_fixture(*, scope: str = "function"):
    """The `topology` fixture: a bus namespace of its own for `scope`, deleted afterwards
    with the Celery queues the relays declared in it."""

    @pytest.fixture(scope=scope, name="topology")
    def topology():
        with fresh_namespace() as topology:
            yield topology

    return topology


def redis_prefix_fixture(name: str = "test", *, scope: str = "function"):
    """The `redis_prefix` fixture: a Redis key prefix of its own for `scope`, its keys
    removed afterwards."""

    @pytest.fixture(scope=scope, name="redis_prefix")
    def redis_prefix():
        with fresh_redis_prefix(name) as prefix:
            yield prefix

    return redis_prefix


topology = namespace_fixture()
redis_prefix = redis_prefix_fixture()


@pytest.fixture
def pool(dsn):
    """A pool on the suite's database, every table emptied first."""
    pool = make_pool(dsn, max_size=6)
    with pool.connection() as conn:
        empty_tables(conn)
        conn.commit()
    yield pool
    pool.close()


@pytest.fixture
def conn(dsn):
    """An autocommit connection to the suite's database, every table emptied first."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        empty_tables(conn)
        yield conn


@pytest.fixture
def published(topology):
    """Every event published on the test's namespace (`published.of_type("code.issued")`)."""
    tap = Tap(topology)
    yield tap
    tap.close()


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory):
    """`python -m devtools smtp` on free ports, for the whole session."""
    with mail_sink(tmp_path_factory.mktemp("smtp")) as server:
        yield server


@pytest.fixture
def mailbox(smtp_server):
    """The session's SMTP server, emptied and accepting mail."""
    smtp_server.accept()
    smtp_server.clear()
    yield smtp_server
    smtp_server.accept()
