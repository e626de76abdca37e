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

# KEYS[1] the counter; ARGV[1] the limit, ARGV[2] the window in seconds. 0: reserved;
# otherwise the seconds to wait. A counter without expiry (never made by this script) gets one.
_RESERVE = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count >= tonumber(ARGV[1]) then
  local ttl = redis.call('TTL', KEYS[1])
  if ttl < 0 then
    redis.call('EXPIRE', KEYS[1], ARGV[2])
    ttl = tonumber(ARGV[2])
  end
  return math.max(ttl, 1)
end
if redis.call('INCR', KEYS[1]) == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return 0
"""
# Decrements an existing counter only: a window that ended meanwhile is not re-created.
_RELEASE = """
if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


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
        self._reserve = self.redis.register_script(_RESERVE)
        self._release = self.redis.register_script(_RELEASE)

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

    def reserve(self, group: str, who: str, limit: int, window: int) -> int | None:
        """Count one attempt *before* the work it guards (login's argon2), or seconds to wait
        when `who` already has `limit` in its window (which starts at the first attempt).

        Check and count are one Lua script, so N concurrent attempts get exactly `limit`
        through (issue 13 item 4); a refused attempt is not counted."""
        if not self._usable():
            return None
        try:
            wait = int(self._reserve(keys=[self._key("fail", group, who)], args=[limit, window]))
        except redis.RedisError as exc:
            self._failed(exc)
            return None
        return wait or None

    def release(self, group: str, who: str) -> None:
        """Give back one reserved attempt that turned out not to be a failure."""
        if not self._usable():
            return
        try:
            self._release(keys=[self._key("fail", group, who)])
        except redis.RedisError as exc:
            self._failed(exc)

    def clear(self, group: str, who: str) -> None:
        if not self._usable():
            return
        try:
            self.redis.delete(self._key("fail", group, who))
        except redis.RedisError as exc:
            self._failed(exc)
