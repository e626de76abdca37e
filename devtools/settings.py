"""The development tools' settings, each declared once (shared.config): the same variable
names the notifier's worker and the harnesses use."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.config import DEVELOPMENT, GENERATED, MODES, ConfigError, load, setting


def office_zone(name: str) -> ZoneInfo:
    """OFFICE_TIME_ZONE as a zone: an unknown one fails at start, not at the first page."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"OFFICE_TIME_ZONE {name!r} is not a known zone") from None


@dataclass(frozen=True)
class Settings:
    mode: str = setting(DEVELOPMENT, env="APP_MODE", choices=MODES)
    mail_store_dir: str = setting("var/mail", doc="development only: where the SMTP sink keeps mail")
    smtp_listen_host: str = setting("127.0.0.1", doc="development only: the SMTP sink's address")
    smtp_listen_port: int = setting(1025, doc="development only: the SMTP sink's port")
    mail_page_host: str = setting("127.0.0.1", doc="development only: the mail page's address")
    mail_page_port: int = setting(8025, doc="development only: the mail page's port")
    # Bearer token of the page's mutating calls; empty: `smtp` makes one at start (mail_page.py).
    mail_page_token: str = setting("", secret=GENERATED,
                                   doc="development only: bearer token of the mail page's controls")
    office_tz: ZoneInfo = setting(ZoneInfo("Asia/Tokyo"), env="OFFICE_TIME_ZONE", parse=office_zone)
    log_level: str = setting("INFO", parse=str.upper)

    from_env = classmethod(load)
