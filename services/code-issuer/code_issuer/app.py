"""The code-issuer's Flask application factory."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from psycopg_pool import ConnectionPool

from code_issuer import api
from code_issuer.config import Config
from shared import openapi, probes
from shared.clock import Clock, make_clock
from shared.db import make_pool, migrate
from shared.web import install

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class Context:
    config: Config
    pool: ConnectionPool
    clock: Clock


def create_app(config: Config, clock: Clock | None = None) -> Flask:
    """Build the app; the pool is made here, in each gunicorn worker (never preloaded)."""
    if config.migrate_on_start:
        migrate(config.database_url, MIGRATIONS)
    app = Flask(__name__)
    pool = make_pool(config.database_url, name="code_issuer")
    app.extensions["code_issuer"] = Context(config, pool, clock or make_clock(config.test_clock_file))
    # Ready while the database answers. The API never talks to the broker (the outbox does):
    # its state is the jobportal_broker_up gauge and a log line, not a reason to leave the
    # Service (an outage is what the outbox is for).
    install(app, service="code-issuer", messages=api.MESSAGES, max_body_bytes=config.max_body_bytes,
            readiness={"database": probes.database(pool)})
    probes.watch_broker(config.broker_url)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.blueprint(api.openapi_document()))
    return app
