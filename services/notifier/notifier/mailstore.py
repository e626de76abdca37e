"""Where the local SMTP server keeps what it receives: one .eml file per message and a
JSON index, so tests and people can read the mails (and the files survive a restart)."""

from __future__ import annotations

import json
import os
import threading
import uuid
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from shared.clock import iso

INDEX = "index.json"


def _parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=policy.default).parsebytes(raw)


def body_text(message: EmailMessage) -> str:
    """The decoded text of a message (its plain part, else its HTML part)."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        return part.get_content()
    except (LookupError, ValueError):  # an unknown charset or a broken encoding
        return part.get_payload(decode=True).decode("utf-8", "replace")


class MailStore:
    """Thread-safe store of received messages, newest first when listed."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def _write(self, name: str, data: bytes) -> None:
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, self.directory / name)

    def _index(self) -> list[dict]:
        path = self.directory / INDEX
        if not path.exists():
            return []
        return json.loads(path.read_text(encoding="utf-8"))

    def add(self, raw: bytes, mail_from: str, recipients: list[str],
            received_at: datetime | None = None) -> dict:
        """Keep one received message; returns its index entry."""
        received_at = received_at or datetime.now(UTC)
        message = _parse(raw)
        entry = {
            "id": f"{received_at.astimezone(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}",
            "to": ", ".join(recipients),
            "from": mail_from,
            "subject": str(message["Subject"] or ""),
            "message_id": str(message["Message-ID"] or ""),
            "received_at": iso(received_at),
        }
        with self._lock:
            self._write(f"{entry['id']}.eml", raw)
            index = self._index()
            index.append(entry)
            self._write(INDEX, json.dumps(index, ensure_ascii=False, indent=1).encode())
        return entry

    def messages(self) -> list[dict]:
        """Every message, newest first, each with its decoded text."""
        with self._lock:
            index = self._index()
        out = []
        for entry in reversed(index):
            path = self.directory / f"{entry['id']}.eml"
            text = body_text(_parse(path.read_bytes())) if path.exists() else ""
            out.append({**entry, "text": text})
        return out

    def raw(self, message_id: str) -> bytes | None:
        """The stored bytes of one message (None for an unknown id)."""
        with self._lock:
            known = any(entry["id"] == message_id for entry in self._index())
        return (self.directory / f"{message_id}.eml").read_bytes() if known else None

    def clear(self) -> int:
        """Forget every message; returns how many there were."""
        with self._lock:
            index = self._index()
            for entry in index:
                (self.directory / f"{entry['id']}.eml").unlink(missing_ok=True)
            (self.directory / INDEX).unlink(missing_ok=True)
        return len(index)
