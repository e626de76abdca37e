"""Every request, seen once: its correlation id (taken from the caller, or made here), its
count and duration in `http_request_duration_seconds`, and one JSON access-log line, which
names the error code of an error answer (`error_code`, the contract's; the one line a
refused request writes)."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from shared.config import Network
from shared.logs import correlation_from_headers, mask_address, set_correlation
from shared.web import metrics
from shared.web.addresses import client_address

log = logging.getLogger("access")


def instrument(app: Flask, *, service: str, trusted_proxies: tuple[Network, ...] = ()) -> None:
    """Correlation ids in and out (X-Correlation-ID, or a W3C traceparent's trace id),
    the request metrics and the access log, on `app`."""

    @app.before_request
    def _begin():
        g.started = time.perf_counter()
        g.correlation_id = set_correlation(correlation_from_headers(request.headers))

    @app.after_request
    def _finish(response: Response):
        route = request.url_rule.rule if request.url_rule else "unmatched"
        started = g.get("started")
        seconds = time.perf_counter() - started if started is not None else 0.0
        metrics.observe(service, route, request.method, response.status_code, seconds)
        response.headers["X-Correlation-ID"] = g.get("correlation_id", "")
        if log.isEnabledFor(logging.INFO):
            line = {
                "method": request.method, "route": route, "status": response.status_code,
                "duration_ms": round(seconds * 1000, 2),
                # the address a view already resolved (rate limits), else resolved here
                "client": mask_address(g.get("client_address")
                                       or client_address(trusted_proxies)),
            }
            error_code = g.get("error_code")
            if error_code is not None:
                line["error_code"] = error_code
            log.info("request", extra=line)
        return response
