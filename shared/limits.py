"""Counters in Redis that lapse without it: `RedisCounters`, the plumbing every limit of the
services stands on, and `FailureCounter`: how many times `who` failed in a window that
starts at its first failure, counted atomically.

Redis only holds counters: when it is unreachable the limits lapse and requests still
work. After an error Redis is left alone for a few seconds, so a dead server costs no
request more than one short timeout.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import redis

log = logging.getLogger(__name__)
T = TypeVar("T")


class RedisCounters:
    """A Redis client for counters under one key prefix, with short timeouts; `attempt`
    runs a call on it, or answers None while Redis is away."""

    def __init__(self, redis_url: str, prefix: str, pause_after_error: float = 5.0,
                 timeout: float = 0.25):
        self.redis = redis.Redis.from_url(
            redis_url, socket_connect_timeout=timeout, socket_timeout=timeout,
            retry_on_timeout=False,
        )
        self.prefix = prefix
        self.pause_after_error = pause_after_error
        self._down_until = 0.0

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def attempt(self, call: Callable[[], T]) -> T | None:
        """`call()`'s answer; None when Redis failed now or a few seconds ago."""
        if time.monotonic() < self._down_until:
            return None
        try:
            return call()
        except redis.RedisError as exc:
            self._down_until = time.monotonic() + self.pause_after_error
            log.warning("redis unavailable; limits lapse", extra={"error": str(exc)[:200]})
            return None

    def delete(self, key: str) -> None:
        self.attempt(lambda: self.redis.delete(key))


@dataclass(frozen=True)
class Counted:
    count: int  # failures in the window, this one included
    retry_after: int  # seconds until the window ends (at least 1)


class FailureCounter(RedisCounters):
    """Failures per (group, who) under one key prefix."""

    def _key(self, group: str, who: str) -> str:
        return self.key("failures", group, who)

    def blocked(self, group: str, who: str, limit: int) -> int | None:
        """Seconds to wait when `who` already has `limit` failures in its window, else None."""
        def read():
            pipe = self.redis.pipeline(transaction=False)
            pipe.get(self._key(group, who))
            pipe.ttl(self._key(group, who))
            return pipe.execute()

        read_ = self.attempt(read)
        if read_ is None:
            return None
        count, ttl = read_
        if count is None or int(count) < limit:
            return None
        return max(1, int(ttl))

    def add(self, group: str, who: str, window: int) -> Counted | None:
        """One more failure, counted atomically; None when Redis is unavailable.

        The window starts at the first failure and is set in the same MULTI/EXEC as the
        count, so a key can never live on without its expiry.
        """
        key = self._key(group, who)

        def count():
            pipe = self.redis.pipeline(transaction=True)
            pipe.set(key, 0, ex=window, nx=True)
            pipe.incr(key)
            pipe.ttl(key)
            return pipe.execute()

        counted = self.attempt(count)
        if counted is None:
            return None
        _, count_, ttl = counted
        return Counted(int(count_), max(1, int(ttl)))

    def clear(self, group: str, who: str) -> None:
        self.delete(self._key(group, who))
