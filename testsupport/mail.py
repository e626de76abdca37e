"""The local SMTP sink (`python -m devtools smtp`) run for a test session, and a client of
its page's API (received mails and the test controls)."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

from testsupport.polling import eventually
from testsupport.processes import stop_groups
from testsupport.servers import free_port


class MailServer:
    """Client of the local SMTP server's page API (its test controls need `token`)."""

    def __init__(self, smtp_port: int, page_port: int, store_dir: Path | None = None):
        self.smtp_port = smtp_port
        self.page_port = page_port
        self.store_dir = store_dir  # the server's MAIL_STORE_DIR, when this process started it
        self.token = secrets.token_urlsafe(32)

    def request(self, method: str, path: str, body=None, token: str | None = "") -> tuple[int, str, bytes]:
        """(status, content type, body) of one call to the page; `token` "" sends the
        server's token, None sends none, anything else is sent as is."""
        conn = http.client.HTTPConnection("127.0.0.1", self.page_port, timeout=5)
        try:
            data = None if body is None else (body if isinstance(body, bytes)
                                              else json.dumps(body).encode())
            headers = {"Content-Type": "application/json"}
            if token is not None:
                headers["Authorization"] = f"Bearer {token or self.token}"
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            conn.close()

    def call(self, method: str, path: str, body=None):
        status, kind, raw = self.request(method, path, body)
        assert status == 200, (status, raw)
        return json.loads(raw) if kind.startswith("application/json") else raw.decode()

    def messages(self, to: str | None = None, limit: int | None = None):
        """The received mails, newest first: every one, or those to `to` (the server finds
        them through its index by recipient); at most `limit`."""
        query = {k: v for k, v in (("to", to), ("limit", limit)) if v is not None}
        return self.call("GET", "/api/messages" + (f"?{urlencode(query)}" if query else ""))

    def status(self):
        return self.call("GET", "/api/status")

    def refuse(self, code=451, seconds=None):
        return self.call("POST", "/api/refuse", {"code": code, "seconds": seconds})

    def delay(self, seconds):
        return self.call("POST", "/api/delay", {"seconds": seconds})

    def accept(self):
        return self.call("POST", "/api/accept", {})

    def clear(self):
        return self.call("DELETE", "/api/messages")


@contextmanager
def mail_sink(workdir: Path) -> Iterator[MailServer]:
    """`python -m devtools smtp` on free ports, its store and log in `workdir`."""
    server = MailServer(free_port(), free_port(), workdir / "mail")
    env = {**os.environ, "SMTP_LISTEN_PORT": str(server.smtp_port),
           "MAIL_PAGE_PORT": str(server.page_port), "MAIL_STORE_DIR": str(server.store_dir),
           "MAIL_PAGE_TOKEN": server.token, "PYTHONUNBUFFERED": "1"}
    with open(workdir / "smtp.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "devtools", "smtp"], cwd=workdir, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def up():
            assert proc.poll() is None, (workdir / "smtp.log").read_text()
            try:
                return server.messages() == []
            except OSError:
                return False

        eventually(up, timeout=30, interval=0.1)
        yield server
    finally:
        stop_groups([proc], grace=10)
