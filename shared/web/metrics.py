"""Prometheus metrics of the HTTP services, and `/metrics` for every gunicorn worker."""

from __future__ import annotations

import os

from flask import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "endpoint", "status"])
LATENCY = Histogram(
    "http_request_seconds", "HTTP request latency", ["service", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)


def observe(service: str, endpoint: str, status: int, seconds: float | None) -> None:
    REQUESTS.labels(service, endpoint, str(status)).inc()
    if seconds is not None:
        LATENCY.labels(service, endpoint).observe(seconds)


def exposition() -> Response:
    """Prometheus text: under gunicorn (PROMETHEUS_MULTIPROC_DIR) every worker's counts."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)
