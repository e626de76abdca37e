"""The portal's Flask application factory."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, render_template, request
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from portal import security
from portal.apis import Api, Caller, CodeIssuer, Registration
from portal.config import Config
from portal.counter_sessions import CounterSessions, Records, RedisRecords
from portal.texts import text
from shared.clock import Clock, make_clock
from shared.config import validate


@dataclass
class Services:
    """What the views need besides the request: the two APIs, the counter's sessions, the
    clock, the zone."""

    config: Config
    registration: Registration
    code_issuer: CodeIssuer
    counter_sessions: CounterSessions
    clock: Clock
    tz: ZoneInfo


def services() -> Services:
    return current_app.extensions["portal"]


def caller() -> Caller:
    """The person behind this request, as the APIs must see them."""
    return Caller(address=request.remote_addr or "", language=g.get("lang", "ja"))


def t(key: str, **values: object) -> str:
    return text(key, g.get("lang", "ja"), **values)


def create_app(config: Config, clock: Clock | None = None,
               counter_records: Records | None = None) -> Flask:
    """Build the portal; `clock` defaults to the configured (system or test) clock and
    `counter_records` to Redis at `config.redis_url`."""
    validate(config)
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
    app.extensions["portal"] = Services(
        config=config,
        registration=Registration(Api(config.registration_url, config.api_timeout)),
        code_issuer=CodeIssuer(Api(config.code_issuer_url, config.api_timeout)),
        counter_sessions=CounterSessions(
            counter_records or RedisRecords(config.redis_url, config.redis_prefix),
            absolute=timedelta(hours=config.counter_session_hours),
            idle=timedelta(minutes=config.counter_idle_minutes)),
        clock=clock or make_clock(config.test_clock_file),
        tz=ZoneInfo(config.office_time_zone),
    )
    security.install(app, secure=config.secure_cookies)

    app.jinja_env.globals.update(t=t, csrf_token=security.csrf_token)

    @app.context_processor
    def _template_values():
        return {"lang": g.get("lang", "ja"), "development": config.development}

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        status = error.code or 500
        if status == 400 and error.description == "csrf":
            title, body = t("csrf_title"), t("csrf_body")
        elif status == 404:
            title, body = t("not_found_title"), ""
        else:
            title, body = t("error_title"), ""
        return render_template("message.html", title=title, body=body), status

    from portal import counter, ops, seeker

    app.register_blueprint(seeker.bp)
    app.register_blueprint(counter.bp)
    app.register_blueprint(ops.bp)
    return app
