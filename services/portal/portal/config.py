"""The portal's settings, read once from the environment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.config import (
    DEFAULT_SECRET,
    DEVELOPMENT,
    PRODUCTION,
    ConfigError,
    Env,
    refuse_unsafe_production,
    url_password,
)


@dataclass(frozen=True)
class Config:
    mode: str = DEVELOPMENT
    code_issuer_url: str = "http://127.0.0.1:8001"
    registration_url: str = "http://127.0.0.1:8002"
    secret_key: str = DEFAULT_SECRET
    mail_page_url: str = "http://127.0.0.1:8025"
    # The sender the notifier mails from, named in the manual's mail-filtering note.
    mail_from: str = "system@mail.example.jp"
    office_time_zone: str = "Asia/Tokyo"
    test_clock_file: str | None = None
    log_level: str = "INFO"
    # Seconds to wait for an API (connect, read): a slow API must not hang a person.
    api_timeout: float = 10.0
    # Proxies in front of the portal itself (0: the browser talks to gunicorn directly).
    trusted_proxy_hops: int = 0
    # How long a counter sign-in lasts before the office key must be typed again, and how
    # long it survives without a request (issue 13 item 1).
    counter_session_hours: int = 8
    counter_idle_minutes: int = 30
    # The counter's server-side sessions (the office key, encrypted; never in the cookie).
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "jobportal:portal"

    @property
    def development(self) -> bool:
        return self.mode == DEVELOPMENT

    @property
    def secure_cookies(self) -> bool:
        return self.mode == PRODUCTION

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = Env(environ)
        config = cls(
            mode=env.mode(),
            code_issuer_url=env.str("CODE_ISSUER_URL", cls.code_issuer_url).rstrip("/"),
            registration_url=env.str("REGISTRATION_URL", cls.registration_url).rstrip("/"),
            secret_key=env.secret("PORTAL_SECRET_KEY", DEFAULT_SECRET),
            mail_page_url=env.str("MAIL_PAGE_URL", cls.mail_page_url).rstrip("/"),
            mail_from=env.str("MAIL_FROM", cls.mail_from),
            office_time_zone=env.str("OFFICE_TIME_ZONE", cls.office_time_zone),
            test_clock_file=env.str("TEST_CLOCK_FILE", "") or None,
            log_level=env.str("LOG_LEVEL", cls.log_level),
            api_timeout=env.float("PORTAL_API_TIMEOUT", cls.api_timeout),
            trusted_proxy_hops=env.int("PORTAL_TRUSTED_PROXY_HOPS", cls.trusted_proxy_hops),
            counter_session_hours=env.int("COUNTER_SESSION_HOURS", cls.counter_session_hours),
            counter_idle_minutes=env.int("COUNTER_IDLE_MINUTES", cls.counter_idle_minutes),
            redis_url=env.secret("REDIS_URL", cls.redis_url),
            redis_prefix=env.str("REDIS_PREFIX", cls.redis_prefix),
        )
        config.check()
        return config

    def check(self) -> None:
        """Refuse the development secret and the test clock in production mode."""
        if self.counter_session_hours < 1 or self.counter_idle_minutes < 1:
            raise ConfigError("COUNTER_SESSION_HOURS and COUNTER_IDLE_MINUTES must be at least 1")
        refuse_unsafe_production(
            self.mode, PORTAL_SECRET_KEY=self.secret_key, test_clock_file=self.test_clock_file,
            passwords={"REDIS_URL": url_password(self.redis_url)},
        )
