"""Registration settings: one frozen dataclass, each setting declared once (shared.config)."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from shared.config import (
    DEFAULT_SECRET,
    DEVELOPMENT,
    GENERATED,
    MODES,
    URL,
    Network,
    OutboxSettings,
    load,
    parse_trusted_proxies,
    setting,
    trusted_networks,
)

SERVICE = "registration"
PRODUCER = "registration"


@dataclass(frozen=True)
class Config(OutboxSettings):  # OUTBOX_WAKE, OUTBOX_POLL_INTERVAL
    mode: str = setting(DEVELOPMENT, env="APP_MODE", choices=MODES,
                        doc="`production` refuses development secrets and the test clock")
    database_url: str = setting("postgresql://postgres@127.0.0.1:5432/jobportal_registration",
                                secret=URL, doc="the service's own PostgreSQL database")
    broker_url: str = setting("amqp://guest:guest@127.0.0.1:5672//", secret=URL, doc="RabbitMQ")
    bus_namespace: str = setting("jobportal", doc="prefix of exchanges and queues")
    bus_quorum: bool = setting(True, doc="quorum queues (classic where the broker has none)")
    redis_url: str = setting("redis://127.0.0.1:6379/0", secret=URL,
                             doc="rate-limit and throttle counters")
    redis_prefix: str = setting("jobportal:registration", doc="prefix of this service's Redis keys")
    digest_secret: str = setting(DEFAULT_SECRET, secret=GENERATED,
                                 doc="HMAC key of every stored secret digest (shared with code-issuer)")
    test_clock_file: str | None = setting(None, doc="tests only: a file moving the clock")
    office_time_zone: str = setting("Asia/Tokyo", doc="the office's time zone (R2)")
    log_level: str = setting("INFO", parse=str.upper, doc="DEBUG, INFO, WARNING or ERROR")
    trusted_proxies: tuple[Network, ...] = setting(
        trusted_networks(["127.0.0.1"]), production=(), parse=parse_trusted_proxies,
        doc="CIDR ranges of gateways whose X-Forwarded-For is believed")
    db_pool_size: int = setting(10, doc="connections per process")
    # R8: the versions a person must agree to (GET /v1/terms)
    privacy_policy_version: str = setting("2026-04-01", doc="R8: the current privacy policy")
    privacy_policy_url: str = setting("https://portal.example.jp/privacy-policy",
                                      doc="R8: where it is published")
    terms_of_use_version: str = setting("2026-04-01", doc="R8: the current terms of use")
    terms_of_use_url: str = setting("https://portal.example.jp/terms-of-use",
                                    doc="R8: where they are published")
    # R4, R9, R10
    max_failed_attempts: int = setting(10, doc="R4: wrong step-2 entries that invalidate a code")
    auth_key_minutes: int = setting(50, doc="R10: minutes an auth key lives after its mail")
    auth_key_max_failures: int = setting(5, doc="R10: wrong keys that void an application")
    mails_per_code_per_hour: int = setting(5, doc="R9: auth-key mails per code per hour")
    # R15: the reset key follows R10's auth_key_minutes and auth_key_max_failures
    reset_mails_per_account_per_hour: int = setting(
        3, doc="R15: password-reset mails per account per hour")
    reset_answer_floor_ms: int = setting(
        100, doc="R15: a reset request is answered no sooner, matched or not")
    # R11: argon2id, OWASP parameters by default
    argon2_memory_kib: int = setting(19456, doc="R11: argon2id memory")
    argon2_time_cost: int = setting(2, doc="R11: argon2id passes")
    argon2_parallelism: int = setting(1, doc="R11: argon2id lanes")
    # Hashes computed at once in one process; gunicorn runs a worker per core, so by default
    # one hash per core: more at once only share the core and its cache, and cost more each.
    argon2_concurrency: int = setting(1, doc="hashes computed at once in one process")
    # R13
    session_idle_minutes: int = setting(30, doc="R13: a session ends after this long unused")
    session_absolute_hours: int = setting(12, doc="R13: a session ends this long after login")
    login_throttle_seconds: int = setting(900, doc="R13: window of the login throttles")
    login_failures_per_account: int = setting(5, doc="R13: wrong logins per account and window")
    login_failures_per_address: int = setting(30, doc="R13: wrong logins per address and window")
    # R16-R18 (a wrong current password counts in R13's login throttles above)
    email_change_mails_per_account_per_hour: int = setting(
        3, doc="R17: email-change key mails per account per hour")
    rate_limit_account_changes: int = setting(
        20, doc="R16-R18 requests (password, email, withdrawal) per address and window")
    # requests per client address per window, per endpoint group
    rate_limit_window_seconds: int = setting(60, doc="window of the per-address request limits")
    rate_limit_applications: int = setting(20, doc="step-2 requests per address and window")
    rate_limit_password_registrations: int = setting(20, doc="step-3 requests per address and window")
    rate_limit_sessions: int = setting(20, doc="login requests per address and window")
    rate_limit_password_resets: int = setting(
        20, doc="R15 requests (reset and completion) per address and window")
    rate_limit_reads: int = setting(120, doc="other requests per address and window")

    from_env = classmethod(load)

    @property
    def office_tz(self) -> ZoneInfo:
        return ZoneInfo(self.office_time_zone)

    @property
    def mail_queue(self) -> str:
        return f"{self.bus_namespace}.mail"
