"""Issue 15: registration's /readyz depends on its database only. A broker outage is what the
outbox is for: step 2 keeps answering, and the broker's state is a gauge and a log line."""

import socket

import pytest
from registration.app import create_app
from registration.runtime import build

from .conftest import close, settings

pytestmark = pytest.mark.integration


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readyz_is_200_with_the_broker_unreachable_and_the_gauge_says_so(
        dsn, topology, redis_prefix, clock, conn):
    config = settings(dsn, topology, redis_prefix,
                      broker_url=f"amqp://guest:guest@127.0.0.1:{closed_port()}//")
    app = create_app(config, build(config, clock=clock))
    try:
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 200
        assert ready.get_json()["checks"] == {"database": "ok"}
        from shared.probes import watch_broker

        watch_broker(config.broker_url).once()
        assert b"jobportal_broker_up 0.0" in app.test_client().get("/metrics").data
    finally:
        close(app)
