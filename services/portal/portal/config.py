"""The portal's settings: one frozen dataclass, each setting declared once."""

from __future__ import annotations

from dataclasses import dataclass

from shared.config import (
    DEFAULT_SECRET,
    DEVELOPMENT,
    GENERATED,
    MODES,
    PRODUCTION,
    URL,
    ConfigError,
    load,
    setting,
)


def _base_url(raw: str) -> str:
    return raw.rstrip("/")


@dataclass(frozen=True)
class Config:
    mode: str = setting(DEVELOPMENT, env="APP_MODE", choices=MODES)
    code_issuer_url: str = setting("http://127.0.0.1:8001", parse=_base_url,
                                   doc="the office API the counter calls")
    registration_url: str = setting("http://127.0.0.1:8002", parse=_base_url,
                                    doc="the public API the job seeker's screens call")
    secret_key: str = setting(DEFAULT_SECRET, env="PORTAL_SECRET_KEY", secret=GENERATED,
                              doc="signs the portal's cookies")
    mail_page_url: str = setting("http://127.0.0.1:8025", parse=_base_url,
                                 doc="development only: the local mail page linked from the screens")
    # The sender the notifier mails from, named in the manual's mail-filtering note.
    mail_from: str = setting("system@mail.example.jp")
    office_time_zone: str = setting("Asia/Tokyo")
    test_clock_file: str | None = setting(None)
    log_level: str = setting("INFO", parse=str.upper)
    # Seconds to wait for an API (connect, read): a slow API must not hang a person.
    api_timeout: float = setting(10.0, env="PORTAL_API_TIMEOUT",
                                 doc="seconds the portal waits for an API")
    # Proxies in front of the portal itself (0: the browser talks to gunicorn directly).
    trusted_proxy_hops: int = setting(0, env="PORTAL_TRUSTED_PROXY_HOPS",
                                      doc="proxies in front of the portal itself")
    # How long a counter sign-in lasts before the office key must be typed again, and how
    # long it survives without a request (issue 13 item 1).
    counter_session_hours: int = setting(8, doc="a counter sign-in lasts this long")
    counter_idle_minutes: int = setting(30, doc="a counter sign-in ends after this long unused")
    # The counter's server-side sessions (the office key, encrypted; never in the cookie).
    redis_url: str = setting("redis://127.0.0.1:6379/0", secret=URL)
    redis_prefix: str = setting("jobportal:portal")

    from_env = classmethod(load)

    @property
    def development(self) -> bool:
        return self.mode == DEVELOPMENT

    @property
    def secure_cookies(self) -> bool:
        return self.mode == PRODUCTION

    def check(self) -> None:
        """Refuse settings that cannot work."""
        if self.counter_session_hours < 1 or self.counter_idle_minutes < 1:
            raise ConfigError("COUNTER_SESSION_HOURS and COUNTER_IDLE_MINUTES must be at least 1")
