"""Server-side sessions of the counter staff (issue 13 item 1; docs/DECISIONS.md).

The browser's cookie holds a `Ticket`: a random session id and a random wrapping key.
Redis holds, under a digest of the id, the office API key encrypted with that wrapping key
(Fernet: AES-128-CBC with HMAC-SHA256), when the sign-in began and when it was last used.
Redis alone cannot reveal the key, the cookie alone holds no key, and deleting the Redis
entry ends every copy of the cookie at once. Without Redis the counter fails closed.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import redis
from cryptography.fernet import Fernet, InvalidToken

from portal import domain
from shared.clock import iso


class Unavailable(Exception):
    """The session store cannot be reached: no counter screen works until it is back."""


class Ended(Exception):
    """The ticket opens no session any more: "signed_out", "expired" or "idle"."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Ticket:
    """What the browser keeps: neither part is the office key."""

    session_id: str
    wrapping_key: str

    @classmethod
    def read(cls, raw: object) -> Ticket | None:
        if not isinstance(raw, dict):
            return None
        sid, wrap = raw.get("sid"), raw.get("wrap")
        return cls(sid, wrap) if isinstance(sid, str) and isinstance(wrap, str) else None

    def cookie_value(self) -> dict[str, str]:
        return {"sid": self.session_id, "wrap": self.wrapping_key}

    @property
    def name(self) -> str:
        """The store's name for the session: a digest, so the store holds no usable id."""
        return hashlib.sha256(self.session_id.encode()).hexdigest()


@dataclass(frozen=True)
class Opened:
    office_key: str
    number: str | None


class Records(Protocol):
    """Where session records live (Redis; the unit tests use a dict)."""

    def add(self, name: str, record: dict, seconds: int) -> None: ...

    def get(self, name: str) -> dict | None: ...

    def replace(self, name: str, record: dict, seconds: int) -> bool: ...

    def remove(self, name: str) -> None: ...


class RedisRecords:
    """Session records as JSON strings under `prefix:counter:<digest>`, with a TTL."""

    def __init__(self, url: str, prefix: str):
        self.redis = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5,
                                          retry_on_timeout=False)
        self.prefix = prefix.rstrip(":")

    def _key(self, name: str) -> str:
        return f"{self.prefix}:counter:{name}"

    def add(self, name: str, record: dict, seconds: int) -> None:
        try:
            self.redis.set(self._key(name), json.dumps(record), ex=seconds, nx=True)
        except redis.RedisError as exc:
            raise Unavailable(str(exc)) from None

    def get(self, name: str) -> dict | None:
        try:
            raw = self.redis.get(self._key(name))
        except redis.RedisError as exc:
            raise Unavailable(str(exc)) from None
        return json.loads(raw) if raw else None

    def replace(self, name: str, record: dict, seconds: int) -> bool:
        """Only while the entry exists (XX): a request racing a sign-out cannot revive it."""
        try:
            return bool(self.redis.set(self._key(name), json.dumps(record), ex=seconds, xx=True))
        except redis.RedisError as exc:
            raise Unavailable(str(exc)) from None

    def remove(self, name: str) -> None:
        try:
            self.redis.delete(self._key(name))
        except redis.RedisError as exc:
            raise Unavailable(str(exc)) from None


class CounterSessions:
    """Start, open, annotate and end counter sign-ins; `now` always comes in."""

    def __init__(self, records: Records, absolute: timedelta, idle: timedelta):
        self.records = records
        self.absolute = absolute
        self.idle = idle

    def start(self, office_key: str, now: datetime) -> Ticket:
        ticket = Ticket(secrets.token_urlsafe(32), Fernet.generate_key().decode())
        sealed = Fernet(ticket.wrapping_key.encode()).encrypt(office_key.encode()).decode()
        record = {"key": sealed, "since": iso(now), "seen": iso(now), "number": None}
        self.records.add(ticket.name, record, self._seconds(now, now))
        return ticket

    def open(self, ticket: Ticket, now: datetime) -> Opened:
        """The office key of a live session, which counts as used at `now`; else `Ended`."""
        record = self.records.get(ticket.name)
        if record is None:
            raise Ended("signed_out")
        since = domain.parse_instant(str(record.get("since", "")))
        seen = domain.parse_instant(str(record.get("seen", "")))
        reason = "expired" if since is None or seen is None else domain.counter_session_over(
            since, seen, now, self.absolute, self.idle)
        if reason:
            self.records.remove(ticket.name)
            raise Ended(reason)
        try:
            office_key = Fernet(ticket.wrapping_key.encode()).decrypt(str(record["key"])).decode()
        except (InvalidToken, ValueError, KeyError):
            raise Ended("signed_out") from None
        if not self.records.replace(ticket.name, {**record, "seen": iso(now)},
                                    self._seconds(since, now)):
            raise Ended("signed_out")
        return Opened(office_key, record.get("number"))

    def remember_number(self, ticket: Ticket, number: str | None, now: datetime) -> None:
        """The job seeker looked up, kept beside the session rather than in the cookie."""
        record = self.records.get(ticket.name)
        since = domain.parse_instant(str((record or {}).get("since", "")))
        if record is not None and since is not None:
            self.records.replace(ticket.name, {**record, "number": number, "seen": iso(now)},
                                 self._seconds(since, now))

    def keep(self, ticket: Ticket, name: str, value: dict | None, now: datetime) -> None:
        """Hold `value` beside the session until replaced (issue 17: the slip to show once,
        the issue awaiting staff's confirmation), sealed with the ticket's wrapping key like
        the office key: the store alone cannot read it. None forgets it."""
        record = self.records.get(ticket.name)
        since = domain.parse_instant(str((record or {}).get("since", "")))
        if record is None or since is None:
            return
        sealed = None if value is None else Fernet(ticket.wrapping_key.encode()).encrypt(
            json.dumps(value).encode()).decode()
        self.records.replace(ticket.name, {**record, f"kept_{name}": sealed, "seen": iso(now)},
                             self._seconds(since, now))

    def kept(self, ticket: Ticket, name: str) -> dict | None:
        """What `keep` holds under `name`, or None."""
        sealed = (self.records.get(ticket.name) or {}).get(f"kept_{name}")
        if not sealed:
            return None
        try:
            value = json.loads(Fernet(ticket.wrapping_key.encode()).decrypt(str(sealed)))
        except (InvalidToken, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def end(self, ticket: Ticket) -> None:
        self.records.remove(ticket.name)

    def _seconds(self, since: datetime, now: datetime) -> int:
        return domain.counter_session_seconds_left(since, now, self.absolute, self.idle)
