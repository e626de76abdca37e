"""Settings of the code-issuer, read once from the environment (docs/CONVENTIONS.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.config import (
    DEFAULT_OFFICE_KEY,
    DEFAULT_SECRET,
    DEVELOPMENT,
    ConfigError,
    Env,
    database_url,
    refuse_unsafe_production,
    url_password,
)
from shared.web import Network, trusted_networks

SERVICE = "code_issuer"
PRODUCER = "code-issuer"


@dataclass(frozen=True)
class Config:
    mode: str = DEVELOPMENT
    database_url: str = "postgresql://postgres@127.0.0.1:5432/jobportal_code_issuer"
    broker_url: str = "amqp://guest:guest@127.0.0.1:5672//"
    bus_namespace: str = "jobportal"
    bus_quorum: bool = True
    digest_secret: str = DEFAULT_SECRET
    office_api_keys: tuple[str, ...] = (DEFAULT_OFFICE_KEY,)
    office_time_zone: str = "Asia/Tokyo"
    test_clock_file: str | None = None
    log_level: str = "INFO"
    trusted_proxies: tuple[Network, ...] = trusted_networks(["127.0.0.1"])
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "jobportal:code_issuer"
    # Wrong office API keys per client address and window (issue 13 item 8), in Redis.
    office_key_failures_per_address: int = 10
    office_key_failure_seconds: int = 900
    code_validity_days: int = 5  # R2
    max_body_bytes: int = 16 * 1024
    migrate_on_start: bool = True

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.office_time_zone)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = Env(environ)
        mode = env.mode()
        development = mode == DEVELOPMENT
        config = cls(
            mode=mode,
            database_url=database_url(env, SERVICE),
            broker_url=env.secret("BROKER_URL", cls.broker_url),
            bus_namespace=env.str("BUS_NAMESPACE", cls.bus_namespace),
            bus_quorum=env.bool("BUS_QUORUM", True),
            digest_secret=env.secret("DIGEST_SECRET", DEFAULT_SECRET),
            office_api_keys=env.secret_list("OFFICE_API_KEYS", (DEFAULT_OFFICE_KEY,)),
            office_time_zone=env.str("OFFICE_TIME_ZONE", cls.office_time_zone),
            test_clock_file=env.str("TEST_CLOCK_FILE", "") or None,
            log_level=env.str("LOG_LEVEL", "INFO"),
            trusted_proxies=trusted_networks(
                env.list("TRUSTED_PROXIES", ("127.0.0.1",) if development else ())),
            redis_url=env.secret("REDIS_URL", cls.redis_url),
            redis_prefix=env.str("REDIS_PREFIX", cls.redis_prefix),
            office_key_failures_per_address=env.int("OFFICE_KEY_FAILURES_PER_ADDRESS", 10),
            office_key_failure_seconds=env.int("OFFICE_KEY_FAILURE_SECONDS", 900),
            code_validity_days=env.int("CODE_VALIDITY_DAYS", 5),
            max_body_bytes=env.int("MAX_BODY_BYTES", 16 * 1024),
            migrate_on_start=env.bool("MIGRATE_ON_START", development),
        )
        config.check()
        return config

    def check(self) -> None:
        """Refuse settings that cannot work, and development defaults in production."""
        try:
            self.tz  # noqa: B018 - validates the zone name
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"OFFICE_TIME_ZONE is not a known zone: {self.office_time_zone!r}") from None
        if not self.office_api_keys:
            raise ConfigError("OFFICE_API_KEYS must name at least one key")
        if self.code_validity_days < 0:
            raise ConfigError("CODE_VALIDITY_DAYS must not be negative")
        if self.office_key_failures_per_address < 1 or self.office_key_failure_seconds < 1:
            raise ConfigError("OFFICE_KEY_FAILURES_PER_ADDRESS and OFFICE_KEY_FAILURE_SECONDS "
                              "must be at least 1")
        refuse_unsafe_production(
            self.mode,
            DIGEST_SECRET=self.digest_secret,
            OFFICE_API_KEYS=self.office_api_keys,
            test_clock_file=self.test_clock_file,
            passwords={"DATABASE_URL": url_password(self.database_url),
                       "BROKER_URL": url_password(self.broker_url),
                       "REDIS_URL": url_password(self.redis_url)},
        )
