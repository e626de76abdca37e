"""What a registration process holds once, and the one place it is put together."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from psycopg_pool import ConnectionPool

from registration.config import SERVICE, Config
from registration.limits import Limits
from registration.passwords import Passwords
from shared.clock import Clock, make_clock
from shared.db import make_pool


@dataclass(frozen=True)
class Runtime:
    config: Config
    clock: Clock
    pool: ConnectionPool
    # Per-address request limits and login throttles; Redis is reached only when first
    # used, and without it the limits lapse.
    limits: Limits
    # argon2id with the configured parameters, taking turns within the process (R11).
    passwords: Passwords


def build(config: Config, *, clock: Clock | None = None, pool: ConnectionPool | None = None,
          limits: Limits | None = None, passwords: Passwords | None = None) -> Runtime:
    """The composition root; call it in each process (a gunicorn worker, the consumer),
    never before a fork. Tests pass a clock (or anything else) of their own."""
    clock = clock if clock is not None else make_clock(config.test_clock_file)
    return Runtime(
        config=config,
        clock=clock,
        pool=pool if pool is not None else make_pool(config.database_url,
                                                     max_size=config.db_pool_size, name=SERVICE),
        limits=limits if limits is not None else Limits(config.redis_url, config.redis_prefix,
                                                        clock),
        passwords=passwords if passwords is not None else Passwords(
            config.argon2_memory_kib, config.argon2_time_cost, config.argon2_parallelism,
            config.argon2_concurrency),
    )


def current() -> Runtime:
    """The runtime of the app serving this request (create_app puts it there)."""
    return current_app.extensions[SERVICE]
