"""Structured JSON logs with a correlation id, and masking of personal data and secrets."""

from __future__ import annotations

import contextvars
import functools
import ipaddress
import logging
import re
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import orjson
from pythonjsonlogger.json import JsonFormatter

_correlation: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "correlation_id", default=None
)

SECRET_KEYS = {
    "code", "account_creation_code", "auth_key", "password", "password_confirmation",
    "application_token", "session_token", "token", "secret", "authorization",
}
PERSONAL_KEYS = {"email", "email_confirmation", "birth_date", "to"}
# Fields that never carry a secret or a person's data and are written already masked (the
# access log's: `client` is the client's network, shared.web.access), so the filter, which
# runs on every line, passes them as they are.
PLAIN_KEYS = frozenset({"method", "route", "status", "duration_ms", "client", "error_code"})
_EMAIL = re.compile(r"([A-Za-z0-9!#$%&'*+/=?^_`{|}~.-])[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]*@([A-Za-z0-9.-]+)")
_DATE = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b(?!T)")
_RESERVED = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
# What the filter leaves as it is: the record's own attributes and the plain fields.
_UNMASKED = frozenset(_RESERVED | PLAIN_KEYS)


def mask_email(email: str) -> str:
    """a***@example.jp: enough for support to recognise, not to harvest."""
    return _EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", email)


def mask_address(address: str) -> str:
    """The network a client address belongs to, as staff and people may see it (R19, the
    office view): IPv4 to /24, IPv6 to /48, an IPv4-mapped IPv6 address as IPv4; anything
    that is not an address is "unknown". Remembered for the last few thousand addresses:
    the access log masks one on every request."""
    try:
        return _mask_address(address)
    except TypeError:  # unhashable: no address either
        return "unknown"


@functools.lru_cache(maxsize=4096)
def _mask_address(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address.strip())
    except (ValueError, AttributeError):
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if isinstance(ip, ipaddress.IPv4Address):
        return str(ipaddress.IPv4Network((int(ip), 24), strict=False))
    return str(ipaddress.IPv6Network((int(ip), 48), strict=False))


def mask_text(text: str) -> str:
    return _DATE.sub("****-**-**", mask_email(text))


def mask_value(key: str, value: Any) -> Any:
    lowered = key.lower()
    if lowered in SECRET_KEYS:
        return "[secret]"
    if lowered in PERSONAL_KEYS:
        return mask_email(value) if isinstance(value, str) and "@" in value else "[masked]"
    if isinstance(value, dict):
        return {k: mask_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(key, v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    return value


class MaskingFilter(logging.Filter):
    """Masks emails and dates in messages and secret or personal fields in extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = ()
        if isinstance(record.msg, str):
            record.msg = mask_text(record.msg)
        fields = record.__dict__
        for key in fields.keys() - _UNMASKED:  # the extras only, found by one set operation
            fields[key] = mask_value(key, fields[key])
        record.correlation_id = _correlation.get()
        return True


class JsonLines(JsonFormatter):
    """python-json-logger's lines, the same fields in the same order, written by orjson
    (half the formatter's time, a line on every request); what orjson refuses (keys that
    are not text, integers past 64 bits) is written by the standard library as before."""

    def jsonify_log_record(self, log_record) -> str:
        try:
            return orjson.dumps(log_record, default=self.json_default).decode()
        except orjson.JSONEncodeError:
            return super().jsonify_log_record(log_record)


def configure(service: str, level: str = "INFO") -> None:
    """JSON lines on stderr for the whole process, masked, with the service name."""
    # A record's thread and process names are not in the lines: not looked up for each one.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonLines(
            "%(asctime)s %(levelname)s %(name)s %(message)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            static_fields={"service": service},
            timestamp=False,
        )
    )
    handler.addFilter(MaskingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("amqp", "kombu", "psycopg.pool", "yoyo"):
        logging.getLogger(noisy).setLevel("WARNING")


@contextmanager
def correlation(correlation_id: str | None) -> Iterator[str]:
    """Run a block under a correlation id (a new one when none is given)."""
    value = correlation_id or str(uuid.uuid4())
    token = _correlation.set(value)
    try:
        yield value
    finally:
        _correlation.reset(token)


_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$")
_CORRELATION = re.compile(r"^[A-Za-z0-9._:/+=-]{1,100}$")


def correlation_from_headers(headers: Mapping[str, str]) -> str | None:
    """The caller's correlation id: X-Correlation-ID when it is a plain token (letters,
    digits, `._:/+=-`, at most 100), else the trace id of a valid W3C `traceparent`, else
    None (a new one is made). Anything else is dropped, so a header cannot forge log lines."""
    given = headers.get("X-Correlation-ID", "")
    if _CORRELATION.match(given):
        return given
    trace = _TRACEPARENT.match(headers.get("traceparent", "").strip().lower())
    if trace and trace.group(1) != "0" * 32:
        return trace.group(1)
    return None


def correlation_id() -> str | None:
    """The correlation id of the request or message being handled, if any."""
    return _correlation.get()


def set_correlation(correlation_id: str | None) -> str:
    value = correlation_id or str(uuid.uuid4())
    _correlation.set(value)
    return value
