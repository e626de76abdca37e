"""Per-client-address rate limits and login throttles, counted in Redis.

Redis only holds counters: when it is unreachable the limits lapse and requests still
work (R4's 10-failure rule lives in PostgreSQL). After an error Redis is left alone for
a few seconds, so a dead server costs no request more than one short timeout.
"""

from __future__ import annotations

import logging
import math
import time

import redis

from shared.clock import Clock

log = logging.getLogger(__name__)


class Limits:
    """Fixed-window request counters and failure counters under one key prefix."""

    def __init__(self, redis_url: str, prefix: str, clock: Clock, pause_after_error: float = 5.0):
        self.redis = redis.Redis.from_url(
            redis_url, socket_connect_timeout=0.25, socket_timeout=0.25, retry_on_timeout=False
        )
        self.prefix = prefix
        self.clock = clock
        self.pause_after_error = pause_after_error
        self._down_until = 0.0

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def _usable(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, exc: Exception) -> None:
        self._down_until = time.monotonic() + self.pause_after_error
        log.warning("redis unavailable; limits lapse", extra={"error": str(exc)[:200]})

    def hit(self, group: str, who: str, limit: int, window: int) -> int | None:
        """Count one request; seconds to wait when `who` is over `limit` per `window`."""
        if not self._usable():
            return None
        now = self.clock.now().timestamp()
        slot = int(now // window)
        key = self._key("rl", group, who, str(slot))
        try:
            pipe = self.redis.pipeline(transaction=False)  # EXPIRE follows, whatever happened
            pipe.incr(key)
            pipe.expire(key, window + 1)
            count = pipe.execute()[0]
        except redis.RedisError as exc:
            self._failed(exc)
            return None
        if count <= limit:
            return None
        return max(1, math.ceil((slot + 1) * window - now))

    def blocked(self, group: str, who: str, limit: int) -> int | None:
        """Seconds to wait when `who` already has `limit` failures in its window."""
        if not self._usable():
            return None
        key = self._key("fail", group, who)
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.get(key)
            pipe.ttl(key)
            count, ttl = pipe.execute()
        except redis.RedisError as exc:
            self._failed(exc)
            return None
        if count is None or int(count) < limit:
            return None
        return max(1, int(ttl))

    def add_failure(self, group: str, who: str, window: int) -> None:
        """One more failure; the window starts at the first one."""
        if not self._usable():
            return
        key = self._key("fail", group, who)
        try:
            # MULTI/EXEC: a key expiring between the two must not be re-created without a TTL
            pipe = self.redis.pipeline()
            pipe.set(key, 0, ex=window, nx=True)
            pipe.incr(key)
            pipe.execute()
        except redis.RedisError as exc:
            self._failed(exc)

    def clear(self, group: str, who: str) -> None:
        if not self._usable():
            return
        try:
            self.redis.delete(self._key("fail", group, who))
        except redis.RedisError as exc:
            self._failed(exc)
