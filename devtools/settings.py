"""The development tools' settings, read once from the environment (docs/CONVENTIONS.md):
the same variable names the notifier's worker and the harnesses use."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.config import ConfigError, Env


def office_zone(name: str) -> ZoneInfo:
    """OFFICE_TIME_ZONE as a zone: an unknown one fails at start, not at the first page."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"OFFICE_TIME_ZONE {name!r} is not a known zone") from None


@dataclass(frozen=True)
class Settings:
    mode: str = "development"
    mail_store_dir: str = "var/mail"
    smtp_listen_host: str = "127.0.0.1"
    smtp_listen_port: int = 1025
    mail_page_host: str = "127.0.0.1"
    mail_page_port: int = 8025
    # Bearer token of the page's mutating calls; empty: `smtp` makes one at start (mail_page.py).
    mail_page_token: str = ""
    office_tz: ZoneInfo = ZoneInfo("Asia/Tokyo")
    log_level: str = "INFO"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = Env(environ)
        return cls(
            mode=env.mode(),
            mail_store_dir=env.str("MAIL_STORE_DIR", cls.mail_store_dir),
            smtp_listen_host=env.str("SMTP_LISTEN_HOST", cls.smtp_listen_host),
            smtp_listen_port=env.int("SMTP_LISTEN_PORT", cls.smtp_listen_port),
            mail_page_host=env.str("MAIL_PAGE_HOST", cls.mail_page_host),
            mail_page_port=env.int("MAIL_PAGE_PORT", cls.mail_page_port),
            mail_page_token=env.secret("MAIL_PAGE_TOKEN", cls.mail_page_token),
            office_tz=office_zone(env.str("OFFICE_TIME_ZONE", cls.office_tz.key)),
            log_level=env.str("LOG_LEVEL", cls.log_level).upper(),
        )
