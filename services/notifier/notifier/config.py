"""The notifier's settings: one frozen dataclass, each setting declared once."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.config import (
    DEVELOPMENT,
    MODES,
    PASSWORD,
    URL,
    ConfigError,
    OutboxSettings,
    load,
    setting,
)
from shared.contracts.tasks import MAIL, TIMERS, queue_name

SERVICE = "notifier"  # its queue and subscriptions (shared.contracts.subscriptions)
PRODUCER = "notifier"  # the producer of its events


@dataclass(frozen=True)
class Config(OutboxSettings):  # OUTBOX_WAKE, OUTBOX_POLL_INTERVAL
    mode: str = setting(DEVELOPMENT, env="APP_MODE", choices=MODES)
    database_url: str = setting("postgresql://postgres@127.0.0.1:5432/jobportal_notifier",
                                secret=URL)
    broker_url: str = setting("amqp://guest:guest@127.0.0.1:5672//", secret=URL)
    bus_namespace: str = setting("jobportal")
    bus_quorum: bool = setting(True)
    test_clock_file: str | None = setting(None)
    office_time_zone: str = setting("Asia/Tokyo")
    log_level: str = setting("INFO", parse=str.upper)
    # Sending mail (the worker).
    smtp_host: str = setting("127.0.0.1", doc="the mail server the notifier sends through")
    smtp_port: int = setting(1025, doc="its port")
    smtp_starttls: bool = setting(False, doc="STARTTLS before sending")
    smtp_user: str = setting("", doc="login at the mail server (none if empty)")
    smtp_password: str = setting("", secret=PASSWORD, doc="its password")
    smtp_timeout: float = setting(30.0, doc="seconds for one SMTP conversation")
    smtp_ca_file: str | None = setting(None, doc="a private CA for STARTTLS (the system's otherwise)")
    mail_from: str = setting("system@mail.example.jp", doc="the sender of every mail")
    mail_from_name: str = setting("ハローワークインターネットサービス 求職者マイページ",
                                  doc="the sender's display name in Japanese mails")
    mail_from_name_en: str = setting("Hello Work Internet Service - Job Seeker My Page",
                                     doc="the sender's display name in English mails")
    service_url: str = setting("http://127.0.0.1:8000/", env="NOTIFIER_SERVICE_URL",
                               doc="the portal's address, written in every mail")
    mail_contact: str = setting(
        "ご不明な点は、求職申込みをしたハローワークの窓口にお問い合わせください。",
        doc="the contact line of Japanese mails")
    mail_contact_en: str = setting(
        "For questions, please ask at the Hello Work office where you registered.",
        doc="the contact line of English mails")
    notice_retry_hours: float = setting(24.0, doc="how long a notice (no key in it) is retried")
    auth_key_minutes: int = setting(50)  # R10: valid 50 minutes from the mail's delivery
    retry_base_seconds: float = setting(2.0, env="MAIL_RETRY_BASE_SECONDS",
                                        doc="first wait before a mail is tried again")
    retry_max_seconds: float = setting(30.0, env="MAIL_RETRY_MAX_SECONDS",
                                       doc="longest wait between two tries of a mail")
    # Timers (beat and the sweep task).
    timer_sweep_seconds: float = setting(5.0, doc="beat's interval between timer sweeps")
    timer_batch: int = setting(100, doc="timers fired per transaction")
    # /healthz, /readyz and /metrics of a worker's main process (0: none).
    health_host: str = setting("127.0.0.1", env="NOTIFIER_HEALTH_HOST",
                               doc="the worker's /healthz, /readyz, /metrics address")
    health_port: int = setting(8003, env="NOTIFIER_HEALTH_PORT", doc="its port (0: off)")

    from_env = classmethod(load)

    def queue(self, contract_queue: str) -> str:
        """A task queue of the contract (shared.contracts.tasks) in this namespace."""
        return queue_name(self.bus_namespace, contract_queue)

    @property
    def mail_queue(self) -> str:
        return self.queue(MAIL)

    @property
    def timers_queue(self) -> str:
        return self.queue(TIMERS)

    @property
    def office_tz(self) -> ZoneInfo:
        return ZoneInfo(self.office_time_zone)

    def check(self) -> None:
        """An unknown zone fails at start, not at the first mail."""
        try:
            self.office_tz  # noqa: B018
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"OFFICE_TIME_ZONE {self.office_time_zone!r} is not a known zone") from None
