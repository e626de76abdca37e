"""The portal's Flask application factory."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import security, views
from portal.config import Config
from portal.runtime import SERVICE, Runtime, build
from shared.web import access


def create_app(config: Config, runtime: Runtime | None = None) -> Flask:
    """Build the portal on `runtime` (by default `build(config)`: the configured
    clock, both APIs, the counter's sessions in Redis at `config.redis_url`)."""
    runtime = runtime or build(config)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=config.secret_key,
        SESSION_COOKIE_NAME="portal_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        MAX_CONTENT_LENGTH=16 * 1024,
        MAX_FORM_MEMORY_SIZE=16 * 1024,
    )
    if config.trusted_proxy_hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=config.trusted_proxy_hops)
    app.extensions[SERVICE] = runtime
    access.instrument(app, service="portal")  # behind ProxyFix, remote_addr is the person
    security.install(app, secure=config.secure_cookies)
    views.register(app, development=config.development)
    return app
