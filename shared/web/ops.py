"""The operations endpoints of an HTTP service: /healthz (alive), /readyz, /metrics."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Blueprint

from shared.probes import run_checks
from shared.web.metrics import exposition


def blueprint(readiness: Mapping[str, Callable[[], None]]) -> Blueprint:
    ops = Blueprint("ops", __name__)

    @ops.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @ops.get("/readyz")
    def readyz():
        ready, checks = run_checks(readiness)
        return {"status": "ok" if ready else "unavailable", "checks": checks}, (
            200 if ready else 503)

    ops.get("/metrics")(exposition)
    return ops
