"""The shared library's integration tests: a database with only the shared migrations
(outbox, inbox) per module; `pool`, `topology` and `published` come from
testsupport.plugin."""

import pytest

from shared.clock import SystemClock
from testsupport.plugin import database_fixture

dsn = database_fixture("shared", scope="module")


@pytest.fixture
def clock():
    return SystemClock()
