"""The code-issuer's Flask application factory."""

from __future__ import annotations

from flask import Flask

from code_issuer import api
from code_issuer.config import SERVICE, Config
from code_issuer.messages import MESSAGES
from code_issuer.runtime import Runtime, build
from code_issuer.store import MIGRATIONS
from shared import openapi, probes
from shared.db import migrate
from shared.web import install


def create_app(config: Config, runtime: Runtime | None = None) -> Flask:
    """Build the app; the runtime (its pool) is made here, in each gunicorn worker (never
    preloaded), unless given."""
    if config.migrate_on_start:
        migrate(config.database_url, MIGRATIONS)
    app = Flask(__name__)
    runtime = runtime if runtime is not None else build(config)
    app.extensions[SERVICE] = runtime
    # Ready while the database answers. The API never talks to the broker (the outbox does):
    # its state is the jobportal_broker_up gauge and a log line, not a reason to leave the
    # Service (an outage is what the outbox is for).
    install(app, service="code-issuer", messages=MESSAGES, refusals=api.REFUSALS,
            max_body_bytes=config.max_body_bytes, trusted_proxies=config.trusted_proxies,
            readiness={"database": probes.database(runtime.pool)})
    probes.watch_broker(config.broker_url)
    app.register_blueprint(api.bp)
    app.register_blueprint(openapi.blueprint(api.openapi_document()))
    return app
