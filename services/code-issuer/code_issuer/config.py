"""Settings of the code-issuer: one frozen dataclass, each setting declared once."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.config import (
    DEFAULT_OFFICE_KEY,
    DEFAULT_SECRET,
    DEVELOPMENT,
    GENERATED,
    MODES,
    URL,
    ConfigError,
    Network,
    OutboxSettings,
    load,
    parse_trusted_proxies,
    setting,
    trusted_networks,
)

SERVICE = "code_issuer"
PRODUCER = "code-issuer"


@dataclass(frozen=True)
class Config(OutboxSettings):  # OUTBOX_WAKE, OUTBOX_POLL_INTERVAL
    mode: str = setting(DEVELOPMENT, env="APP_MODE", choices=MODES)
    database_url: str = setting("postgresql://postgres@127.0.0.1:5432/jobportal_code_issuer",
                                secret=URL)
    broker_url: str = setting("amqp://guest:guest@127.0.0.1:5672//", secret=URL)
    bus_namespace: str = setting("jobportal")
    bus_quorum: bool = setting(True)
    digest_secret: str = setting(DEFAULT_SECRET, secret=GENERATED)
    office_api_keys: tuple[str, ...] = setting(
        (DEFAULT_OFFICE_KEY,), secret=GENERATED,
        doc="office systems' API keys, comma-separated (or one a line in OFFICE_API_KEYS_FILE)")
    office_time_zone: str = setting("Asia/Tokyo")
    test_clock_file: str | None = setting(None)
    log_level: str = setting("INFO", parse=str.upper)
    trusted_proxies: tuple[Network, ...] = setting(
        trusted_networks(["127.0.0.1"]), production=(), parse=parse_trusted_proxies)
    redis_url: str = setting("redis://127.0.0.1:6379/0", secret=URL)
    redis_prefix: str = setting("jobportal:code_issuer")
    # Wrong office API keys per client address and window (issue 13 item 8), in Redis.
    office_key_failures_per_address: int = setting(
        10, doc="wrong office API keys per client address and window, then 429")
    office_key_failure_seconds: int = setting(900, doc="window of the wrong-key limit")
    code_validity_days: int = setting(5, doc="R2: days after the issue date a code stays valid")
    max_body_bytes: int = setting(16 * 1024, doc="largest request body accepted")
    migrate_on_start: bool = setting(True, production=False,
                                     doc="apply migrations when a process starts")

    from_env = classmethod(load)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.office_time_zone)

    def check(self) -> None:
        """Refuse settings that cannot work."""
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
