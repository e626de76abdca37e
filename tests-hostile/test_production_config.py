"""Production mode refuses development defaults: the default digest secret and office
key, short secrets, placeholder secrets (issue 13 item 8), and the movable test clock, in
every service; secrets can come from `<NAME>_FILE`; and a refused setting stops the
process before it serves anything."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from code_issuer.config import Config as CodeIssuerConfig
from notifier.config import Config as NotifierConfig
from portal.config import Config as PortalConfig
from registration.config import Config as RegistrationConfig

from devtools.settings import Settings as DevToolsSettings
from shared.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
STRONG = "k" * 48
SAFE = {
    "code-issuer": {"APP_MODE": "production", "DIGEST_SECRET": STRONG,
                    "OFFICE_API_KEYS": "office-key-" + "x" * 40},
    "registration": {"APP_MODE": "production", "DIGEST_SECRET": STRONG},
    "notifier": {"APP_MODE": "production"},
    "portal": {"APP_MODE": "production", "PORTAL_SECRET_KEY": STRONG},
    "devtools": {"APP_MODE": "production"},
}
CONFIGS = {"code-issuer": CodeIssuerConfig, "registration": RegistrationConfig,
           "notifier": NotifierConfig, "portal": PortalConfig, "devtools": DevToolsSettings}
# Each service's secret settings we generate ourselves (32 characters at least).
SECRETS = {"code-issuer": ["DIGEST_SECRET", "OFFICE_API_KEYS"], "registration": ["DIGEST_SECRET"],
           "devtools": ["MAIL_PAGE_TOKEN"], "portal": ["PORTAL_SECRET_KEY"]}
PLACEHOLDERS = ["change-me-to-a-long-random-secret-of-64-characters",
                "CHANGEME-0123456789abcdef0123456789abcdef",
                "replace-with-64-random-characters-replace-with-64-random",
                "an-Example-value-that-is-long-enough-0123456789",
                "dev-only-secret-change-me", "dev-office-key"]


SERVICES = sorted(set(SAFE) - {"devtools"})  # devtools has no clock and never runs in production


@pytest.mark.parametrize("service", SERVICES)
def test_production_mode_starts_with_safe_settings(service):
    config = CONFIGS[service].from_env(SAFE[service])
    assert config.mode == "production" and config.test_clock_file is None
    if hasattr(config, "trusted_proxies"):
        assert config.trusted_proxies == ()  # no X-Forwarded-For believed unless configured


@pytest.mark.parametrize("service", SERVICES)
def test_production_mode_refuses_the_test_clock(service):
    with pytest.raises(ConfigError, match="test clock"):
        CONFIGS[service].from_env({**SAFE[service], "TEST_CLOCK_FILE": "var/clock"})


@pytest.mark.parametrize(("service", "unsafe"), [
    ("code-issuer", {"DIGEST_SECRET": "dev-only-secret-change-me"}),
    ("code-issuer", {"OFFICE_API_KEYS": "dev-office-key"}),
    ("code-issuer", {"OFFICE_API_KEYS": f"office-key-{'x' * 40},dev-office-key"}),
    ("code-issuer", {"DIGEST_SECRET": "short-secret"}),
    ("registration", {"DIGEST_SECRET": "dev-only-secret-change-me"}),
    ("registration", {"DIGEST_SECRET": "short-secret"}),
])
def test_production_mode_refuses_default_and_short_secrets(service, unsafe):
    with pytest.raises(ConfigError):
        CONFIGS[service].from_env({**SAFE[service], **unsafe})


@pytest.mark.parametrize("service", ["code-issuer", "registration"])
def test_production_mode_refuses_the_defaults_when_nothing_is_set(service):
    with pytest.raises(ConfigError):
        CONFIGS[service].from_env({"APP_MODE": "production"})


@pytest.mark.parametrize("module", ["code_issuer.wsgi", "registration.wsgi"])
def test_a_production_process_with_a_default_secret_refuses_to_start(module):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "OFFICE_"))}
    env.update({"APP_MODE": "production", "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"})
    started = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert started.returncode != 0
    assert "ConfigError" in started.stderr


def shipped_settings() -> list[dict[str, str]]:
    """The example settings the project ships (deploy/env.example, the Kubernetes Secret)."""
    example = {}
    for line in (ROOT / "deploy" / "env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            example[name.strip()] = value.strip()
    secret = yaml.safe_load(
        (ROOT / "deploy" / "kubernetes" / "examples" / "secret.example.yaml").read_text())
    return [example, {"APP_MODE": "production", **secret["stringData"]}]


@pytest.mark.parametrize("service", ["code-issuer", "registration", "portal"])
@pytest.mark.parametrize("shipped", [0, 1], ids=["env.example", "secret.example.yaml"])
def test_item8_production_refuses_the_shipped_example_secrets(service, shipped):
    settings = {**shipped_settings()[shipped], "APP_MODE": "production"}
    with pytest.raises(ConfigError, match="placeholder|development default|at least"):
        CONFIGS[service].from_env(settings)


@pytest.mark.parametrize(("service", "name"), [(s, n) for s, names in SECRETS.items() for n in names])
@pytest.mark.parametrize("value", PLACEHOLDERS)
def test_item8_production_refuses_placeholder_values_of_every_secret(service, name, value):
    with pytest.raises(ConfigError, match=name):
        CONFIGS[service].from_env({**SAFE[service], name: value})


@pytest.mark.parametrize(("service", "name"), [(s, n) for s, names in SECRETS.items() for n in names])
@pytest.mark.parametrize("value", ["k", "k" * 31])
def test_item8_production_refuses_secrets_and_office_keys_under_32_characters(service, name, value):
    with pytest.raises(ConfigError, match=f"{name} must be at least 32"):
        CONFIGS[service].from_env({**SAFE[service], name: value})


@pytest.mark.parametrize(("service", "name", "value"), [
    ("notifier", "SMTP_PASSWORD", "replace"),
    ("notifier", "BROKER_URL", "amqp://jobportal:change-me@rabbitmq:5672//"),
    ("registration", "REDIS_URL", "redis://:replace@redis:6379/0"),
    ("code-issuer", "DATABASE_URL", "postgresql://ci:change-me@postgres:5432/jobportal_code_issuer"),
    ("portal", "REDIS_URL", "redis://:changeme@redis:6379/0"),
])
def test_item8_production_refuses_placeholder_passwords_of_the_servers(service, name, value):
    with pytest.raises(ConfigError, match=name):
        CONFIGS[service].from_env({**SAFE[service], name: value})


@pytest.mark.parametrize(("service", "name"), [(s, n) for s, names in SECRETS.items() for n in names])
def test_item8_every_secret_can_be_read_from_a_file(tmp_path, service, name):
    path = tmp_path / name.lower()
    path.write_text(STRONG + "\n")
    settings = {k: v for k, v in SAFE[service].items() if k != name}
    config = CONFIGS[service].from_env({**settings, f"{name}_FILE": str(path)})
    assert STRONG in repr(config) and STRONG + "\n" not in repr(config)
    with pytest.raises(ConfigError, match=f"{name} or {name}_FILE"):
        CONFIGS[service].from_env({**settings, name: STRONG, f"{name}_FILE": str(path)})


@pytest.mark.parametrize("name", ["SMTP_PASSWORD", "DATABASE_URL", "BROKER_URL"])
def test_item8_the_servers_passwords_can_be_read_from_files(tmp_path, name):
    value = {"SMTP_PASSWORD": "s3cret-of-the-mail-provider",
             "DATABASE_URL": "postgresql://n:pw@127.0.0.1:5432/jobportal_notifier",
             "BROKER_URL": "amqp://n:pw@127.0.0.1:5672//"}[name]
    path = tmp_path / "value"
    path.write_text(value + "\n")
    config = NotifierConfig.from_env({"APP_MODE": "production", f"{name}_FILE": str(path)})
    assert value in repr(config)


def test_item8_a_production_process_started_with_secret_files_serves(tmp_path):
    digest, keys = tmp_path / "digest", tmp_path / "keys"
    digest.write_text(STRONG + "\n")
    keys.write_text("office-key-" + "y" * 40 + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DIGEST_", "OFFICE_"))}
    env.update({"APP_MODE": "production", "DIGEST_SECRET_FILE": str(digest),
                "OFFICE_API_KEYS_FILE": str(keys)})
    started = subprocess.run([sys.executable, "-c", "from code_issuer.config import Config; "
                              "c = Config.from_env(); print(len(c.office_api_keys), len(c.digest_secret))"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert started.returncode == 0, started.stderr
    assert started.stdout.split() == ["1", str(len(STRONG))]
