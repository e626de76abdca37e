"""Where the local SMTP server keeps what it receives: one .eml file per message and an
append-only index (`index.jsonl`, one JSON line per message in the order they came), so
that tests and people can read the mails and the files survive a restart.

Keeping one mail costs the same with ten or a hundred thousand mails stored (issue 19):
the message is written, and one line appended to the index; nothing is read or rewritten.
Reading costs what is asked for, not what is stored: the server follows its own index
(only the new lines, once), keeps the entries by recipient, and decodes each message's
text once, so a test polling `?to=<address>` pays for that person's mails only.
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
from functools import lru_cache
from itertools import islice
from pathlib import Path

from shared.clock import iso

INDEX = "index.jsonl"
TEXTS_KEPT = 10_000  # decoded texts kept in memory (a few KB each); older ones are re-read
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


@lru_cache(maxsize=TEXTS_KEPT)
def _text_of(path: str) -> str:
    """The decoded text of a stored message; cached by path, which is never reused (every
    id carries its own random part), so a cached text cannot go stale."""
    try:
        with open(path, "rb") as eml:
            return body_text(_parse(eml.read()))
    except FileNotFoundError:  # cleared while being listed
        return ""


def recipient_key(address: str) -> str:
    """How `?to=` compares addresses: whole and case-insensitive."""
    return address.strip().casefold()


class IndexReader:
    """Reads a store's index, maybe while another process writes it: each `read()` gives
    the entries added since the previous one (all of them the first time, and again from
    the start once the store was cleared). A line still being appended waits for the next
    read. `starts` counts how often it started again, so a caller keeping what it read can
    tell when to forget it."""

    def __init__(self, directory: str | Path):
        self.path = Path(directory) / INDEX
        self._file: tuple[int, int] | None = None  # (device, inode) of the file being read
        self._offset = 0
        self.starts = 0

    def _start_again(self, file: tuple[int, int] | None) -> None:
        if self._file is not None or self._offset:
            self.starts += 1
        self._file, self._offset = file, 0

    def read(self) -> list[dict]:
        try:
            with self.path.open("rb") as index:
                stat = os.fstat(index.fileno())
                if (stat.st_dev, stat.st_ino) != self._file or stat.st_size < self._offset:
                    self._start_again((stat.st_dev, stat.st_ino))
                index.seek(self._offset)
                data = index.read()
        except FileNotFoundError:
            self._start_again(None)
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
        self._reader = IndexReader(self.directory)
        self._starts = 0
        self._entries: list[dict] = []  # oldest first, as in the index
        self._by_recipient: dict[str, list[int]] = {}  # recipient_key -> positions

    def _eml(self, message_id: str) -> Path:
        return self.directory / f"{message_id}.eml"

    def _follow(self) -> None:
        """Take in the index's new lines (call with the lock held). The index, not memory,
        is the truth: a restarted server or a cleared store reads the same way."""
        new = self._reader.read()
        if self._reader.starts != self._starts:
            self._starts = self._reader.starts
            self._entries, self._by_recipient = [], {}
        for entry in new:
            position = len(self._entries)
            self._entries.append(entry)
            for address in {recipient_key(a) for a in entry["to"].split(",") if a.strip()}:
                self._by_recipient.setdefault(address, []).append(position)

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

    def count(self) -> int:
        with self._lock:
            self._follow()
            return len(self._entries)

    def messages(self, to: str | None = None, limit: int | None = None) -> list[dict]:
        """The messages, newest first, each with its decoded text: every one, or those with
        `to` among their recipients; at most `limit` of them."""
        with self._lock:
            self._follow()
            if to is None:
                positions = range(len(self._entries) - 1, -1, -1)
            else:
                positions = reversed(self._by_recipient.get(recipient_key(to), []))
            chosen = [self._entries[p] for p in islice(positions, limit)]
        return [{**entry, "text": _text_of(str(self._eml(entry["id"])))} for entry in chosen]

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
            self._follow()
            entries = self._entries
            (self.directory / INDEX).unlink(missing_ok=True)
            for entry in entries:
                self._eml(entry["id"]).unlink(missing_ok=True)
            self._follow()  # the reader sees the index gone and starts again
        return len(entries)
