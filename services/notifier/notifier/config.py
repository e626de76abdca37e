"""The notifier's settings, read once from the environment (docs/CONVENTIONS.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.config import ConfigError, Env, database_url, refuse_unsafe_production, url_password

MIGRATIONS = Path(__file__).parent / "migrations"
AUTH_KEY_VALID_MINUTES = 50  # R10: the key is valid 50 minutes from the mail's delivery


@dataclass(frozen=True)
class Config:
    mode: str = "development"
    database_url: str = "postgresql://postgres@127.0.0.1:5432/jobportal_notifier"
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672//"
    bus_namespace: str = "jobportal"
    bus_quorum: bool = True
    test_clock_file: str | None = None
    office_time_zone: str = "Asia/Tokyo"
    log_level: str = "INFO"
    # Sending mail (the worker).
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_timeout: float = 30.0
    smtp_ca_file: str | None = None  # a private CA for STARTTLS; the system's CAs otherwise
    mail_from: str = "system@mail.example.jp"
    auth_key_valid_minutes: int = AUTH_KEY_VALID_MINUTES
    retry_base_seconds: float = 2.0
    retry_max_seconds: float = 30.0
    # Timers (beat and the sweep task).
    timer_sweep_seconds: float = 5.0
    timer_batch: int = 100
    # The local SMTP server for development and tests.
    mail_store_dir: str = "var/mail"
    smtp_listen_host: str = "127.0.0.1"
    smtp_listen_port: int = 1025
    mail_page_host: str = "127.0.0.1"
    mail_page_port: int = 8025
    # Bearer token of the page's mutating calls; empty: `smtp` makes one at start (mail_page.py).
    mail_page_token: str = ""
    # /healthz, /readyz and /metrics of a worker's main process (0: none).
    health_host: str = "127.0.0.1"
    health_port: int = 8003

    @property
    def mail_queue(self) -> str:
        return f"{self.bus_namespace}.mail"

    @property
    def timers_queue(self) -> str:
        return f"{self.bus_namespace}.timers"

    @property
    def office_tz(self) -> ZoneInfo:
        return ZoneInfo(self.office_time_zone)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = Env(environ)
        mode = env.mode()
        config = cls(
            mode=mode,
            database_url=database_url(env, "notifier"),
            broker_url=env.secret("BROKER_URL", cls.broker_url),
            bus_namespace=env.str("BUS_NAMESPACE", cls.bus_namespace),
            bus_quorum=env.bool("BUS_QUORUM", cls.bus_quorum),
            test_clock_file=env.str("TEST_CLOCK_FILE", "") or None,
            office_time_zone=env.str("OFFICE_TIME_ZONE", cls.office_time_zone),
            log_level=env.str("LOG_LEVEL", cls.log_level).upper(),
            smtp_host=env.str("SMTP_HOST", cls.smtp_host),
            smtp_port=env.int("SMTP_PORT", cls.smtp_port),
            smtp_starttls=env.bool("SMTP_STARTTLS", cls.smtp_starttls),
            smtp_user=env.str("SMTP_USER", cls.smtp_user),
            smtp_password=env.secret("SMTP_PASSWORD", cls.smtp_password),
            smtp_timeout=env.float("SMTP_TIMEOUT", cls.smtp_timeout),
            smtp_ca_file=env.str("SMTP_CA_FILE", "") or None,
            mail_from=env.str("MAIL_FROM", cls.mail_from),
            auth_key_valid_minutes=env.int("AUTH_KEY_MINUTES", cls.auth_key_valid_minutes),
            retry_base_seconds=env.float("MAIL_RETRY_BASE_SECONDS", cls.retry_base_seconds),
            retry_max_seconds=env.float("MAIL_RETRY_MAX_SECONDS", cls.retry_max_seconds),
            timer_sweep_seconds=env.float("TIMER_SWEEP_SECONDS", cls.timer_sweep_seconds),
            timer_batch=env.int("TIMER_BATCH", cls.timer_batch),
            mail_store_dir=env.str("MAIL_STORE_DIR", cls.mail_store_dir),
            smtp_listen_host=env.str("SMTP_LISTEN_HOST", cls.smtp_listen_host),
            smtp_listen_port=env.int("SMTP_LISTEN_PORT", cls.smtp_listen_port),
            mail_page_host=env.str("MAIL_PAGE_HOST", cls.mail_page_host),
            mail_page_port=env.int("MAIL_PAGE_PORT", cls.mail_page_port),
            mail_page_token=env.secret("MAIL_PAGE_TOKEN", cls.mail_page_token),
            health_host=env.str("NOTIFIER_HEALTH_HOST", cls.health_host),
            health_port=env.int("NOTIFIER_HEALTH_PORT", cls.health_port),
        )
        tokens = {"MAIL_PAGE_TOKEN": config.mail_page_token} if config.mail_page_token else {}
        refuse_unsafe_production(
            mode, test_clock_file=config.test_clock_file, **tokens,
            passwords={"SMTP_PASSWORD": config.smtp_password,
                       "DATABASE_URL": url_password(config.database_url),
                       "BROKER_URL": url_password(config.broker_url)},
        )
        try:
            config.office_tz  # noqa: B018 - an unknown zone fails at start, not at the first mail
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"OFFICE_TIME_ZONE {config.office_time_zone!r} is not a known zone") from None
        return config
