import pytest

from shared.clock import SystemClock
from shared.db import make_pool
from shared.testing import Tap, fresh_database, fresh_namespace


@pytest.fixture(scope="module")
def dsn(tmp_path_factory):
    empty = tmp_path_factory.mktemp("no_service_migrations")
    with fresh_database("shared", empty) as dsn:
        yield dsn


@pytest.fixture
def pool(dsn):
    pool = make_pool(dsn, max_size=4)
    with pool.connection() as conn:
        conn.execute("TRUNCATE outbox, inbox")
        conn.commit()
    yield pool
    pool.close()


@pytest.fixture
def topology():
    with fresh_namespace() as topology:
        yield topology


@pytest.fixture
def published(topology):
    tap = Tap(topology)
    yield tap
    tap.close()


@pytest.fixture
def clock():
    return SystemClock()
