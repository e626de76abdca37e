"""Reading a request strictly: JSON bodies and query strings through marshmallow schemas,
and bodies without a declared length held to the same limit."""

from __future__ import annotations

import io
import json
import threading
from typing import Any, TypeVar

from flask import request
from marshmallow import Schema, ValidationError

from shared.web.errors import ApiError

S = TypeVar("S", bound=Schema)
_schemas = threading.local()


def schema(cls: type[S], **settings: Any) -> S:
    """An instance of `cls` built with `settings`, made once per thread and kept while the
    settings stay the same (a date changes once a day). Building a schema deep-copies its
    fields, which cost more than reading a body with it; an instance per thread, since a
    schema may keep what it is loading on itself (the typed email, to compare)."""
    made = getattr(_schemas, "made", None)
    if made is None:
        made = _schemas.made = {}
    kept = made.get(cls)
    if kept is None or kept[0] != settings:
        kept = made[cls] = (settings, cls(**settings))
    return kept[1]


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


def limit_streamed_body(limit: int) -> None:
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
