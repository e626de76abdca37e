"""The public HTTP API (DESIGN.md §4): validate, call one use case, map its outcome."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Response, current_app, g, jsonify, request

from registration import schemas
from registration.applications import submit_application
from registration.registrations import register_password
from registration.results import Caller, Outcome
from registration.sessions import current_session, log_in, log_out, me
from shared.clock import office_date
from shared.web.addresses import client_address
from shared.web.errors import ApiError
from shared.web.inputs import load_json

bp = Blueprint("registration", __name__)
log = logging.getLogger(__name__)
_BEARER = re.compile(r"^Bearer ([A-Za-z0-9_-]{20,100})$")


def rt():
    return current_app.extensions["registration"]


def limited(group: str) -> Callable:
    """Per-client-address request limit of an endpoint group (Redis; lapses without it)."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            config = rt().config
            g.client_address = client_address(config.trusted_proxies)
            wait = rt().limits.hit(group, g.client_address, getattr(config, f"rate_limit_{group}"),
                                   config.rate_limit_window_seconds)
            if wait is not None:
                raise ApiError(429, "RATE_LIMITED", headers={"Retry-After": str(wait)})
            return view(*args, **kwargs)
        return wrapper
    return decorate


def caller() -> Caller:
    return Caller(client_address=g.client_address, correlation_id=g.get("correlation_id"))


def answer(outcome: Outcome) -> Response:
    if not outcome.ok:
        log.info("request refused", extra={"error_code": outcome.code, "status": outcome.status,
                                           "client_address": g.get("client_address")})
        headers = {"Retry-After": str(outcome.retry_after)} if outcome.retry_after else None
        raise ApiError(outcome.status, outcome.code, outcome.fields or None, headers=headers)
    response = jsonify(outcome.body)
    response.status_code = outcome.status
    return response


@bp.get("/v1/terms")
@limited("reads")
def terms():
    """The versions of the privacy policy and terms of use to agree to (R8)."""
    c = rt().config
    return {"privacy_policy": {"version": c.privacy_policy_version, "url": c.privacy_policy_url},
            "terms_of_use": {"version": c.terms_of_use_version, "url": c.terms_of_use_url}}


@bp.post("/v1/applications")
@limited("applications")
def create_application():
    """Steps 1-2: terms agreed, identity checked, auth key mailed."""
    r = rt()
    now = r.clock.now()
    form = load_json(schemas.ApplicationRequest(today=office_date(now, r.config.office_tz)))
    disagreed = {
        name: ["Agreement is required." if form[name] is None
               else "The agreed version is not the current one."]
        for name, current in (("privacy_policy_version", r.config.privacy_policy_version),
                              ("terms_of_use_version", r.config.terms_of_use_version))
        if form[name] != current
    }
    if disagreed:
        raise ApiError(422, "TERMS_NOT_AGREED", disagreed)
    with r.pool.connection() as conn, conn.transaction():
        outcome = submit_application(conn, form, now, r.config, caller())
    return answer(outcome)


@bp.post("/v1/password-registrations")
@limited("password_registrations")
def create_password_registration():
    """Step 3: password and auth key; the account is opened."""
    r = rt()
    form = load_json(schemas.PasswordRegistrationRequest())
    return answer(register_password(r.pool, form, r.clock, r.config, r.passwords, caller()))


@bp.post("/v1/sessions")
@limited("sessions")
def create_session():
    """Login with email and password (R13)."""
    r = rt()
    form = load_json(schemas.SessionRequest())
    return answer(log_in(r.pool, form, r.clock, r.config, r.passwords, r.limits, caller()))


def bearer_token() -> str:
    match = _BEARER.match(request.headers.get("Authorization", ""))
    if not match:
        raise ApiError(401, "UNAUTHORIZED", headers={"WWW-Authenticate": "Bearer"})
    return match.group(1)


@bp.get("/v1/me")
@limited("reads")
def get_me():
    """The logged-in person: email, job-seeker number, registration time."""
    r = rt()
    token = bearer_token()
    with r.pool.connection() as conn, conn.transaction():
        row = current_session(conn, token, r.clock, r.config)
    if row is None:
        raise ApiError(401, "UNAUTHORIZED", headers={"WWW-Authenticate": "Bearer"})
    return me(row)


@bp.delete("/v1/sessions/current")
@limited("reads")
def delete_session():
    """Log out: the session token stops working at once."""
    r = rt()
    token = bearer_token()
    with r.pool.connection() as conn, conn.transaction():
        ended = log_out(conn, token, r.clock, r.config)
    if not ended:
        raise ApiError(401, "UNAUTHORIZED", headers={"WWW-Authenticate": "Bearer"})
    return Response(status=204)
