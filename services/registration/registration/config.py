"""Registration settings: one frozen dataclass built from the environment once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from shared.config import (
    DEFAULT_SECRET,
    DEVELOPMENT,
    Env,
    database_url,
    refuse_unsafe_production,
    url_password,
)
from shared.web import Network, trusted_networks


@dataclass(frozen=True)
class Config:
    mode: str = DEVELOPMENT
    database_url: str = "postgresql://postgres@127.0.0.1:5432/jobportal_registration"
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672//"
    bus_namespace: str = "jobportal"
    bus_quorum: bool = True
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "jobportal:registration"
    digest_secret: str = DEFAULT_SECRET
    test_clock_file: str | None = None
    office_time_zone: str = "Asia/Tokyo"
    log_level: str = "INFO"
    trusted_proxies: tuple[Network, ...] = trusted_networks(["127.0.0.1"])
    db_pool_size: int = 10
    # R8: the versions a person must agree to (GET /v1/terms)
    privacy_policy_version: str = "2026-04-01"
    privacy_policy_url: str = "https://portal.example.jp/privacy-policy"
    terms_of_use_version: str = "2026-04-01"
    terms_of_use_url: str = "https://portal.example.jp/terms-of-use"
    # R4, R9, R10
    max_failed_attempts: int = 10
    auth_key_minutes: int = 50
    auth_key_max_failures: int = 5
    mails_per_code_per_hour: int = 5
    # R11: argon2id, OWASP parameters by default
    argon2_memory_kib: int = 19456
    argon2_time_cost: int = 2
    argon2_parallelism: int = 1
    # Hashes computed at once in one process; gunicorn runs a worker per core, so by default
    # one hash per core: more at once only share the core and its cache, and cost more each.
    argon2_concurrency: int = 1
    # R13
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    login_throttle_seconds: int = 900
    login_failures_per_account: int = 5
    login_failures_per_address: int = 30
    # requests per client address per window, per endpoint group
    rate_limit_window_seconds: int = 60
    rate_limit_applications: int = 20
    rate_limit_password_registrations: int = 20
    rate_limit_sessions: int = 20
    rate_limit_reads: int = 120

    @property
    def office_tz(self) -> ZoneInfo:
        return ZoneInfo(self.office_time_zone)

    @property
    def mail_queue(self) -> str:
        return f"{self.bus_namespace}.mail"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = Env(environ)
        mode = env.mode()
        d = cls()
        config = cls(
            mode=mode,
            database_url=database_url(env, "registration"),
            broker_url=env.secret("BROKER_URL", d.broker_url),
            bus_namespace=env.str("BUS_NAMESPACE", d.bus_namespace),
            bus_quorum=env.bool("BUS_QUORUM", d.bus_quorum),
            redis_url=env.secret("REDIS_URL", d.redis_url),
            redis_prefix=env.str("REDIS_PREFIX", d.redis_prefix),
            digest_secret=env.secret("DIGEST_SECRET", d.digest_secret),
            test_clock_file=env.str("TEST_CLOCK_FILE", "") or None,
            office_time_zone=env.str("OFFICE_TIME_ZONE", d.office_time_zone),
            log_level=env.str("LOG_LEVEL", d.log_level),
            trusted_proxies=trusted_networks(
                env.list("TRUSTED_PROXIES", ("127.0.0.1",) if mode == DEVELOPMENT else ())
            ),
            db_pool_size=env.int("DB_POOL_SIZE", d.db_pool_size),
            privacy_policy_version=env.str("PRIVACY_POLICY_VERSION", d.privacy_policy_version),
            privacy_policy_url=env.str("PRIVACY_POLICY_URL", d.privacy_policy_url),
            terms_of_use_version=env.str("TERMS_OF_USE_VERSION", d.terms_of_use_version),
            terms_of_use_url=env.str("TERMS_OF_USE_URL", d.terms_of_use_url),
            max_failed_attempts=env.int("MAX_FAILED_ATTEMPTS", d.max_failed_attempts),
            auth_key_minutes=env.int("AUTH_KEY_MINUTES", d.auth_key_minutes),
            auth_key_max_failures=env.int("AUTH_KEY_MAX_FAILURES", d.auth_key_max_failures),
            mails_per_code_per_hour=env.int("MAILS_PER_CODE_PER_HOUR", d.mails_per_code_per_hour),
            argon2_memory_kib=env.int("ARGON2_MEMORY_KIB", d.argon2_memory_kib),
            argon2_time_cost=env.int("ARGON2_TIME_COST", d.argon2_time_cost),
            argon2_parallelism=env.int("ARGON2_PARALLELISM", d.argon2_parallelism),
            argon2_concurrency=env.int("ARGON2_CONCURRENCY", d.argon2_concurrency),
            session_idle_minutes=env.int("SESSION_IDLE_MINUTES", d.session_idle_minutes),
            session_absolute_hours=env.int("SESSION_ABSOLUTE_HOURS", d.session_absolute_hours),
            login_throttle_seconds=env.int("LOGIN_THROTTLE_SECONDS", d.login_throttle_seconds),
            login_failures_per_account=env.int(
                "LOGIN_FAILURES_PER_ACCOUNT", d.login_failures_per_account
            ),
            login_failures_per_address=env.int(
                "LOGIN_FAILURES_PER_ADDRESS", d.login_failures_per_address
            ),
            rate_limit_window_seconds=env.int(
                "RATE_LIMIT_WINDOW_SECONDS", d.rate_limit_window_seconds
            ),
            rate_limit_applications=env.int("RATE_LIMIT_APPLICATIONS", d.rate_limit_applications),
            rate_limit_password_registrations=env.int(
                "RATE_LIMIT_PASSWORD_REGISTRATIONS", d.rate_limit_password_registrations
            ),
            rate_limit_sessions=env.int("RATE_LIMIT_SESSIONS", d.rate_limit_sessions),
            rate_limit_reads=env.int("RATE_LIMIT_READS", d.rate_limit_reads),
        )
        refuse_unsafe_production(
            mode, DIGEST_SECRET=config.digest_secret, test_clock_file=config.test_clock_file,
            passwords={"DATABASE_URL": url_password(config.database_url),
                       "BROKER_URL": url_password(config.broker_url),
                       "REDIS_URL": url_password(config.redis_url)},
        )
        return config
