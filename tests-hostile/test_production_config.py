"""Production mode refuses development defaults: the default digest secret and office
key, short secrets, and the movable test clock, in every service; and a refused setting
stops the process before it serves anything."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from code_issuer.config import Config as CodeIssuerConfig
from notifier.config import Config as NotifierConfig
from registration.config import Config as RegistrationConfig

from shared.config import ConfigError

ROOT = Path(__file__).resolve().parent.parent
STRONG = "k" * 48
SAFE = {
    "code-issuer": {"APP_MODE": "production", "DIGEST_SECRET": STRONG,
                    "OFFICE_API_KEYS": "office-key-" + "x" * 40},
    "registration": {"APP_MODE": "production", "DIGEST_SECRET": STRONG},
    "notifier": {"APP_MODE": "production"},
}
CONFIGS = {"code-issuer": CodeIssuerConfig, "registration": RegistrationConfig,
           "notifier": NotifierConfig}


@pytest.mark.parametrize("service", sorted(SAFE))
def test_production_mode_starts_with_safe_settings(service):
    config = CONFIGS[service].from_env(SAFE[service])
    assert config.mode == "production" and config.test_clock_file is None
    if hasattr(config, "trusted_proxies"):
        assert config.trusted_proxies == ()  # no X-Forwarded-For believed unless configured


@pytest.mark.parametrize("service", sorted(SAFE))
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
