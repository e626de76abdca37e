"""shared.limits.FailureCounter on the real Redis: atomic counts, a window from the first
failure, and limits that lapse (without slowing requests) while Redis is unreachable."""

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from shared.limits import FailureCounter
from testsupport import REDIS, TcpProxy

pytestmark = pytest.mark.integration


def test_failures_are_counted_in_a_window_from_the_first_and_block_at_the_limit(redis_prefix):
    counter = FailureCounter(REDIS, redis_prefix)
    assert counter.blocked("office-key", "192.0.2.1", 3) is None
    counts = [counter.add("office-key", "192.0.2.1", 900) for _ in range(3)]
    assert [c.count for c in counts] == [1, 2, 3]
    assert all(890 <= c.retry_after <= 900 for c in counts)
    assert 890 <= counter.blocked("office-key", "192.0.2.1", 3) <= 900
    assert counter.blocked("office-key", "192.0.2.1", 4) is None
    assert counter.blocked("office-key", "192.0.2.2", 3) is None  # per who
    assert counter.blocked("other-group", "192.0.2.1", 3) is None  # per group
    counter.clear("office-key", "192.0.2.1")
    assert counter.add("office-key", "192.0.2.1", 900).count == 1


def test_concurrent_failures_are_each_counted_exactly_once(redis_prefix):
    counter = FailureCounter(REDIS, redis_prefix)
    with ThreadPoolExecutor(16) as pool:
        counts = list(pool.map(lambda _: counter.add("office-key", "192.0.2.3", 900).count,
                               range(64)))
    assert sorted(counts) == list(range(1, 65))


def test_the_window_ends_and_counting_starts_again(redis_prefix):
    counter = FailureCounter(REDIS, redis_prefix)
    assert counter.add("office-key", "192.0.2.4", 1).count == 1
    assert counter.add("office-key", "192.0.2.4", 1).count == 2  # later ones keep the window
    time.sleep(1.2)
    assert counter.blocked("office-key", "192.0.2.4", 1) is None
    assert counter.add("office-key", "192.0.2.4", 1).count == 1
    ttl = redis.Redis.from_url(REDIS).ttl(f"{redis_prefix}:failures:office-key:192.0.2.4")
    assert 0 < ttl <= 1


def test_when_redis_is_unreachable_the_limit_lapses_and_costs_one_short_timeout(redis_prefix):
    proxy = TcpProxy("127.0.0.1", 6379)
    proxy.cut()
    try:
        counter = FailureCounter(f"redis://127.0.0.1:{proxy.port}/0", redis_prefix)
        assert counter.add("office-key", "192.0.2.5", 900) is None
        started = time.monotonic()
        for _ in range(20):  # left alone for a while: no further timeouts
            assert counter.add("office-key", "192.0.2.5", 900) is None
            assert counter.blocked("office-key", "192.0.2.5", 1) is None
        assert time.monotonic() - started < 0.1
    finally:
        proxy.close()
