"""What a notifier process holds once: settings, clock, mailer and (after fork) a pool."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from psycopg_pool import ConnectionPool

from notifier.config import Config
from notifier.mail import Mailer, SmtpMailer
from shared.clock import Clock, make_clock
from shared.db import make_pool


@dataclass
class Runtime:
    config: Config
    clock: Clock
    mailer: Mailer
    _pool: ConnectionPool | None = None
    _pid: int = field(default_factory=os.getpid)

    @property
    def pool(self) -> ConnectionPool:
        """Opened on first use in each process: a prefork child never shares its parent's."""
        if self._pool is None or self._pid != os.getpid():
            self._pool = make_pool(self.config.database_url, max_size=4, name="notifier")
            self._pid = os.getpid()
        return self._pool


def build(config: Config) -> Runtime:
    mailer = SmtpMailer(config.smtp_host, config.smtp_port, starttls=config.smtp_starttls,
                        user=config.smtp_user, password=config.smtp_password,
                        timeout=config.smtp_timeout, ca_file=config.smtp_ca_file)
    return Runtime(config=config, clock=make_clock(config.test_clock_file), mailer=mailer)


_current: Runtime | None = None


def current() -> Runtime:
    """The process's runtime, built from the environment on first use."""
    global _current
    if _current is None:
        _current = build(Config.from_env())
    return _current
