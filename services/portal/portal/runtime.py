"""What the portal's views need besides the request, built once by `build(config)`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, g, request

from portal.apis import Api, Caller, CodeIssuer, Registration
from portal.config import Config
from portal.counter_sessions import CounterSessions, Records, RedisRecords
from shared.clock import Clock, make_clock
from shared.config import validate

SERVICE = "portal"


@dataclass
class Runtime:
    """The two APIs, the counter's sessions, the clock and the office's time zone."""

    config: Config
    clock: Clock
    registration: Registration
    code_issuer: CodeIssuer
    counter_sessions: CounterSessions
    zone: ZoneInfo


def build(config: Config, *, counter_records: Records | None = None,
          **overrides: Any) -> Runtime:
    """The portal's composition root. `overrides` replace a part by its field name (tests
    give `clock`); `counter_records` is where the counter's sessions live (Redis at
    `config.redis_url` unless given)."""
    validate(config)
    defaults = {
        "clock": lambda: make_clock(config.test_clock_file),
        "registration": lambda: Registration(Api(config.registration_url, config.api_timeout)),
        "code_issuer": lambda: CodeIssuer(Api(config.code_issuer_url, config.api_timeout)),
        "counter_sessions": lambda: CounterSessions(
            counter_records or RedisRecords(config.redis_url, config.redis_prefix),
            absolute=timedelta(hours=config.counter_session_hours),
            idle=timedelta(minutes=config.counter_idle_minutes)),
        "zone": lambda: ZoneInfo(config.office_time_zone),
    }
    parts = {name: overrides.pop(name) if name in overrides else make()
             for name, make in defaults.items()}
    return Runtime(config=config, **parts, **overrides)


def current() -> Runtime:
    """The running app's runtime."""
    return current_app.extensions[SERVICE]


def caller() -> Caller:
    """The person behind this request, as the APIs must see them."""
    return Caller(address=request.remote_addr or "", language=g.get("lang", "ja"),
                  user_agent=request.headers.get("User-Agent", ""))
