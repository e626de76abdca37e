"""Issue 15: code-issuer's /readyz depends on its database only, never on the broker."""

import dataclasses
import socket

import pytest
from code_issuer.app import create_app
from code_issuer.runtime import build

pytestmark = pytest.mark.integration


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_readyz_is_200_with_the_broker_unreachable(config, clock, pool):
    broken = dataclasses.replace(
        config, broker_url=f"amqp://guest:guest@127.0.0.1:{closed_port()}//")
    app = create_app(broken, build(broken, clock=clock))
    try:
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 200
        assert ready.get_json()["checks"] == {"database": "ok"}
    finally:
        app.extensions["code_issuer"].pool.close()


def test_readyz_is_503_naming_the_database_when_it_is_unreachable(config, clock, pool):
    broken = dataclasses.replace(
        config, database_url=f"postgresql://postgres@127.0.0.1:{closed_port()}/none")
    app = create_app(broken, build(broken, clock=clock))
    try:
        ready = app.test_client().get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json()["checks"]["database"].startswith("unavailable")
    finally:
        app.extensions["code_issuer"].pool.close()
