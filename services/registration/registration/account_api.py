"""R16-R18's views (DESIGN.md §4): password change, email change and withdrawal with a
Bearer session. Like api.py's, on the same edge (edge.py: per-address limits, the Bearer
session, the caller, REFUSALS), on a blueprint of their own; their operations join
api.openapi_document."""

from __future__ import annotations

from contextlib import contextmanager

from flask import Blueprint, Response

from registration import runtime, schemas
from registration.commands import UseSession
from registration.edge import bearer_token, caller, limited, unauthorized
from registration.usecases import account, email_changes
from shared.errors import Refused
from shared.openapi import Operation
from shared.web.inputs import load_json

bp = Blueprint("registration_account", __name__)


@contextmanager
def session_required():
    """A use case's UNAUTHORIZED (no live session, or the account closed meanwhile) is the
    same 401 as GET /v1/me's."""
    try:
        yield
    except Refused as refused:
        if refused.code == account.UNAUTHORIZED:
            raise unauthorized() from None
        raise


def _with_session(use_case, cmd, session: UseSession):
    rt = runtime.current()
    with session_required():
        return use_case(rt.pool, session, cmd, rt.clock.now(), config=rt.config,
                        passwords=rt.passwords, limits=rt.limits, clock=rt.clock,
                        caller=caller())


@bp.put("/v1/me/password")
@limited("account_changes")
def change_password():
    """R16: current password and a new one; the other sessions end, a notice is mailed."""
    session = bearer_token()
    _with_session(account.change_password, load_json(schemas.PasswordChangeRequest()), session)
    return Response(status=204)


@bp.post("/v1/me/email-changes")
@limited("account_changes")
def create_email_change():
    """R17: current password and the new address; a key is mailed to the new address."""
    session = bearer_token()
    return _with_session(email_changes.request_change,
                         load_json(schemas.EmailChangeRequest()), session), 202


@bp.post("/v1/me/email-change-confirmations")
@limited("account_changes")
def create_email_change_confirmation():
    """R17: the mailed key; the address changes if still free, the old one gets a notice."""
    rt = runtime.current()
    session = bearer_token()
    cmd = load_json(schemas.EmailChangeConfirmationRequest())
    with session_required():
        return email_changes.confirm_change(rt.pool, session, cmd, rt.clock.now(),
                                            config=rt.config, caller=caller())


@bp.post("/v1/me/withdrawal")
@limited("account_changes")
def create_withdrawal():
    """R18: current password; the account closes, its email and password are erased."""
    session = bearer_token()
    _with_session(account.withdraw, load_json(schemas.WithdrawalRequest()), session)
    return Response(status=204)


OPERATIONS = [
    Operation("/v1/me/password", "put",
              "R16: change the password (current password, new one twice); ends the other "
              "sessions and mails a notice",
              {204: None}, body=schemas.PasswordChangeRequest,
              errors=(400, 401, 415, 422, 429), auth=True, tags=("my account",)),
    Operation("/v1/me/email-changes", "post",
              "R17: ask to change the email (current password, new address twice); mails a "
              "key to the new address",
              {202: schemas.EmailChangeAccepted}, body=schemas.EmailChangeRequest,
              errors=(400, 401, 409, 415, 422, 429), auth=True, tags=("my account",)),
    Operation("/v1/me/email-change-confirmations", "post",
              "R17: confirm the email change with the mailed key; the old address gets a "
              "notice, the other sessions end",
              {200: schemas.EmailChangeConfirmed}, body=schemas.EmailChangeConfirmationRequest,
              errors=(400, 401, 404, 409, 410, 415, 422, 429), auth=True,
              tags=("my account",)),
    Operation("/v1/me/withdrawal", "post",
              "R18: close the account (current password); every session ends, the email and "
              "password are erased",
              {204: None}, body=schemas.WithdrawalRequest,
              errors=(400, 401, 415, 422, 429), auth=True, tags=("my account",)),
]


def describe_answers(paths: dict, key_mismatch: dict) -> None:
    """What the 400s, 409 and 429 of R16-R18 may say (api.openapi_document)."""
    wrong = ("CURRENT_PASSWORD_WRONG (counted in the login throttle of R13), or a malformed "
             "body")
    throttled = "RATE_LIMITED (Retry-After): R13's login throttle, or the per-address limit"
    for path in ("/v1/me/password", "/v1/me/email-changes", "/v1/me/withdrawal"):
        for answers in paths[path].values():
            answers["responses"]["400"] = {**answers["responses"]["400"], "description": wrong}
            answers["responses"]["429"] = {**answers["responses"]["429"],
                                           "description": throttled}
    request = paths["/v1/me/email-changes"]["post"]["responses"]
    request["409"] = {**request["409"], "description": "EMAIL_ALREADY_REGISTERED (R6)"}
    request["429"]["description"] += (", or at most EMAIL_CHANGE_MAILS_PER_ACCOUNT_PER_HOUR "
                                      "key mails per account and hour")
    confirm = paths["/v1/me/email-change-confirmations"]["post"]["responses"]
    confirm["400"] = {"description": "CHANGE_KEY_MISMATCH with attempts_left, or a malformed "
                                     "body",
                      "content": {"application/json": {"schema": key_mismatch}}}
    confirm["409"] = {**confirm["409"], "description": (
        "EMAIL_ALREADY_REGISTERED: the address was taken since the request (R6 at this "
        "moment)")}
