"""Prometheus metrics of the HTTP services, and `/metrics` for every gunicorn worker."""

from __future__ import annotations

import os

from flask import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
)

# The count of requests by route and status is this histogram's `_count`.
REQUESTS = Histogram(
    "http_request_duration_seconds", "HTTP requests: time from the first byte read to the answer",
    ["service", "route", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


# The histogram's child per label set, looked up once: `labels()` checks and locks on every
# call, and a service answers few distinct (route, method, status).
_children: dict[tuple[str, str, str, int], Histogram] = {}


def observe(service: str, route: str, method: str, status: int, seconds: float) -> None:
    key = (service, route, method, status)
    child = _children.get(key)
    if child is None:
        child = _children[key] = REQUESTS.labels(service, route, method, str(status))
    child.observe(seconds)


def exposition() -> Response:
    """Prometheus text: under gunicorn (PROMETHEUS_MULTIPROC_DIR) every worker's counts."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
