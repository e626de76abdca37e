"""The Flask application factory: `create_app(config)` builds one per process."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app
from psycopg_pool import ConnectionPool

from registration import apidoc
from registration.api import bp
from registration.config import Config
from registration.limits import Limits
from registration.messages import messages
from registration.passwords import Passwords
from shared import openapi, probes, web
from shared.clock import Clock, make_clock
from shared.db import make_pool


@dataclass
class Runtime:
    """What the views need, made once per process (the pool after gunicorn's fork)."""

    config: Config
    pool: ConnectionPool
    clock: Clock
    limits: Limits
    passwords: Passwords


def create_app(config: Config, clock: Clock | None = None) -> Flask:
    app = Flask(__name__)
    clock = clock or make_clock(config.test_clock_file)
    pool = make_pool(config.database_url, max_size=config.db_pool_size, name="registration")
    app.extensions["registration"] = Runtime(
        config=config,
        pool=pool,
        clock=clock,
        limits=Limits(config.redis_url, config.redis_prefix, clock),
        passwords=Passwords(config.argon2_memory_kib, config.argon2_time_cost,
                            config.argon2_parallelism, config.argon2_concurrency),
    )
    # Ready while the database answers; the broker's state is the jobportal_broker_up gauge
    # and a log line: step 2 writes its mail to the outbox and answers 201 through an outage.
    web.install(app, service="registration", messages=messages(), readiness={
        "database": probes.database(pool)})
    probes.watch_broker(config.broker_url)
    app.register_blueprint(bp)
    app.register_blueprint(openapi.blueprint(apidoc.document()))
    return app


def runtime() -> Runtime:
    return current_app.extensions["registration"]


def close(app: Flask) -> None:
    """Close the pool (tests and shutdown)."""
    app.extensions["registration"].pool.close()
