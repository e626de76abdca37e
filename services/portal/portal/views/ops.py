"""Operations endpoints: /healthz (alive), /readyz (both APIs answer), /metrics."""

from __future__ import annotations

import requests
from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from portal.runtime import current

bp = Blueprint("ops", __name__)
PAGES = Counter("portal_requests_total", "Portal requests", ["endpoint", "status"])


@bp.after_app_request
def _count(response):
    PAGES.labels(request.url_rule.rule if request.url_rule else "unmatched",
                 str(response.status_code)).inc()
    return response


@bp.get("/metrics")
def metrics():
    """Prometheus text."""
    return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)


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
