"""Flask plumbing shared by the HTTP services, one concern a module: error answers
(`errors`), their texts (`messages`), strict input (`inputs`), the client's address
(`addresses`), metrics and the operations endpoints (`metrics`, `ops`); `install` puts
them on an app with security headers, and `access` counts, times and logs each request
under its correlation id."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Flask, Response, request

from shared.config import Network
from shared.web import access, errors, ops
from shared.web.inputs import limit_streamed_body
from shared.web.json_provider import use_orjson
from shared.web.messages import Messages

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def install(
    app: Flask,
    *,
    service: str,
    messages: Messages,
    readiness: Mapping[str, Callable[[], None]],
    refusals: Mapping[str, int] | None = None,
    max_body_bytes: int = 16 * 1024,
    cors_origins: tuple[str, ...] = (),
    trusted_proxies: tuple[Network, ...] = (),
) -> None:
    """Error handlers, body limits, headers, correlation ids, metrics, the access log
    (client addresses read behind `trusted_proxies`) and /healthz,
    /readyz (`readiness`: name -> a check that raises when unavailable), /metrics."""
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    use_orjson(app)  # non-ASCII as itself, keys in the order written
    errors.install_handlers(app, messages, refusals or {})

    access.instrument(app, service=service, trusted_proxies=trusted_proxies)

    @app.before_request
    def _limit_body():
        limit_streamed_body(max_body_bytes)

    @app.after_request
    def _headers(response: Response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        origin = request.headers.get("Origin")
        if origin and origin in cors_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    app.register_blueprint(ops.blueprint(readiness))
