"""The office API: issue, list and revoke codes (DESIGN.md §4). HTTP only: each view reads
its command with a schema, calls one use case and answers; `REFUSALS` is the one place
where the rules' refusals become status codes."""

from __future__ import annotations

import hmac
import logging
from dataclasses import replace

from flask import Blueprint, g, request
from marshmallow import ValidationError

from code_issuer import runtime, usecases
from code_issuer.schemas import (
    IDEMPOTENCY_HEADER,
    AlreadyIssued,
    CodesQuery,
    CodeView,
    IssuedCode,
    IssueRequest,
    JobSeekerPath,
    JobSeekerView,
    RevokeRequest,
    WhoAmI,
    idempotency_key,
)
from shared.clock import office_date
from shared.errors import Refused
from shared.metrics import THROTTLE_REFUSALS
from shared.openapi import Operation, build
from shared.tokens import keyed_digest
from shared.web.addresses import client_address
from shared.web.errors import ApiError
from shared.web.inputs import load_args, load_json

log = logging.getLogger(__name__)
bp = Blueprint("codes", __name__, url_prefix="/v1")

REFUSALS = {"CODE_NOT_FOUND": 404, "CODE_NOT_ACTIVE": 409, "BIRTH_DATE_MISMATCH": 409,
            "JOB_SEEKER_CLOSED": 409, "BIRTH_DATE_DIFFERS": 409,
            "IDEMPOTENCY_KEY_REUSED": 422, "VALIDATION_FAILED": 422}


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
    rt = runtime.current()
    config, failures = rt.config, rt.office_key_failures
    address = client_address(config.trusted_proxies)
    wait = failures.blocked("office-key", address, config.office_key_failures_per_address)
    header = request.headers.get("Authorization", "")
    if wait is None and authorised(header, config.office_api_keys):
        # which office key asked, as a digest: idempotency keys are kept per office key
        g.office_key_digest = keyed_digest(config.digest_secret, header.partition(" ")[2].strip(),
                                           "office-key")
        return
    if wait is None:
        counted = failures.add("office-key", address, config.office_key_failure_seconds)
        log.warning("office API key refused", extra={"client": address})
        if counted is None or counted.count <= config.office_key_failures_per_address:
            raise ApiError(401, "UNAUTHORIZED", headers={"WWW-Authenticate": "Bearer"})
        wait = counted.retry_after
    THROTTLE_REFUSALS.labels("code-issuer", "office_key").inc()
    raise ApiError(429, "RATE_LIMITED", headers={"Retry-After": str(wait)})


@bp.post("/codes")
def issue_code():
    """Issue (or re-issue, R3) a code for a job seeker; an `Idempotency-Key` makes a
    repeated submission answer 200 with the first issue, without its code."""
    rt = runtime.current()
    now = rt.clock.now()
    try:
        key = idempotency_key(request.headers.get(IDEMPOTENCY_HEADER))
    except ValidationError as exc:
        raise ApiError(422, "VALIDATION_FAILED", exc.messages) from None
    cmd = replace(load_json(IssueRequest(today=office_date(now, rt.config.tz))),
                  idempotency_key=key)
    with rt.pool.connection() as conn, conn.transaction():
        issued = usecases.issue_code(conn, cmd, now, config=rt.config,
                                     office_key_digest=g.office_key_digest,
                                     correlation_id=g.correlation_id)
    if issued.already_issued:
        log.info("code already issued for this idempotency key",
                 extra={"code_id": str(issued.code_id)})
        return AlreadyIssued(tz=rt.config.tz).dump(issued), 200
    log.info("code issued", extra={"code_id": str(issued.code_id), "superseded": len(issued.superseded),
                                   "client": client_address(rt.config.trusted_proxies)})
    return IssuedCode(tz=rt.config.tz).dump(issued), 201


@bp.get("/job-seekers/<job_seeker_number>")
def show_job_seeker(job_seeker_number: str):
    """R12 at the counter: the person as known here, with their account's status."""
    rt = runtime.current()
    try:
        cmd = JobSeekerPath().load({"job_seeker_number": job_seeker_number})
    except ValidationError as exc:
        raise ApiError(422, "VALIDATION_FAILED", exc.messages) from None
    with rt.pool.connection() as conn:
        view = usecases.show_job_seeker(conn, cmd, rt.clock.now())
    return JobSeekerView().dump(view)


@bp.get("/codes")
def list_codes():
    """A job seeker's codes, newest first, with their status now."""
    rt = runtime.current()
    now = rt.clock.now()
    cmd = load_args(CodesQuery())
    with rt.pool.connection() as conn:
        views = usecases.list_codes(conn, cmd, now)
    return CodeView(many=True).dump(views)


@bp.post("/codes/<code_id>/revoke")
def revoke_code(code_id: str):
    """Revoke an active code (reason revoked_by_office)."""
    rt = runtime.current()
    now = rt.clock.now()
    try:
        cmd = RevokeRequest().load({"code_id": code_id})
    except ValidationError:
        raise Refused("CODE_NOT_FOUND") from None  # a malformed id names no code
    with rt.pool.connection() as conn, conn.transaction():
        view = usecases.revoke_code(conn, cmd, now, correlation_id=g.correlation_id)
    log.info("code revoked", extra={"code_id": code_id,
                                    "client": client_address(rt.config.trusted_proxies)})
    return CodeView().dump(view)


@bp.get("/whoami")
def whoami():
    """Whether the office API key is accepted; says nothing about the key itself."""
    return WhoAmI().dump({"authenticated": True})


OPERATIONS = [
    Operation("/v1/codes", "post", "Issue or re-issue a code (the plain code is shown once)",
              {201: IssuedCode, 200: AlreadyIssued}, body=IssueRequest,
              errors=(400, 401, 409, 413, 415, 422, 429), auth=True, tags=("codes",)),
    Operation("/v1/job-seekers/{job_seeker_number}", "get",
              "A job seeker as known here, with their account's status (R12)",
              {200: JobSeekerView}, errors=(401, 422, 429), auth=True, tags=("codes",)),
    Operation("/v1/codes", "get", "List a job seeker's codes with their status",
              {200: CodeView(many=True)}, query=CodesQuery, errors=(401, 422, 429), auth=True,
              tags=("codes",)),
    Operation("/v1/codes/{code_id}/revoke", "post", "Revoke an active code",
              {200: CodeView}, errors=(401, 404, 409, 429), auth=True, tags=("codes",)),
    Operation("/v1/whoami", "get", "Check an office API key (sign-in of a counter)",
              {200: WhoAmI}, errors=(401, 429), auth=True, tags=("keys",)),
]


IDEMPOTENCY_PARAMETER = {
    "in": "header", "name": IDEMPOTENCY_HEADER, "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 100},
    "description": "Makes the submission idempotent for 24 hours per office key: a repeated "
                   "submission with the same key issues nothing new and answers 200 with the "
                   "first answer's code_id, issued_at, expires_at and already_issued: true, "
                   "without the plain code. The same key with another job_seeker_number or "
                   "birth_date is refused (422 IDEMPOTENCY_KEY_REUSED); 1-100 printable ASCII "
                   "characters, else 422 naming the header."}


def openapi_document() -> dict:
    document = build("code-issuer office API", "1.0.0", OPERATIONS,
                     security_scheme={"type": "http", "scheme": "bearer"})
    issue = document["paths"]["/v1/codes"]["post"]
    issue.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
    issue["responses"]["200"]["description"] = "Already issued for this Idempotency-Key"
    issue["responses"]["201"]["description"] = "Issued"
    person = document["paths"]["/v1/job-seekers/{job_seeker_number}"]["get"]
    for parameter in person["parameters"]:
        parameter["schema"] = {"type": "string", "example": "12345-1234567"}
    return document
