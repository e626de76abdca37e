"""The office API: issue, list and revoke codes (DESIGN.md §4); views only translate."""

from __future__ import annotations

import hmac
import logging
import uuid

from flask import Blueprint, current_app, g, request
from marshmallow import Schema, fields

from code_issuer import domain, usecases
from code_issuer.schemas import BAD_BIRTH_DATE, BAD_NUMBER, CodesQuery, CodeView, IssuedCode, IssueRequest
from shared.clock import office_date
from shared.limits import FailureCounter
from shared.openapi import Operation, build
from shared.web.addresses import client_address
from shared.web.errors import ApiError, error_response
from shared.web.inputs import load_args, load_json
from shared.web.messages import Messages

log = logging.getLogger(__name__)
bp = Blueprint("codes", __name__, url_prefix="/v1")

MESSAGES = Messages(
    errors={
        "CODE_NOT_FOUND": {"ja": "指定されたアカウント作成コードは存在しません。",
                           "en": "No such account creation code."},
        "CODE_NOT_ACTIVE": {
            "ja": "このアカウント作成コードはすでに無効です"
                  "（使用済み・期限切れ・再発行・取消し・無効化のいずれか）。状態は一覧で確認してください。",
            "en": "This account creation code is no longer active (used, expired, superseded, "
                  "revoked or invalidated); see the list for its status."},
        "BIRTH_DATE_MISMATCH": {
            "ja": "生年月日が登録済みの求職者情報と一致しません。コードは発行されていません。",
            "en": "The birth date differs from the registered job seeker's; no code was issued."},
        "JOB_SEEKER_CLOSED": {
            "ja": "この求職者の求職登録は終了しています。再登録されるまでコードは発行できません。",
            "en": "This job seeker's registration has ended; no code can be issued until "
                  "they are registered again."},
    },
    fields={
        BAD_NUMBER: {"ja": "求職番号は「12345-1234567」の形式"
                           "（数字5桁、ハイフン、数字1〜8桁）で入力してください。",
                     "en": "Use the form 12345-1234567 (5 digits, a hyphen, 1 to 8 digits)."},
        BAD_BIRTH_DATE: {"ja": "生年月日は西暦で YYYY-MM-DD の形式の、過去の実在する日付を入力してください。",
                         "en": "Enter a real past date in the western calendar as YYYY-MM-DD."},
    },
)

REFUSALS = {"CODE_NOT_FOUND": 404, "CODE_NOT_ACTIVE": 409, "BIRTH_DATE_MISMATCH": 409,
            "JOB_SEEKER_CLOSED": 409}


def authorised(header: str, keys: tuple[str, ...]) -> bool:
    """A Bearer office API key, compared with every configured key in constant time."""
    scheme, _, token = header.partition(" ")
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(token.strip().encode(), key.encode())
    return scheme.lower() == "bearer" and matched


@bp.before_request
def _authenticate():
    """An office API key, unless this address has had too many wrong ones (issue 13 item 8).

    A blocked address is refused before its key is compared. Failures are counted
    atomically, and a wrong key counted past the limit (requests racing the check) is
    answered 429 too: per window, an address gets the limit's number of 401s, and no more
    keys are compared than that plus the requests it had in flight when it reached it.
    """
    config = _ctx().config
    failures = current_app.extensions.get("office_key_failures")
    if failures is None:  # one per app (worker), reaching Redis only when first used
        failures = FailureCounter(config.redis_url, config.redis_prefix)
        current_app.extensions["office_key_failures"] = failures
    address = client_address(config.trusted_proxies)
    wait = failures.blocked("office-key", address, config.office_key_failures_per_address)
    if wait is None and authorised(request.headers.get("Authorization", ""),
                                   config.office_api_keys):
        return
    if wait is None:
        counted = failures.add("office-key", address, config.office_key_failure_seconds)
        log.warning("office API key refused", extra={"client": address})
        if counted is None or counted.count <= config.office_key_failures_per_address:
            raise ApiError(401, "UNAUTHORIZED", headers={"WWW-Authenticate": "Bearer"})
        wait = counted.retry_after
    raise ApiError(429, "RATE_LIMITED", headers={"Retry-After": str(wait)})


@bp.errorhandler(domain.Refused)
def _refused(error: domain.Refused):
    if error.code == "BIRTH_DATE_REQUIRED":
        return error_response(MESSAGES, ApiError(422, "VALIDATION_FAILED", {
            "birth_date": ["Missing data for required field."]}))
    return error_response(MESSAGES, ApiError(REFUSALS[error.code], error.code))


def _ctx():
    return current_app.extensions["code_issuer"]


@bp.post("/codes")
def issue_code():
    """Issue (or re-issue, R3) a code for a job seeker."""
    ctx, now = _ctx(), _ctx().clock.now()
    data = load_json(IssueRequest(today=office_date(now, ctx.config.tz)))
    with ctx.pool.connection() as conn, conn.transaction():
        issued = usecases.issue_code(conn, ctx.config, number=data["job_seeker_number"],
                                     birth_date=data.get("birth_date"), now=now,
                                     correlation_id=g.correlation_id)
    log.info("code issued", extra={"code_id": str(issued.code_id), "superseded": len(issued.superseded),
                                   "client": client_address(ctx.config.trusted_proxies)})
    return IssuedCode(tz=ctx.config.tz).dump(issued), 201


@bp.get("/codes")
def list_codes():
    """A job seeker's codes, newest first, with their status now."""
    ctx, now = _ctx(), _ctx().clock.now()
    args = load_args(CodesQuery())
    with ctx.pool.connection() as conn:
        views = usecases.list_codes(conn, args["job_seeker_number"], now)
    return CodeView(many=True).dump(views)


@bp.post("/codes/<code_id>/revoke")
def revoke_code(code_id: str):
    """Revoke an active code (reason revoked_by_office)."""
    ctx, now = _ctx(), _ctx().clock.now()
    try:
        parsed = uuid.UUID(code_id)
    except ValueError:
        raise domain.Refused("CODE_NOT_FOUND") from None
    with ctx.pool.connection() as conn, conn.transaction():
        code = usecases.revoke_code(conn, parsed, now=now, correlation_id=g.correlation_id)
    log.info("code revoked", extra={"code_id": code_id,
                                    "client": client_address(ctx.config.trusted_proxies)})
    return CodeView().dump(usecases.code_view(code, now))


class WhoAmI(Schema):
    authenticated = fields.Boolean(required=True)


@bp.get("/whoami")
def whoami():
    """Whether the office API key is accepted; says nothing about the key itself."""
    return WhoAmI().dump({"authenticated": True})


def openapi_document() -> dict:
    operations = [
        Operation("/v1/codes", "post", "Issue or re-issue a code (the plain code is shown once)",
                  {201: IssuedCode}, body=IssueRequest, errors=(400, 401, 409, 413, 415, 422, 429),
                  auth=True, tags=("codes",)),
        Operation("/v1/codes", "get", "List a job seeker's codes with their status",
                  {200: CodeView(many=True)}, query=CodesQuery, errors=(401, 422, 429), auth=True,
                  tags=("codes",)),
        Operation("/v1/codes/{code_id}/revoke", "post", "Revoke an active code",
                  {200: CodeView}, errors=(401, 404, 409, 429), auth=True, tags=("codes",)),
        Operation("/v1/whoami", "get", "Check an office API key (sign-in of a counter)",
                  {200: WhoAmI}, errors=(401, 429), auth=True, tags=("keys",)),
    ]
    return build("code-issuer office API", "1.0.0", operations,
                 security_scheme={"type": "http", "scheme": "bearer"})
