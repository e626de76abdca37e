"""Flask plumbing shared by the HTTP services, one concern a module: error answers
(`errors`), their texts (`messages`), strict input (`inputs`), the client's address
(`addresses`), metrics and the operations endpoints (`metrics`, `ops`); `install` puts
them on an app with correlation ids and security headers."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from flask import Flask, Response, g, request

from shared.logs import set_correlation
from shared.web import errors, metrics, ops
from shared.web.inputs import limit_streamed_body
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
) -> None:
    """Error handlers, body limits, headers, correlation ids, metrics and /healthz,
    /readyz (`readiness`: name -> a check that raises when unavailable), /metrics."""
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    errors.install_handlers(app, messages, refusals or {})

    @app.before_request
    def _begin():
        g.started = time.perf_counter()
        g.correlation_id = set_correlation(
            request.headers.get("X-Correlation-ID", "")[:100] or None)
        limit_streamed_body(max_body_bytes)

    @app.after_request
    def _finish(response: Response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        started = g.get("started")
        metrics.observe(service, endpoint, response.status_code,
                        time.perf_counter() - started if started is not None else None)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["X-Correlation-ID"] = g.get("correlation_id", "")
        origin = request.headers.get("Origin")
        if origin and origin in cors_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    app.register_blueprint(ops.blueprint(readiness))
