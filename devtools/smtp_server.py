"""The local SMTP server for development and tests (aiosmtpd), with a test control: it can
refuse mail for a while or be slow to accept it, to exercise the worker's retries."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller

from devtools.mailstore import MailStore

log = logging.getLogger(__name__)


@dataclass
class Control:
    """How the server behaves now; changed through the page's /api endpoints."""

    refuse_code: int | None = None
    refuse_until: float | None = None  # monotonic; None = until told to accept
    delay_seconds: float = 0.0
    in_progress: int = 0  # messages waiting out the delay right now

    def refusal(self) -> int | None:
        if self.refuse_code is None:
            return None
        if self.refuse_until is not None and time.monotonic() >= self.refuse_until:
            self.refuse_code = self.refuse_until = None
            return None
        return self.refuse_code

    def refuse(self, code: int, seconds: float | None) -> None:
        self.refuse_code = code
        self.refuse_until = None if seconds is None else time.monotonic() + seconds

    def accept(self) -> None:
        self.refuse_code = self.refuse_until = None
        self.delay_seconds = 0.0

    def status(self) -> dict:
        code = self.refusal()
        remaining = None
        if code is not None and self.refuse_until is not None:
            remaining = round(max(0.0, self.refuse_until - time.monotonic()), 3)
        return {"refusing": code, "refusing_seconds_left": remaining,
                "delay_seconds": self.delay_seconds, "in_progress": self.in_progress}


class StoringHandler:
    """aiosmtpd handler: refuses recipients while told to, otherwise stores each message."""

    def __init__(self, store: MailStore, control: Control):
        self.store = store
        self.control = control

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        code = self.control.refusal()
        if code is not None:
            status = "4.3.2" if code < 500 else "5.7.1"
            return f"{code} {status} Mail refused for now (test control)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        delay = self.control.delay_seconds
        if delay:
            # A client that goes away during the wait never got its 250: the mail was
            # not accepted and is not stored (aiosmtpd cancels this coroutine).
            self.control.in_progress += 1
            try:
                await asyncio.sleep(delay)
            finally:
                self.control.in_progress -= 1
        entry = self.store.add(envelope.original_content or envelope.content,
                               envelope.mail_from, list(envelope.rcpt_tos))
        log.info("mail received", extra={"mail_id": entry["id"], "to": entry["to"]})
        return "250 2.0.0 Message accepted for delivery"


def start_smtp(store: MailStore, control: Control, host: str, port: int) -> Controller:
    """Start the SMTP server in its own thread; returns its controller (call .stop())."""
    controller = Controller(StoringHandler(store, control), hostname=host, port=port,
                            ready_timeout=30, enable_SMTPUTF8=True,
                            server_hostname="mail.localhost")
    controller.start()
    return controller
