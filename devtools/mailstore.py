"""Where the local SMTP server keeps what it receives: one .eml file per message and an
append-only index (`index.jsonl`, one JSON line per message in the order they came), so
that tests and people can read the mails and the files survive a restart.

Keeping one mail costs the same with ten or a hundred thousand mails stored (issue 19):
the message is written, and one line appended to the index; nothing is read or rewritten.
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from shared.clock import iso

INDEX = "index.jsonl"
_ID = re.compile(r"[0-9]{8}T[0-9]{12}-[0-9a-f]{8}")


def _parse(raw: bytes, headers_only: bool = False) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw, headersonly=headers_only)


def body_text(message: EmailMessage) -> str:
    """The decoded text of a message (its plain part, else its HTML part)."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding
        return part.get_payload(decode=True).decode("utf-8", "replace")


class IndexReader:
    """Reads a store's index, maybe while another process writes it: each `read()` gives
    the entries added since the previous one (all of them the first time, and again from
    the start once the store was cleared). A line still being appended waits for the next
    read."""

    def __init__(self, directory: str | Path):
        self.path = Path(directory) / INDEX
        self._file: tuple[int, int] | None = None  # (device, inode) of the file being read
        self._offset = 0

    def read(self) -> list[dict]:
        try:
            with self.path.open("rb") as index:
                stat = os.fstat(index.fileno())
                if (stat.st_dev, stat.st_ino) != self._file or stat.st_size < self._offset:
                    self._file, self._offset = (stat.st_dev, stat.st_ino), 0
                index.seek(self._offset)
                data = index.read()
        except FileNotFoundError:
            self._file, self._offset = None, 0
            return []
        complete = data[:data.rfind(b"\n") + 1]
        self._offset += len(complete)
        return [json.loads(line) for line in complete.splitlines() if line.strip()]


class MailStore:
    """Thread-safe store of received messages, newest first when listed."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def _eml(self, message_id: str) -> Path:
        return self.directory / f"{message_id}.eml"

    def _index(self) -> list[dict]:
        """Every entry, oldest first."""
        return IndexReader(self.directory).read()

    def add(self, raw: bytes, mail_from: str, recipients: list[str],
            received_at: datetime | None = None) -> dict:
        """Keep one received message; returns its index entry."""
        received_at = received_at or datetime.now(UTC)
        message = _parse(raw, headers_only=True)  # the index needs no body
        entry = {
            "id": f"{received_at.astimezone(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}",
            "to": ", ".join(recipients),
            "from": mail_from,
            "subject": str(message["Subject"] or ""),
            "message_id": str(message["Message-ID"] or ""),
            "received_at": iso(received_at),
        }
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode()
        with self._lock:
            # The message first, whole (a reader never meets half a file), then its line: an
            # entry in the index always has its message beside it.
            tmp = self.directory / f".{entry['id']}.tmp"
            tmp.write_bytes(raw)
            os.replace(tmp, self._eml(entry["id"]))
            with (self.directory / INDEX).open("ab") as index:
                index.write(line)
        return entry

    def messages(self) -> list[dict]:
        """Every message, newest first, each with its decoded text."""
        with self._lock:
            index = self._index()
        out = []
        for entry in reversed(index):
            path = self._eml(entry["id"])
            text = body_text(_parse(path.read_bytes())) if path.exists() else ""
            out.append({**entry, "text": text})
        return out

    def raw(self, message_id: str) -> bytes | None:
        """The stored bytes of one message (None for an unknown id)."""
        if not _ID.fullmatch(message_id):
            return None
        try:
            return self._eml(message_id).read_bytes()
        except FileNotFoundError:
            return None

    def clear(self) -> int:
        """Forget every message; returns how many there were."""
        with self._lock:
            index = self._index()
            (self.directory / INDEX).unlink(missing_ok=True)
            for entry in index:
                self._eml(entry["id"]).unlink(missing_ok=True)
        return len(index)
