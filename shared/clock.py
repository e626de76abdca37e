"""The one clock every rule decision reads; injectable, with a test-only movable variant."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

OFFICE_TZ = ZoneInfo("Asia/Tokyo")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""


class SystemClock:
    """Real time, always UTC-aware: the server's local zone never matters."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock for unit tests that only moves when told to."""

    def __init__(self, at: datetime):
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)

    def set(self, at: datetime) -> None:
        self.at = at.astimezone(UTC)


class FileClock:
    """Test clock for running processes: real time shifted by an offset read from a file.

    The file holds an ISO 8601 instant the tests want "now" to be at the moment they
    wrote it (first line) and that write's real time (second line), so time keeps flowing
    after the jump. An empty or missing file means real time. Production mode refuses it.
    """

    def __init__(self, path: str, reread_seconds: float = 0.2):
        self.path = path
        self.reread_seconds = reread_seconds
        self._offset = timedelta(0)
        self._read_at = float("-inf")
        self._mtime: float | None = None

    def _offset_now(self) -> timedelta:
        mono = time.monotonic()
        if mono - self._read_at < self.reread_seconds:
            return self._offset
        self._read_at = mono
        try:
            mtime = os.stat(self.path).st_mtime
        except FileNotFoundError:
            self._offset, self._mtime = timedelta(0), None
            return self._offset
        if mtime != self._mtime:
            self._mtime = mtime
            with open(self.path, encoding="utf-8") as fh:
                lines = fh.read().split()
            if len(lines) >= 2:
                wanted = datetime.fromisoformat(lines[0])
                written = datetime.fromisoformat(lines[1])
                self._offset = wanted - written
            else:
                self._offset = timedelta(0)
        return self._offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset_now()


def set_file_clock(path: str, at: datetime) -> None:
    """Move every process reading `path` as its FileClock to `at` (tests only)."""
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(f"{at.astimezone(UTC).isoformat()}\n{datetime.now(UTC).isoformat()}\n")
    os.replace(tmp, path)


def make_clock(test_clock_file: str | None) -> Clock:
    return FileClock(test_clock_file) if test_clock_file else SystemClock()


def office_date(at: datetime, tz: ZoneInfo = OFFICE_TZ):
    """The calendar date of an instant in the office time zone."""
    return at.astimezone(tz).date()


def iso(at: datetime) -> str:
    """UTC ISO 8601 with a Z, as events and APIs carry instants."""
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")
