"""Settings declared once and read from the environment.

Each service's `Config` is a frozen dataclass whose fields are declared with `setting()`:
the field's name in upper case is its environment variable (unless `env` names another),
its annotation is its type, and `secret` says how production mode checks it. `load()`
builds the dataclass from the environment, so a setting is written once:

    @dataclass(frozen=True)
    class Config:
        redis_url: str = setting("redis://127.0.0.1:6379/0", secret=URL, doc="...")
        from_env = classmethod(load)
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import typing
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

DEVELOPMENT = "development"
PRODUCTION = "production"
MODES = (DEVELOPMENT, PRODUCTION)

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


# --- declared settings ---------------------------------------------------------------
# How production mode checks a secret (`refuse_unsafe_production`): a secret we generate
# (no placeholder, at least SECRET_MIN_LENGTH), a password chosen elsewhere (no
# placeholder), or a server URL whose password is one. A generated secret whose default is
# empty is optional: it is checked only when set.
GENERATED, PASSWORD, URL = "generated", "password", "url"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks(entries: Iterable[str], setting: str = "TRUSTED_PROXIES") -> tuple[Network, ...]:
    """CIDR ranges (or single addresses, IPv4 or IPv6) of the proxies whose X-Forwarded-For
    is believed, parsed once when the settings are read; a bad entry is a ConfigError."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ConfigError(
                f"{setting}: {entry!r} is neither an IP address nor a CIDR range") from None
    return tuple(networks)


def parse_trusted_proxies(raw: str) -> tuple[Network, ...]:
    """TRUSTED_PROXIES as written: comma-separated ranges or addresses."""
    return trusted_networks([part for part in raw.split(",") if part.strip()])


SAME = "(same as in development)"  # `production=`: no other default in production mode


@dataclasses.dataclass(frozen=True)
class Setting:
    """What `setting()` records about a field (its dataclass metadata)."""

    env: str | None = None
    doc: str = ""
    secret: str | None = None
    parse: Callable[[str], Any] | None = None
    production: Any = SAME  # the default in production mode, when it differs
    choices: tuple[str, ...] = ()


def setting(default: Any, *, env: str | None = None, doc: str = "", secret: str | None = None,
            parse: Callable[[str], Any] | None = None, production: Any = SAME,
            choices: tuple[str, ...] = ()) -> Any:
    """A dataclass field read from the environment by `load` (see the module docstring).

    `parse` turns the variable's text into the value (the annotation's type otherwise);
    `production` is the default in production mode when it differs from `default`."""
    meta = Setting(env, doc, secret, parse, production, choices)
    return dataclasses.field(default=default, metadata={"setting": meta})


def declared(cls: type) -> list[tuple[dataclasses.Field, Setting, str]]:
    """(field, its Setting, its variable) of every declared setting of a config class."""
    return [(f, f.metadata["setting"], f.metadata["setting"].env or f.name.upper())
            for f in dataclasses.fields(cls) if "setting" in f.metadata]


def _read(env: Env, kind: Any, name: str, meta: Setting, default: Any) -> Any:
    if meta.secret:
        if kind == tuple[str, ...]:
            return env.secret_list(name, default)
        return env.secret(name, default)
    if meta.parse is not None:
        raw = env.environ.get(name)
        if raw is None:
            return default
        try:
            return meta.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from None
    if kind is bool:
        return env.bool(name, default)
    if kind is int:
        return env.int(name, default)
    if kind is float:
        return env.float(name, default)
    if kind == tuple[str, ...]:
        return env.list(name, default)
    if kind == str | None:
        return env.str(name, "") or default
    return env.str(name, default)


def load(cls: type, environ: Mapping[str, str] | None = None) -> Any:
    """Build a config class from the environment (os.environ by default): every declared
    setting read once, then the class's own `check()`, then production's refusals."""
    env = Env(environ)
    mode = env.mode()
    kinds = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for field, meta, name in declared(cls):
        default = field.default
        if mode == PRODUCTION and meta.production is not SAME:
            default = meta.production
        value = _read(env, kinds[field.name], name, meta, default)
        if meta.choices and value not in meta.choices:
            raise ConfigError(f"{name} must be one of {', '.join(meta.choices)}, got {value!r}")
        values[field.name] = value
    config = cls(**values)
    validate(config)
    return config


def validate(config: Any) -> None:
    """A config's own `check()`, if it has one, then production's refusals over its
    declared secrets and its test clock (`refuse_unsafe_production`)."""
    check = getattr(config, "check", None)
    if check is not None:
        check()
    generated: dict[str, object] = {}
    passwords: dict[str, str | None] = {}
    for field, meta, name in declared(type(config)):
        value = getattr(config, field.name)
        if meta.secret == GENERATED and (value or field.default):
            generated[name] = value
        elif meta.secret == PASSWORD:
            passwords[name] = value
        elif meta.secret == URL:
            passwords[name] = url_password(value)
    refuse_unsafe_production(getattr(config, "mode", DEVELOPMENT), passwords=passwords,
                             test_clock_file=getattr(config, "test_clock_file", None), **generated)


# --- the outbox's wake-up (shared.outbox), declared once for every service with an outbox
NOTIFY, NOTIFY_IF_EMPTY, POLL = "notify", "notify-if-empty", "poll"
OUTBOX_WAKES = (NOTIFY, NOTIFY_IF_EMPTY, POLL)


def positive_seconds(raw: str) -> float:
    """A number of seconds above zero (a relay that polls every 0 s would spin)."""
    value = float(raw)
    if not value > 0:
        raise ValueError(f"must be a number of seconds above 0, got {raw!r}")
    return value


@dataclasses.dataclass(frozen=True)
class OutboxSettings:
    """How a committed outbox row reaches its relay. The services with an outbox inherit
    these two settings into their Config (so the settings table and production's checks
    see them); shared.outbox reads the same variables once per process, because its
    writers are called deep in use cases that hold no Config.

    `notify`: every writing transaction sends NOTIFY, and PostgreSQL serialises the commits
    of notifying transactions on one lock. `notify-if-empty`: only a transaction that found
    no announced row waiting does (a row waiting means the relay is woken or draining);
    one that commits just after the relay's last look waits for its poll. `poll`: no NOTIFY,
    the relay looks every OUTBOX_POLL_INTERVAL."""

    outbox_wake: str = setting(
        NOTIFY, choices=OUTBOX_WAKES,
        doc="how a write wakes the relay: `notify` (every transaction sends NOTIFY), "
            "`notify-if-empty` (only when no announced row waits), `poll` (never; the relay "
            "polls); bench/levers/outbox-notify.md")
    outbox_poll_interval: float = setting(
        1.0, parse=positive_seconds,
        doc="seconds between the relay's looks at its outbox when no NOTIFY came: the "
            "longest a row whose NOTIFY was skipped (or R5's quiet events) waits")

    from_env = classmethod(load)


def setting_rows(configs: Mapping[str, type]) -> list[tuple[str, str, str, str]]:
    """(variable, default, used by, meaning): docs/CONVENTIONS.md's settings table."""
    rows: dict[str, tuple[str, list[str], str]] = {}
    for service, cls in configs.items():
        for field, meta, name in declared(cls):
            shown = "(development value)" if meta.secret == GENERATED and field.default \
                else _shown(field.default)
            if meta.production is not SAME:
                shown += f" (production: {_shown(meta.production)})"
            default, users, doc = rows.get(name, (shown, [], meta.doc))
            if default != shown:
                default = "per service"
            rows[name] = (default, [*users, service], doc or meta.doc)
    return [(name, default, ", ".join(users), doc)
            for name, (default, users, doc) in sorted(rows.items())]


def _shown(value: Any) -> str:
    if value is None or value == "" or value == ():
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)
