"""Registration's limits in Redis (shared.limits.RedisCounters: they lapse without it;
R4's 10-failure rule lives in PostgreSQL): per-client-address request limits of the
endpoint groups, and login's throttles, reserved before argon2 runs (R13)."""

from __future__ import annotations

import math

from shared.clock import Clock
from shared.limits import RedisCounters

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


class Limits(RedisCounters):
    """Fixed-window request counters and failure reservations under one key prefix."""

    def __init__(self, redis_url: str, prefix: str, clock: Clock, pause_after_error: float = 5.0):
        super().__init__(redis_url, prefix, pause_after_error)
        self.clock = clock
        self._reserve = self.redis.register_script(_RESERVE)
        self._release = self.redis.register_script(_RELEASE)

    def hit(self, group: str, who: str, limit: int, window: int) -> int | None:
        """Count one request; seconds to wait when `who` is over `limit` per `window`."""
        now = self.clock.now().timestamp()
        slot = int(now // window)
        key = self.key("rl", group, who, str(slot))

        def count():
            pipe = self.redis.pipeline(transaction=False)  # EXPIRE follows, whatever happened
            pipe.incr(key)
            pipe.expire(key, window + 1)
            return pipe.execute()[0]

        count_ = self.attempt(count)
        if count_ is None or count_ <= limit:
            return None
        return max(1, math.ceil((slot + 1) * window - now))

    def reserve(self, group: str, who: str, limit: int, window: int) -> int | None:
        """Count one attempt *before* the work it guards (login's argon2), or seconds to wait
        when `who` already has `limit` in its window (which starts at the first attempt).

        Check and count are one Lua script, so N concurrent attempts get exactly `limit`
        through (issue 13 item 4); a refused attempt is not counted."""
        wait = self.attempt(lambda: int(self._reserve(keys=[self.key("fail", group, who)],
                                                      args=[limit, window])))
        return wait or None

    def release(self, group: str, who: str) -> None:
        """Give back one reserved attempt that turned out not to be a failure."""
        self.attempt(lambda: self._release(keys=[self.key("fail", group, who)]))

    def clear(self, group: str, who: str) -> None:
        self.delete(self.key("fail", group, who))
