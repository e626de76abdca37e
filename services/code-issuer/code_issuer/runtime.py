"""What a code-issuer process holds once, and the one place it is put together."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from psycopg_pool import ConnectionPool

from code_issuer.config import SERVICE, Config
from shared.clock import Clock, make_clock
from shared.db import make_pool
from shared.limits import FailureCounter


@dataclass(frozen=True)
class Runtime:
    config: Config
    clock: Clock
    pool: ConnectionPool
    # Wrong office API keys per client address (issue 13 item 8); Redis is reached only
    # when first used, and without it the limit lapses.
    office_key_failures: FailureCounter


def build(config: Config, *, clock: Clock | None = None, pool: ConnectionPool | None = None,
          office_key_failures: FailureCounter | None = None) -> Runtime:
    """The composition root; call it in each process (a gunicorn worker, the consumer),
    never before a fork. Tests pass a clock (or anything else) of their own."""
    return Runtime(
        config=config,
        clock=clock if clock is not None else make_clock(config.test_clock_file),
        pool=pool if pool is not None else make_pool(config.database_url, name=SERVICE),
        office_key_failures=(office_key_failures if office_key_failures is not None
                             else FailureCounter(config.redis_url, config.redis_prefix)),
    )


def current() -> Runtime:
    """The runtime of the app serving this request (create_app puts it there)."""
    return current_app.extensions[SERVICE]
