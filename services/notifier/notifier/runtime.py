"""What a notifier process holds once, and the one place it is put together."""

from __future__ import annotations

import os
from dataclasses import dataclass

from psycopg_pool import ConnectionPool

from notifier.config import SERVICE, Config
from notifier.mail import Mailer, SmtpMailer
from shared.clock import Clock, make_clock
from shared.db import make_pool


@dataclass(frozen=True)
class Runtime:
    config: Config
    clock: Clock
    pool: ConnectionPool
    mailer: Mailer


def build(config: Config, *, clock: Clock | None = None, pool: ConnectionPool | None = None,
          mailer: Mailer | None = None) -> Runtime:
    """The composition root; call it in each process (a worker's pool process, the
    consumer), never before a fork. Tests pass a clock (or anything else) of their own."""
    return Runtime(
        config=config,
        clock=clock if clock is not None else make_clock(config.test_clock_file),
        pool=pool if pool is not None else make_pool(config.database_url, max_size=4,
                                                     name=SERVICE),
        mailer=mailer if mailer is not None else SmtpMailer(
            config.smtp_host, config.smtp_port, starttls=config.smtp_starttls,
            user=config.smtp_user, password=config.smtp_password,
            timeout=config.smtp_timeout, ca_file=config.smtp_ca_file),
    )


_current: dict[int, Runtime] = {}


def current() -> Runtime:
    """The runtime of this process (the tasks'), built from the environment on first use
    in each process: a prefork pool process never uses its parent's pool."""
    pid = os.getpid()
    if pid not in _current:
        _current.clear()  # a parent's runtime, inherited through fork: never used here
        _current[pid] = build(Config.from_env())
    return _current[pid]
