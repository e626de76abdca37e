"""Reading what the local SMTP server accepted, straight from its store (cheaply).

The server keeps one .eml per mail and an append-only index (devtools.mailstore); the
watcher reads only the index's new lines, so following thousands of mails costs the load
generator little.
"""

from __future__ import annotations

import re
import threading
import time
from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

from devtools.mailstore import IndexReader

_KEY = re.compile(r"認証キー[^0-9A-Z]*([0-9A-Z]{8})\b")


def received_at(entry: dict) -> float:
    """The instant the SMTP server accepted the mail, as a Unix time."""
    return datetime.fromisoformat(entry["received_at"].replace("Z", "+00:00")).timestamp()


def auth_key_of(eml: bytes) -> str | None:
    message = BytesParser(policy=policy.default).parsebytes(eml)
    body = message.get_body(preferencelist=("plain",))
    match = _KEY.search(body.get_content() if body is not None else "")
    return match.group(1) if match else None


class MailWatcher:
    """Follows the store in a thread; `wait(email)` gives that address's index entry."""

    def __init__(self, directory: Path, interval: float = 0.002):
        self.directory = directory
        self.interval = interval
        self.by_email: dict[str, dict] = {}
        self._index = IndexReader(directory)
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)

    def __enter__(self) -> MailWatcher:
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()

    def _read(self) -> None:
        entries = self._index.read()
        if entries:
            with self._changed:
                for entry in entries:
                    self.by_email[entry["to"]] = entry
                self._changed.notify_all()

    def _follow(self) -> None:
        while not self._stop.is_set():
            self._read()
            time.sleep(self.interval)

    def wait(self, email: str, timeout: float = 30) -> dict | None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while email not in self.by_email:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)
            return self.by_email[email]

    def auth_key(self, entry: dict) -> str | None:
        return auth_key_of((self.directory / f"{entry['id']}.eml").read_bytes())
