"""Flask plumbing shared by the HTTP services: JSON errors in Japanese and English,
strict JSON input, client address behind trusted proxies, correlation ids, security
headers, and the /healthz, /readyz and /metrics endpoints."""

from __future__ import annotations

import io
import ipaddress
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Blueprint, Flask, Response, g, jsonify, request
from marshmallow import Schema, ValidationError
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from werkzeug.exceptions import HTTPException

from shared.config import ConfigError
from shared.logs import set_correlation

log = logging.getLogger(__name__)

REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "endpoint", "status"])
LATENCY = Histogram(
    "http_request_seconds", "HTTP request latency", ["service", "endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

# Messages of the plumbing's own errors; services add theirs with `Messages.extend`.
BASE_MESSAGES: dict[str, dict[str, str]] = {
    "VALIDATION_FAILED": {"ja": "入力内容に誤りがあります。", "en": "Some fields are invalid."},
    "BAD_REQUEST": {"ja": "リクエストの形式が正しくありません。", "en": "The request is malformed."},
    "NOT_FOUND": {"ja": "指定されたページは存在しません。", "en": "Not found."},
    "METHOD_NOT_ALLOWED": {"ja": "このメソッドは使用できません。", "en": "Method not allowed."},
    "PAYLOAD_TOO_LARGE": {"ja": "送信データが大きすぎます。", "en": "The request body is too large."},
    "UNSUPPORTED_MEDIA_TYPE": {
        "ja": "Content-Type は application/json にしてください。",
        "en": "Content-Type must be application/json.",
    },
    "UNAUTHORIZED": {"ja": "認証が必要です。", "en": "Authentication is required."},
    "RATE_LIMITED": {
        "ja": "リクエストが多すぎます。しばらくしてから再度お試しください。",
        "en": "Too many requests. Please try again later.",
    },
    "SERVICE_UNAVAILABLE": {
        "ja": "ただいま混み合っています。しばらくしてから再度お試しください。",
        "en": "The service is temporarily unavailable. Please try again shortly.",
    },
    "INTERNAL_ERROR": {"ja": "システムエラーが発生しました。", "en": "An internal error occurred."},
}

# Field messages: marshmallow's own English texts and our validators' keys, translated.
FIELD_MESSAGES: dict[str, dict[str, str]] = {
    "Missing data for required field.": {"ja": "必須項目です。", "en": "This field is required."},
    "Unknown field.": {"ja": "不明な項目です。", "en": "Unknown field."},
    "Field may not be null.": {"ja": "null は指定できません。", "en": "This field may not be null."},
    "Not a valid string.": {"ja": "文字列で入力してください。", "en": "Must be a string."},
    "Not a valid integer.": {"ja": "整数で入力してください。", "en": "Must be an integer."},
    "Not a valid boolean.": {"ja": "真偽値で入力してください。", "en": "Must be a boolean."},
    "Not a valid date.": {"ja": "日付の形式が正しくありません。", "en": "Not a valid date."},
    "Not a valid UUID.": {"ja": "IDの形式が正しくありません。", "en": "Not a valid id."},
    "Invalid input type.": {"ja": "JSON オブジェクトで送信してください。",
                            "en": "The body must be a JSON object."},
    "Invalid JSON.": {"ja": "JSON として読み取れません。", "en": "The body is not valid JSON."},
    "Invalid UTF-8.": {"ja": "UTF-8 として読み取れません。", "en": "The body is not valid UTF-8."},
    "Not valid Unicode.": {"ja": "使用できない文字（単独のサロゲート）が含まれています。",
                           "en": "Contains an invalid character (a lone surrogate)."},
}


class ApiError(Exception):
    """An error answer of the HTTP contract: status, code, optional per-field messages."""

    def __init__(
        self,
        status: int,
        code: str,
        fields: Mapping[str, list[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(code)
        self.status = status
        self.code = code
        self.fields = dict(fields or {})
        self.headers = dict(headers or {})


def language() -> str:
    """'en' when the client asks for English first, else Japanese (the default)."""
    header = request.headers.get("Accept-Language", "") if request else ""
    for part in header.split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("en"):
            return "en"
        if tag.startswith("ja"):
            return "ja"
    return "ja"


class Messages:
    """Error and field messages in Japanese and English."""

    def __init__(self, errors: Mapping[str, Mapping[str, str]] | None = None,
                 fields: Mapping[str, Mapping[str, str]] | None = None):
        self.errors = {**BASE_MESSAGES, **(errors or {})}
        self.fields = {**FIELD_MESSAGES, **(fields or {})}

    def error(self, code: str, lang: str) -> str:
        texts = self.errors.get(code) or self.errors["INTERNAL_ERROR"]
        return texts.get(lang, texts["ja"])

    def field(self, text: str, lang: str) -> str:
        texts = self.fields.get(text)
        if texts is None and text.startswith("Longer than maximum length"):
            texts = {"ja": "長すぎます。", "en": text}
        if texts is None and text.startswith("Shorter than minimum length"):
            texts = {"ja": "短すぎます。", "en": text}
        if texts is None and text.startswith("Must be one of"):
            texts = {"ja": "指定できない値です。", "en": text}
        return texts.get(lang, texts["ja"]) if texts else text

    def field_errors(self, messages: Any, lang: str) -> dict[str, list[str]]:
        """Flatten marshmallow's messages to {field: [text]} in the client's language."""
        out: dict[str, list[str]] = {}

        def walk(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for key, inner in value.items():
                    name = key if not prefix else f"{prefix}.{key}"
                    walk(name, inner)
            elif isinstance(value, list):
                for inner in value:
                    if isinstance(inner, dict | list):
                        walk(prefix, inner)
                    else:
                        out.setdefault(prefix or "body", []).append(self.field(str(inner), lang))
            else:
                out.setdefault(prefix or "body", []).append(self.field(str(value), lang))

        walk("", messages)
        return out


def error_response(messages: Messages, error: ApiError) -> Response:
    lang = language()
    body: dict[str, Any] = {"code": error.code, "message": messages.error(error.code, lang)}
    if error.fields:
        body["fields"] = messages.field_errors(error.fields, lang)
    response = jsonify({"error": body})
    response.status_code = error.status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def load_json(schema: Schema) -> dict[str, Any]:
    """The request body read strictly through `schema`; ApiError for anything wrong."""
    if not request.mimetype or request.mimetype != "application/json":
        raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE")
    raw = request.get_data(cache=True)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "BAD_REQUEST", {"body": ["Invalid UTF-8."]}) from None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise ApiError(400, "BAD_REQUEST", {"body": ["Invalid JSON."]}) from None
    if not isinstance(data, dict):
        raise ApiError(422, "VALIDATION_FAILED", {"body": ["Invalid input type."]})
    invalid = _lone_surrogates(data)
    if invalid:
        raise ApiError(422, "VALIDATION_FAILED", invalid)
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise ApiError(422, "VALIDATION_FAILED", exc.messages) from None


def _printable(text: str) -> str:
    """The text with each lone surrogate written as its escape (`\\ud800`)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _lone_surrogates(data: Any) -> dict[str, list[str]]:
    """Fields holding a lone surrogate: valid JSON text (`"\\ud800"`), but no character, so
    neither UTF-8 nor PostgreSQL can take it. Names are dotted paths, made printable.
    A loop, not recursion: json.loads accepted nesting as deep as the stack allows."""
    found: dict[str, list[str]] = {}
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        name, value = pending.pop()
        if isinstance(value, str):
            if _printable(value) != value:
                found[name or "body"] = ["Not valid Unicode."]
        elif isinstance(value, dict):
            for key, inner in value.items():
                shown = _printable(key)
                path = f"{name}.{shown}" if name else shown
                if shown != key:
                    found[path] = ["Not valid Unicode."]
                pending.append((path, inner))
        elif isinstance(value, list):
            pending.extend((name, inner) for inner in value)
    return found


def load_args(schema: Schema) -> dict[str, Any]:
    """Query-string arguments read strictly through `schema`."""
    try:
        return schema.load(request.args.to_dict())
    except ValidationError as exc:
        raise ApiError(422, "VALIDATION_FAILED", exc.messages) from None


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def trusted_networks(entries: Iterable[str], setting: str = "TRUSTED_PROXIES") -> tuple[Network, ...]:
    """CIDR ranges (or single addresses, IPv4 or IPv6) of the proxies whose X-Forwarded-For
    is believed, parsed once when the settings are read; a bad entry is a ConfigError."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ConfigError(
                f"{setting}: {entry!r} is neither an IP address nor a CIDR range") from None
    return tuple(networks)


def _address(text: str) -> Address | None:
    """An IP address (an IPv4-mapped IPv6 one read as IPv4), or None if it is not one."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_address(trusted_proxies: tuple[Network, ...]) -> str:
    """The caller's address: the right-most untrusted hop of X-Forwarded-For.

    Starting from the peer, each trusted hop's entry (the header read from the right) tells
    who it heard from; the first untrusted one is the client, since only a trusted proxy's
    word is believed (anything further left may be the client's own invention). A malformed
    entry ends the walk at the last trusted hop reached.
    """
    peer = request.remote_addr or "0.0.0.0"  # noqa: S104 - a label, not a bind
    current = _address(peer)
    if current is None:
        return peer
    hops = ",".join(request.headers.getlist("X-Forwarded-For")).split(",")
    for hop in reversed(hops):
        if not any(current in network for network in trusted_proxies):
            break
        previous = _address(hop)
        if previous is None:
            break
        current = previous
    return str(current)


def _limit_streamed_body(limit: int) -> None:
    """A body without Content-Length (chunked) is held to the same limit as one with it.

    Werkzeug reads such a stream only up to MAX_CONTENT_LENGTH and then stops quietly, so
    `get_data()` would hand the view a cut body. Read it here, one byte past the limit:
    more is a 413; else the view reads the whole body from memory.
    """
    environ = request.environ
    if request.content_length is not None or "wsgi.input_terminated" not in environ:
        return  # a declared length (Werkzeug refuses it over the limit) or no body
    stream, body = environ["wsgi.input"], bytearray()
    while len(body) <= limit:  # a read may return one chunk only (Werkzeug's own server)
        piece = stream.read(limit + 1 - len(body))
        if not piece:
            break
        body += piece
    if len(body) > limit:
        raise ApiError(413, "PAYLOAD_TOO_LARGE")
    environ["wsgi.input"] = io.BytesIO(bytes(body))


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def install(
    app: Flask,
    *,
    service: str,
    messages: Messages,
    readiness: Mapping[str, Callable[[], None]],
    max_body_bytes: int = 16 * 1024,
    cors_origins: tuple[str, ...] = (),
) -> None:
    """Error handlers, limits, headers, correlation ids and the operations endpoints."""
    app.config["MAX_CONTENT_LENGTH"] = max_body_bytes
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return error_response(messages, error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        code = {
            400: "BAD_REQUEST", 401: "UNAUTHORIZED", 404: "NOT_FOUND",
            405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE",
            415: "UNSUPPORTED_MEDIA_TYPE", 429: "RATE_LIMITED",
        }.get(error.code or 500, "BAD_REQUEST")
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

    @app.before_request
    def _begin():
        g.started = time.perf_counter()
        g.correlation_id = set_correlation(
            request.headers.get("X-Correlation-ID", "")[:100] or None
        )
        _limit_streamed_body(max_body_bytes)

    @app.after_request
    def _finish(response: Response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(service, endpoint, str(response.status_code)).inc()
        if "started" in g:
            LATENCY.labels(service, endpoint).observe(time.perf_counter() - g.started)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["X-Correlation-ID"] = g.get("correlation_id", "")
        origin = request.headers.get("Origin")
        if origin and origin in cors_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Vary"] = "Origin"
        return response

    ops = Blueprint("ops", __name__)

    @ops.get("/healthz")
    def healthz():
        return {"status": "ok"}

    @ops.get("/readyz")
    def readyz():
        checks: dict[str, str] = {}
        ready = True
        for name, check in readiness.items():
            try:
                check()
                checks[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - report, never raise
                ready = False
                checks[name] = f"unavailable: {type(exc).__name__}"
        return {"status": "ok" if ready else "unavailable", "checks": checks}, (
            200 if ready else 503
        )

    @ops.get("/metrics")
    def metrics():
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # under gunicorn: every worker's
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
        return Response(generate_latest(), mimetype=CONTENT_TYPE_LATEST)

    app.register_blueprint(ops)
