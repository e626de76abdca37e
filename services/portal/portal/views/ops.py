"""Operations endpoints: /healthz (alive), /readyz (both APIs answer), /metrics."""

from __future__ import annotations

import requests
from flask import Blueprint

from portal.runtime import current
from shared.web import metrics as web_metrics

bp = Blueprint("ops", __name__)


@bp.get("/metrics")
def metrics():
    """Prometheus text: every gunicorn worker's counts (shared.web.metrics)."""
    return web_metrics.exposition()


@bp.get("/healthz")
def healthz():
    """The process answers."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Ready when registration and code-issuer answer their own /healthz."""
    config = current().config
    checks = {}
    for name, base in (("registration", config.registration_url),
                       ("code_issuer", config.code_issuer_url)):
        try:
            ok = requests.get(f"{base}/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            ok = False
        checks[name] = "ok" if ok else "unavailable"
    ready = all(v == "ok" for v in checks.values())
    return {"status": "ok" if ready else "unavailable", "checks": checks}, 200 if ready else 503
