"""The public HTTP API (DESIGN.md §4). HTTP only: each view reads its command with a schema,
calls one use case and answers; edge.py's `REFUSALS` is the one place where the rules'
refusals become status codes."""

from __future__ import annotations

from flask import Blueprint, Response
from marshmallow import ValidationError

from registration import account_api, runtime, schemas
from registration.edge import bearer_token, caller, created, limited, unauthorized
from registration.usecases import applications, registrations, resets, sessions
from shared.clock import office_date
from shared.openapi import Operation, build
from shared.web.errors import ApiError
from shared.web.inputs import load_json, schema

bp = Blueprint("registration", __name__)


@bp.get("/v1/terms")
@limited("reads")
def terms():
    """The versions of the privacy policy and terms of use to agree to (R8)."""
    c = runtime.current().config
    return {"privacy_policy": {"version": c.privacy_policy_version, "url": c.privacy_policy_url},
            "terms_of_use": {"version": c.terms_of_use_version, "url": c.terms_of_use_url}}


@bp.post("/v1/applications")
@limited("applications")
def create_application():
    """Steps 1-2: terms agreed, identity checked, auth key mailed."""
    rt = runtime.current()
    now = rt.clock.now()
    cmd = load_json(schema(schemas.ApplicationRequest,
                                today=office_date(now, rt.config.office_tz)))
    with rt.pool.connection() as conn:
        return created(applications.submit_application(conn, cmd, now, config=rt.config,
                                                       caller=caller()))


@bp.post("/v1/password-registrations")
@limited("password_registrations")
def create_password_registration():
    """Step 3: password and auth key; the account is opened."""
    rt = runtime.current()
    cmd = load_json(schema(schemas.PasswordRegistrationRequest))
    return created(registrations.register_password(
        rt.pool, cmd, rt.clock.now(), config=rt.config, passwords=rt.passwords, clock=rt.clock,
        caller=caller()))


@bp.post("/v1/sessions")
@limited("sessions")
def create_session():
    """Login with email and password (R13)."""
    rt = runtime.current()
    cmd = load_json(schema(schemas.SessionRequest))
    return created(sessions.log_in(rt.pool, cmd, rt.clock.now(), config=rt.config,
                                   passwords=rt.passwords, limits=rt.limits, clock=rt.clock,
                                   caller=caller()))


@bp.get("/v1/me")
@limited("reads")
def get_me():
    """The logged-in person: email, job-seeker number, registration time."""
    rt = runtime.current()
    cmd = bearer_token()
    with rt.pool.connection() as conn, conn.transaction():
        me = sessions.me(conn, cmd, rt.clock.now(), config=rt.config)
    if me is None:
        raise unauthorized()
    return me


@bp.delete("/v1/sessions/current")
@limited("reads")
def delete_session():
    """Log out: the session token stops working at once."""
    rt = runtime.current()
    cmd = bearer_token()
    with rt.pool.connection() as conn, conn.transaction():
        ended = sessions.log_out(conn, cmd, rt.clock.now(), config=rt.config)
    if not ended:
        raise unauthorized()
    return Response(status=204)


# --- R19: the account's open sessions ---------------------------------------------------------
@bp.get("/v1/me/sessions")
@limited("reads")
def list_my_sessions():
    """The account's open sessions: started, last used, masked address, browser."""
    rt = runtime.current()
    cmd = bearer_token()
    with rt.pool.connection() as conn, conn.transaction():
        listed = sessions.list_sessions(conn, cmd, rt.clock.now(), config=rt.config)
    if listed is None:
        raise unauthorized()
    return listed


@bp.delete("/v1/me/sessions/<session_id>")
@limited("reads")
def end_my_session(session_id: str):
    """End one of the account's open sessions, named by its session_id."""
    rt = runtime.current()
    token = bearer_token().session_token
    try:
        cmd = schemas.EndSessionRequest(session_token=token).load({"session_id": session_id})
    except ValidationError as exc:
        raise ApiError(422, "VALIDATION_FAILED", exc.messages) from None
    with rt.pool.connection() as conn, conn.transaction():
        ended = sessions.end_session(conn, cmd, rt.clock.now(), config=rt.config)
    if not ended:
        raise unauthorized()
    return Response(status=204)


@bp.delete("/v1/me/sessions")
@limited("reads")
def end_my_other_sessions():
    """End every session of the account but the current one."""
    rt = runtime.current()
    cmd = bearer_token()
    with rt.pool.connection() as conn, conn.transaction():
        ended = sessions.end_other_sessions(conn, cmd, rt.clock.now(), config=rt.config)
    if not ended:
        raise unauthorized()
    return Response(status=204)


# --- R15 forgotten password -------------------------------------------------------------
@bp.post("/v1/password-resets")
@limited("password_resets")
def create_password_reset():
    """R15: email, number and birth date; the same 202 whether or not they match."""
    rt = runtime.current()
    now = rt.clock.now()
    cmd = load_json(schema(schemas.PasswordResetRequest,
                                today=office_date(now, rt.config.office_tz)))
    return resets.request_reset(rt.pool, cmd, now, config=rt.config, caller=caller()), 202


@bp.post("/v1/password-reset-completions")
@limited("password_resets")
def create_password_reset_completion():
    """R15: the mailed reset key and a new password; every session of the account ends."""
    rt = runtime.current()
    cmd = load_json(schema(schemas.PasswordResetCompletionRequest))
    return resets.complete_reset(rt.pool, cmd, rt.clock.now(), config=rt.config,
                                 passwords=rt.passwords, limits=rt.limits, clock=rt.clock,
                                 caller=caller())


OPERATIONS = [
    Operation("/v1/terms", "get", "Current privacy policy and terms of use versions",
              {200: schemas.TermsResponse}, errors=(429,), tags=("step 1",)),
    Operation("/v1/applications", "post",
              "Steps 1-2: agree, identify with number, birth date and code; mails the auth key",
              {201: schemas.ApplicationCreated},
              body=schemas.ApplicationRequest(today=None),
              errors=(400, 409, 410, 415, 422, 429), tags=("step 2",)),
    Operation("/v1/password-registrations", "post",
              "Step 3: set the password with the mailed auth key; opens the account",
              {201: schemas.AccountCreated}, body=schemas.PasswordRegistrationRequest,
              errors=(400, 404, 409, 410, 415, 422, 429), tags=("step 3",)),
    Operation("/v1/sessions", "post", "Log in with email and password",
              {201: schemas.SessionCreated}, body=schemas.SessionRequest,
              errors=(401, 415, 422, 429), tags=("login",)),
    Operation("/v1/me", "get", "The logged-in job seeker", {200: schemas.Me},
              errors=(401, 429), auth=True, tags=("login",)),
    Operation("/v1/sessions/current", "delete", "Log out", {204: None},
              errors=(401, 429), auth=True, tags=("login",)),
    # R19
    Operation("/v1/me/sessions", "get",
              "The account's open sessions (masked address, browser), the current one marked",
              {200: schemas.SessionInfo(many=True)}, errors=(401, 429), auth=True,
              tags=("sessions",)),
    Operation("/v1/me/sessions/{session_id}", "delete",
              "End one of the account's open sessions (SESSION_NOT_FOUND if it is none)",
              {204: None}, errors=(401, 404, 422, 429), auth=True, tags=("sessions",)),
    Operation("/v1/me/sessions", "delete", "End every session of the account but this one",
              {204: None}, errors=(401, 429), auth=True, tags=("sessions",)),
    # R15 forgotten password
    Operation("/v1/password-resets", "post",
              "R15: email, job-seeker number and birth date; mails a reset key if they match "
              "one account (the same answer whether or not they do)",
              {202: schemas.PasswordResetAccepted},
              body=schemas.PasswordResetRequest(today=None),
              errors=(415, 422, 429), tags=("password reset",)),
    Operation("/v1/password-reset-completions", "post",
              "R15: set a new password with the mailed reset key; ends every session",
              {200: schemas.PasswordResetCompleted},
              body=schemas.PasswordResetCompletionRequest,
              errors=(400, 404, 410, 415, 422, 429), tags=("password reset",)),
]


def openapi_document() -> dict:
    document = build("jobportal registration", "1.0.0", OPERATIONS + account_api.OPERATIONS,
                     security_scheme={"type": "http", "scheme": "bearer"})
    _describe_issue17_answers(document["paths"])
    account_api.describe_answers(document["paths"], _KEY_MISMATCH)
    return document


# --- issue 17: what step 2's 409 and step 3's 400 may say --------------------------------
_KEY_MISMATCH = {"allOf": [{"$ref": "#/components/schemas/Error"}, {
    "type": "object", "properties": {"error": {"type": "object", "properties": {
        "attempts_left": {"type": "integer", "minimum": 0, "description": (
            "with AUTH_KEY_MISMATCH: wrong keys left before R10's 5th voids the application "
            "(0: this one voided it; start again)")}}}}}]}


def _describe_issue17_answers(paths: dict) -> None:
    step2 = paths["/v1/applications"]["post"]["responses"]
    step2["409"] = {**step2["409"], "description": (
        "CODE_ALREADY_USED, EMAIL_ALREADY_REGISTERED, or ACCOUNT_EXISTS (R12: the job "
        "seeker already has an open account; told only after the code check passed)")}
    step3 = paths["/v1/password-registrations"]["post"]["responses"]
    step3["400"] = {"description": "AUTH_KEY_MISMATCH with attempts_left, or a malformed body",
                    "content": {"application/json": {"schema": _KEY_MISMATCH}}}
    step3["409"] = {**step3["409"], "description": (
        "CODE_ALREADY_USED, EMAIL_ALREADY_REGISTERED, or ACCOUNT_EXISTS (R12: an account was "
        "opened for the number meanwhile)")}
