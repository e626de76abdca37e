"""The HTTP edge every view of registration shares (api.py's, account_api.py's): the one
table where the rules' refusals become statuses, the per-address limits of an endpoint
group, the caller and the Bearer session."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from flask import g, request

from registration import runtime
from registration.commands import Caller, UseSession
from shared.errors import Refused
from shared.metrics import THROTTLE_REFUSALS
from shared.web.addresses import client_address
from shared.web.errors import ApiError
from shared.web.messages import language

_BEARER = re.compile(r"^Bearer ([A-Za-z0-9_-]{20,100})$")

REFUSALS = {
    "VALIDATION_FAILED": 422, "TERMS_NOT_AGREED": 422,
    # step 2 (R4-R9): the reason is told only when the whole triple matches (R5)
    "IDENTITY_MISMATCH": 400, "CODE_ALREADY_USED": 409, "CODE_INVALIDATED": 410,
    "CODE_SUPERSEDED": 410, "CODE_REVOKED": 410, "CODE_EXPIRED": 410,
    "MAIL_LIMIT_REACHED": 429, "EMAIL_ALREADY_REGISTERED": 409,
    "ACCOUNT_EXISTS": 409,  # R12 (issue 17), told only after the code check passed
    # step 3 (R10-R12)
    "APPLICATION_NOT_FOUND": 404, "AUTH_KEY_MISMATCH": 400, "AUTH_KEY_EXPIRED": 410,
    "AUTH_KEY_NOT_DELIVERED": 410,
    # login (R13)
    "LOGIN_FAILED": 401, "RATE_LIMITED": 429,
    # R19: not one of the account's open sessions
    "SESSION_NOT_FOUND": 404,
    # R15 forgotten password
    "RESET_NOT_FOUND": 404, "RESET_KEY_MISMATCH": 400, "RESET_KEY_EXPIRED": 410,
    "PASSWORD_UNCHANGED": 422,
}
# R16-R18 with a session (usecases/account.py, usecases/email_changes.py)
REFUSALS.update({
    "CURRENT_PASSWORD_WRONG": 400,  # PASSWORD_UNCHANGED 422: R15's, above
    "CHANGE_NOT_FOUND": 404, "CHANGE_KEY_MISMATCH": 400, "CHANGE_KEY_EXPIRED": 410,
})


# The limit a use case's 429 refusal stands for (throttle_refusals_total's `limit`); any
# other is the endpoint group's own throttle (the login throttles of R13 in `sessions`).
THROTTLES = {"MAIL_LIMIT_REACHED": "mails_per_code"}


def limited(group: str) -> Callable:
    """Per-client-address request limit of an endpoint group (Redis; lapses without it);
    a use case's 429 refusal is counted on its way to the answer."""

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            rt = runtime.current()
            config = rt.config
            g.client_address = client_address(config.trusted_proxies)
            wait = rt.limits.hit(group, g.client_address, getattr(config, f"rate_limit_{group}"),
                                 config.rate_limit_window_seconds)
            if wait is not None:
                THROTTLE_REFUSALS.labels("registration", group).inc()
                raise ApiError(429, "RATE_LIMITED", headers={"Retry-After": str(wait)})
            try:
                return view(*args, **kwargs)
            except Refused as refused:
                # The refusal's code is logged in the request's access line (error_code).
                if REFUSALS[refused.code] == 429:
                    THROTTLE_REFUSALS.labels("registration", THROTTLES.get(refused.code, group)).inc()
                raise
        return wrapper
    return decorate


def caller() -> Caller:
    return Caller(client_address=g.client_address, correlation_id=g.get("correlation_id"),
                  language=language(), user_agent=request.headers.get("User-Agent"))


def created(body: dict) -> tuple[dict, int]:
    return body, 201


def unauthorized() -> ApiError:
    return ApiError(401, "UNAUTHORIZED", headers={"WWW-Authenticate": "Bearer"})


def bearer_token() -> UseSession:
    """The session token of the Authorization header; without a live session the answer is
    the same 401 (authentication is the edge's, as in code-issuer's api.py)."""
    match = _BEARER.match(request.headers.get("Authorization", ""))
    if not match:
        raise unauthorized()
    return UseSession(session_token=match.group(1))
