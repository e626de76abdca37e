"""Reading what the local SMTP server accepted, straight from its store (cheaply).

The server keeps one .eml per mail and an append-only JSON index it rewrites whole on
each mail; the watcher reads only the index's new tail, so following thousands of mails
costs the load generator little.
"""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime
from email import policy
from email.parser import BytesParser
from pathlib import Path

_ENTRY = re.compile(r"\{[^{}]*\}")
_KEY = re.compile(r"認証キー[^0-9A-Z]*([0-9A-Z]{8})\b")


def parse_new_entries(text: str, start: int) -> tuple[list[dict], int]:
    """Index entries that begin at or after `start` in the index text, and where the next
    read should begin (just after the last complete entry)."""
    entries, end = [], start
    for match in _ENTRY.finditer(text, start):
        entries.append(json.loads(match.group(0)))
        end = match.end()
    return entries, end


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
        self._offset = 0
        self._size = -1
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
        path = self.directory / "index.json"
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            self._offset, self._size = 0, -1
            return
        if size == self._size:
            return
        if size < self._size:  # cleared and started again
            self._offset = 0
        text = path.read_text(encoding="utf-8")
        if not text.rstrip().endswith("]"):
            return  # never happens (the server replaces the file whole), but be safe
        entries, self._offset = parse_new_entries(text, self._offset)
        self._size = size
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
