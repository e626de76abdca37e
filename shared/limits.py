"""Failure counters in Redis: how many times `who` failed in a window that starts at its
first failure, counted atomically.

Redis only holds counters: when it is unreachable the limits lapse and requests still
work. After an error Redis is left alone for a few seconds, so a dead server costs no
request more than one short timeout.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Counted:
    count: int  # failures in the window, this one included
    retry_after: int  # seconds until the window ends (at least 1)


class FailureCounter:
    """Failures per (group, who) under one key prefix."""

    def __init__(self, redis_url: str, prefix: str, pause_after_error: float = 5.0,
                 timeout: float = 0.25):
        self.redis = redis.Redis.from_url(
            redis_url, socket_connect_timeout=timeout, socket_timeout=timeout,
            retry_on_timeout=False,
        )
        self.prefix = prefix
        self.pause_after_error = pause_after_error
        self._down_until = 0.0

    def _key(self, group: str, who: str) -> str:
        return ":".join((self.prefix, "failures", group, who))

    def _usable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + self.pause_after_error
        log.warning("redis unavailable; failure limits lapse", extra={"error": str(exc)[:200]})

    def blocked(self, group: str, who: str, limit: int) -> int | None:
        """Seconds to wait when `who` already has `limit` failures in its window, else None."""
        if not self._usable():
            return None
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.get(self._key(group, who))
            pipe.ttl(self._key(group, who))
            count, ttl = pipe.execute()
        except redis.RedisError as exc:
            self._failed(exc)
            return None
        if count is None or int(count) < limit:
            return None
        return max(1, int(ttl))

    def add(self, group: str, who: str, window: int) -> Counted | None:
        """One more failure, counted atomically; None when Redis is unavailable.

        The window starts at the first failure and is set in the same MULTI/EXEC as the
        count, so a key can never live on without its expiry.
        """
        if not self._usable():
            return None
        key = self._key(group, who)
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.set(key, 0, ex=window, nx=True)
            pipe.incr(key)
            pipe.ttl(key)
            _, count, ttl = pipe.execute()
        except redis.RedisError as exc:
            self._failed(exc)
            return None
        return Counted(int(count), max(1, int(ttl)))

    def clear(self, group: str, who: str) -> None:
        if not self._usable():
            return
        try:
            self.redis.delete(self._key(group, who))
        except redis.RedisError as exc:
            self._failed(exc)
