"""Error answers of the HTTP contract: `{"error": {"code", "message", "fields"}}`."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, has_app_context, jsonify
from werkzeug.exceptions import HTTPException

from shared.errors import Refused
from shared.web.messages import Messages, language

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error answer of the HTTP contract: status, code, optional per-field messages."""

    def __init__(
        self,
        status: int,
        code: str,
        fields: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        details: Mapping[str, int | str] | None = None,
    ):
        super().__init__(code)
        self.status = status
        self.code = code
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})
        self.details = dict(details or {})


def error_response(messages: Messages, error: ApiError) -> Response:
    """The contract's JSON answer for `error`; its code goes to the access log line."""
    if has_app_context():
        g.error_code = error.code
    lang = language()
    body: dict[str, Any] = {"code": error.code, "message": messages.error(error.code, lang)}
    body.update({name: value for name, value in error.details.items()
                 if name not in ("code", "message", "fields")})
    if error.fields:
        body["fields"] = messages.field_errors(error.fields, lang)
    response = jsonify({"error": body})
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response



_HTTP_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 429: "RATE_LIMITED",
}


def install_handlers(app: Flask, messages: Messages, refusals: Mapping[str, int]) -> None:
    """Every error becomes the contract's JSON answer: ApiError as raised, a use case's
    `Refused` with the status `refusals` gives its code, Werkzeug's own errors by status,
    a database outage 503 with Retry-After, anything else 500 (logged)."""

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(messages, error)

    @app.errorhandler(Refused)
    def _refused(error: Refused):
        headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
        return error_response(messages, ApiError(refusals[error.code], error.code,
                                                 error.fields or None, headers=headers,
                                                 details=error.details))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        code = _HTTP_CODES.get(error.code or 500, "BAD_REQUEST")
        headers = {}
        if error.code == 429:
            retry = getattr(error, "retry_after", None) or 1
            headers["Retry-After"] = str(int(retry))
        status = error.code if error.code and error.code < 500 else 500
        return error_response(messages, ApiError(status, code, headers=headers))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        import psycopg
        import psycopg_pool

        if isinstance(error, psycopg.OperationalError | psycopg_pool.PoolTimeout):
            log.warning("database unavailable", extra={"error": str(error)[:200]})
            return error_response(
                messages, ApiError(503, "SERVICE_UNAVAILABLE", headers={"Retry-After": "2"})
            )
        log.exception("unexpected error")
        return error_response(messages, ApiError(500, "INTERNAL_ERROR"))
