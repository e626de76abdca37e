"""Reading settings from the environment; each service builds its own frozen dataclass."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

DEVELOPMENT = "development"
PRODUCTION = "production"

DEFAULT_SECRET = "dev-only-secret-change-me"  # noqa: S105 - a marker production refuses
DEFAULT_OFFICE_KEY = "dev-office-key"  # noqa: S105
# Secrets we generate ourselves must be at least this long in production (issue 13 item 8).
SECRET_MIN_LENGTH = 32
# Parts of the values shipped in examples and development defaults (compared ignoring case).
PLACEHOLDERS = ("change-me", "change_me", "changeme", "replace", "example", "placeholder",
                "dev-only", "dev-office-key", "default", "your-", "insecure", "not-a-secret")


class ConfigError(RuntimeError):
    """A setting is missing, malformed or unsafe for the chosen mode."""


class Env:
    """Typed access to an environment mapping (os.environ by default)."""

    def __init__(self, environ: Mapping[str, str] | None = None):
        self.environ = os.environ if environ is None else environ

    def str(self, name: str, default: str) -> str:
        return self.environ.get(name, default)

    def secret(self, name: str, default: str) -> str:
        """A secret from NAME, or from the file NAME_FILE names (trailing newline dropped),
        as container secrets are mounted; setting both is an error."""
        inline, path = self.environ.get(name), self.environ.get(f"{name}_FILE")
        if path:
            if inline:
                raise ConfigError(f"set {name} or {name}_FILE, not both")
            try:
                value = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{name}_FILE cannot be read: {exc.__class__.__name__}") from None
            value = value.removesuffix("\n").removesuffix("\r")
            if not value:
                raise ConfigError(f"{name}_FILE names an empty file")
            return value
        return default if inline is None else inline

    def secret_list(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        """Comma-separated secrets (one per line in a NAME_FILE works too)."""
        if name not in self.environ and not self.environ.get(f"{name}_FILE"):
            return default
        raw = self.secret(name, "")
        return tuple(part.strip() for part in raw.replace("\n", ",").split(",") if part.strip())

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


def placeholder(value: str) -> bool:
    """Whether `value` looks like a shipped example or development default."""
    folded = value.casefold()
    return value in (DEFAULT_SECRET, DEFAULT_OFFICE_KEY) or any(p in folded for p in PLACEHOLDERS)


def refuse_unsafe_production(mode: str, *, passwords: Mapping[str, str | None] | None = None,
                             **settings: object) -> None:
    """In production mode, refuse the test clock, and secrets that are placeholders or
    shorter than SECRET_MIN_LENGTH.

    `settings` are the secrets we generate (named as their environment variables; a tuple
    for a list of keys) plus `test_clock_file`. `passwords` are secrets chosen elsewhere
    (an SMTP account, the password inside a server URL): only placeholders are refused
    there, and an empty one is not checked."""
    if mode != PRODUCTION:
        return
    for name, value in settings.items():
        if name == "test_clock_file":
            if value:
                raise ConfigError("the test clock is refused in production mode")
            continue
        values = value if isinstance(value, tuple | list) else (value,)
        for one in values:
            text = str(one or "")
            if text in (DEFAULT_SECRET, DEFAULT_OFFICE_KEY):
                raise ConfigError(f"{name} still has its development default in production mode")
            if placeholder(text):
                raise ConfigError(f"{name} still has a placeholder value in production mode")
            if len(text) < SECRET_MIN_LENGTH:
                raise ConfigError(
                    f"{name} must be at least {SECRET_MIN_LENGTH} characters in production mode")
    for name, value in (passwords or {}).items():
        if value and placeholder(value):
            raise ConfigError(f"{name} still has a placeholder value in production mode")


def url_password(url: str) -> str | None:
    """The password inside a server URL (amqp://user:password@host/...), if any."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return None
    return unquote(password) if password else None


def database_url(env: Env, service: str) -> str:
    """DATABASE_URL, or the local server with one database per service."""
    return env.secret("DATABASE_URL", f"postgresql://postgres@127.0.0.1:5432/jobportal_{service}")
