"""Registration's Flask application factory."""

from __future__ import annotations

from flask import Flask

from registration import account_api, api, edge
from registration.config import SERVICE, Config
from registration.messages import MESSAGES
from registration.runtime import Runtime, build
from shared import openapi, probes
from shared.web import install


def create_app(config: Config, runtime: Runtime | None = None) -> Flask:
    """Build the app; the runtime (its pool) is made here, in each gunicorn worker (never
    preloaded), unless given."""
    app = Flask(__name__)
    runtime = runtime if runtime is not None else build(config)
    app.extensions[SERVICE] = runtime
    # Ready while the database answers; the broker's state is the jobportal_broker_up gauge
    # and a log line: step 2 writes its mail to the outbox and answers 201 through an outage.
    install(app, service="registration", messages=MESSAGES, refusals=edge.REFUSALS,
            trusted_proxies=config.trusted_proxies,
            readiness={"database": probes.database(runtime.pool)})
    probes.watch_broker(config.broker_url)
    app.register_blueprint(api.bp)
    app.register_blueprint(account_api.bp)  # R16-R18
    app.register_blueprint(openapi.blueprint(api.openapi_document()))
    return app
