"""Operations endpoints: /healthz (alive) and /readyz (both APIs answer)."""

from __future__ import annotations

import requests
from flask import Blueprint

from portal.app import services

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz():
    """The process answers."""
    return {"status": "ok"}


@bp.get("/readyz")
def readyz():
    """Ready when registration and code-issuer answer their own /healthz."""
    config = services().config
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
