"""Reading settings from the environment; each service builds its own frozen dataclass."""

from __future__ import annotations

import os
from collections.abc import Mapping

DEVELOPMENT = "development"
PRODUCTION = "production"

DEFAULT_SECRET = "dev-only-secret-change-me"  # noqa: S105 - a marker production refuses
DEFAULT_OFFICE_KEY = "dev-office-key"  # noqa: S105


class ConfigError(RuntimeError):
    """A setting is missing, malformed or unsafe for the chosen mode."""


class Env:
    """Typed access to an environment mapping (os.environ by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ

    def str(self, name: str, default: str) -> str:
        return self.environ.get(name, default)

    def int(self, name: str, default: int) -> int:
        raw = self.environ.get(name)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None

    def float(self, name: str, default: float) -> float:
        raw = self.environ.get(name)
        if raw is None or raw == "":
            return default
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None

    def bool(self, name: str, default: bool) -> bool:
        raw = self.environ.get(name)
        if raw is None or raw == "":
            return default
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")

    def list(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        raw = self.environ.get(name)
        if raw is None:
            return default
        return tuple(part.strip() for part in raw.split(",") if part.strip())

    def mode(self) -> str:
        mode = self.environ.get("APP_MODE", DEVELOPMENT)
        if mode not in (DEVELOPMENT, PRODUCTION):
            raise ConfigError(f"APP_MODE must be {DEVELOPMENT} or {PRODUCTION}, got {mode!r}")
        return mode


def refuse_unsafe_production(mode: str, **settings: object) -> None:
    """In production mode, refuse default secrets, short secrets and the test clock."""
    if mode != PRODUCTION:
        return
    for name, value in settings.items():
        values = value if isinstance(value, tuple | list) else (value,)
        for one in values:
            if one in (DEFAULT_SECRET, DEFAULT_OFFICE_KEY):
                raise ConfigError(f"{name} still has its development default in production mode")
            if name == "test_clock_file" and one:
                raise ConfigError("the test clock is refused in production mode")
            if name.endswith("secret") and isinstance(one, str) and len(one) < 32:
                raise ConfigError(f"{name} must be at least 32 characters in production mode")


def database_url(env: Env, service: str) -> str:
    """DATABASE_URL, or the local server with one database per service."""
    return env.str("DATABASE_URL", f"postgresql://postgres@127.0.0.1:5432/jobportal_{service}")
