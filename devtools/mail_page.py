"""The local SMTP server's page: received mails as HTML at / and JSON at /api/messages
(all, or `?to=<address>` and `?limit=<n>`), plus the test controls (refuse, delay, accept,
clear), which need the page's token."""

from __future__ import annotations

import hmac
import html
import json
import logging
import os
import secrets
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from devtools.mailstore import MailStore
from devtools.smtp_server import Control

log = logging.getLogger(__name__)
MAX_BODY = 4096
TOKEN_FILE = "page-token"  # noqa: S105 - a file name, not a token
PAGE_MAILS = 200  # the HTML page shows the newest ones; /api/messages has every one
MAX_LIMIT = 1_000_000


class BadQuery(ValueError):
    """A query parameter of /api/messages that cannot be used; `field` names it."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def message_filters(query: str) -> dict:
    """`to` and `limit` of GET /api/messages as MailStore.messages' arguments; anything
    else, a repeated parameter or a bad value raises BadQuery (answered 422)."""
    params = parse_qs(query, keep_blank_values=True)
    for name, values in params.items():
        if name not in ("to", "limit"):
            raise BadQuery(name, f"unknown parameter {name!r}: /api/messages takes to and limit")
        if len(values) > 1:
            raise BadQuery(name, f"{name} may be given once")
    filters: dict = {}
    if "to" in params:
        to = params["to"][0].strip()
        if "@" not in to:
            raise BadQuery("to", "to must be an e-mail address")
        filters["to"] = to
    if "limit" in params:
        limit = params["limit"][0]
        if not limit.isascii() or not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
            raise BadQuery("limit", f"limit must be a whole number from 1 to {MAX_LIMIT}")
        filters["limit"] = int(limit)
    return filters


def authorised(header: str, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time; no token opens nothing."""
    scheme, _, given = header.partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode())


def page_token(configured: str, store_dir: str | Path) -> tuple[str, str]:
    """The token of the test controls and where a developer finds it: MAIL_PAGE_TOKEN when
    set, else a new random one written to `<MAIL_STORE_DIR>/page-token` (owner-only)."""
    if configured:
        return configured, "MAIL_PAGE_TOKEN"
    path = Path(store_dir) / TOKEN_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    token = secrets.token_urlsafe(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(token + "\n")
    os.chmod(path, 0o600)  # an older file may have had wider rights
    return token, str(path)


def render_page(messages: list[dict], control: dict, tz: ZoneInfo,
                total: int | None = None) -> str:
    """The given mails (newest first) of `total` received, escaped; times in office time."""
    total = len(messages) if total is None else total
    items = []
    for m in messages:
        at = datetime.fromisoformat(m["received_at"].replace("Z", "+00:00")).astimezone(tz)
        items.append(
            f"<article><h2>{html.escape(m['subject']) or '(件名なし)'}</h2>"
            f"<p>宛先: {html.escape(m['to'])}<br>差出人: {html.escape(m['from'])}<br>"
            f"受信: {at:%Y-%m-%d %H:%M:%S %Z}</p><pre>{html.escape(m['text'])}</pre></article>"
        )
    state = ("受信中" if control["refusing"] is None
             else f"拒否中 ({control['refusing']})") + (
        f" / 遅延 {control['delay_seconds']} 秒" if control["delay_seconds"] else "")
    return (
        "<!doctype html><html lang='ja'><head><meta charset='utf-8'>"
        "<meta http-equiv='refresh' content='5'><title>受信メール</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}"
        "article{border-top:1px solid #ccc}pre{white-space:pre-wrap}</style></head><body>"
        f"<h1>受信メール ({total} 通)</h1><p>SMTP サーバーの状態: {html.escape(state)}</p>"
        + (f"<p>新しい {len(messages)} 通を表示しています。</p>" if total > len(messages) else "")
        + ("".join(items) or "<p>まだメールはありません。</p>")
        + "</body></html>"
    )


def make_handler(store: MailStore, control: Control, tz: ZoneInfo,
                 token: str) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "mailpage"
        sys_version = ""

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, data) -> None:
            self._send(status, json.dumps(data, ensure_ascii=False).encode(),
                       "application/json; charset=utf-8")

        def _error(self, status: int, message: str) -> None:
            self._json(status, {"error": {"message": message}})

        def _refused(self) -> bool:
            """Answer 401 to a mutating call without the page's token (issue 13 item 13)."""
            if authorised(self.headers.get("Authorization", ""), token):
                return False
            body = json.dumps({"error": {"message": "the test controls need "
                                         "Authorization: Bearer <MAIL_PAGE_TOKEN>"}}).encode()
            self.send_response(401)
            self.send_header("WWW-Authenticate", "Bearer")
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)
            return True

        def _body(self) -> dict | None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return None
            raw = self.rfile.read(length) if length else b"{}"
            try:
                data = json.loads(raw.decode("utf-8"))
            except ValueError:
                return None
            return data if isinstance(data, dict) else None

        def do_GET(self):  # noqa: N802
            path, _, query = self.path.partition("?")
            if path == "/":
                page = render_page(store.messages(limit=PAGE_MAILS), control.status(), tz,
                                   store.count())
                self._send(200, page.encode(), "text/html; charset=utf-8")
            elif path == "/api/messages":
                self._messages(query)
            elif path.startswith("/api/messages/") and path.endswith("/raw"):
                raw = store.raw(path.split("/")[3])
                if raw is None:
                    self._error(404, "no such message")
                else:
                    self._send(200, raw, "message/rfc822")
            elif path == "/api/status":
                self._json(200, control.status())
            else:
                self._error(404, "not found")

        def _messages(self, query: str) -> None:
            try:
                filters = message_filters(query)
            except BadQuery as error:
                self._json(422, {"error": {"message": str(error), "field": error.field}})
                return
            self._json(200, store.messages(**filters))

        def do_DELETE(self):  # noqa: N802
            if self._refused():
                return
            if self.path == "/api/messages":
                self._json(200, {"deleted": store.clear()})
            else:
                self._error(404, "not found")

        def do_POST(self):  # noqa: N802
            if self._refused():
                return
            body = self._body()
            if body is None:
                self._error(400, "the body must be a JSON object")
            elif self.path == "/api/refuse":
                code, seconds = body.get("code", 451), body.get("seconds")
                if not isinstance(code, int) or isinstance(code, bool) or not 400 <= code <= 599:
                    self._error(422, "code must be an SMTP error code from 400 to 599")
                elif seconds is not None and (not isinstance(seconds, int | float)
                                              or isinstance(seconds, bool) or seconds <= 0):
                    self._error(422, "seconds must be a positive number")
                else:
                    control.refuse(code, seconds)
                    self._json(200, control.status())
            elif self.path == "/api/delay":
                seconds = body.get("seconds")
                if not isinstance(seconds, int | float) or isinstance(seconds, bool) \
                        or not 0 <= seconds <= 600:
                    self._error(422, "seconds must be a number from 0 to 600")
                else:
                    control.delay_seconds = float(seconds)
                    self._json(200, control.status())
            elif self.path == "/api/accept":
                control.accept()
                self._json(200, control.status())
            else:
                self._error(404, "not found")

        def log_message(self, format, *args):  # noqa: A002 - the base class's name
            log.debug("mail page request", extra={"request": format % args})

    return Handler


def make_page_server(store: MailStore, control: Control, host: str, port: int,
                     tz: ZoneInfo, token: str) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(store, control, tz, token))
    server.daemon_threads = True
    return server
