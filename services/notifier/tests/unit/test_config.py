import pytest
from notifier.config import Config

from shared.config import ConfigError


def test_defaults_point_at_the_local_servers():
    config = Config.from_env({})
    assert (config.smtp_host, config.smtp_port, config.mail_from) == (
        "127.0.0.1", 1025, "system@mail.example.jp")
    assert config.mail_queue == "jobportal.mail" and config.timers_queue == "jobportal.timers"
    assert config.auth_key_minutes == 50


def test_settings_come_from_the_environment():
    config = Config.from_env({"BUS_NAMESPACE": "ns1", "SMTP_STARTTLS": "true", "SMTP_PORT": "587",
                              "TIMER_SWEEP_SECONDS": "0.5"})
    assert config.mail_queue == "ns1.mail" and config.smtp_starttls and config.smtp_port == 587
    assert config.timer_sweep_seconds == 0.5


def test_production_mode_refuses_the_test_clock():
    with pytest.raises(ConfigError):
        Config.from_env({"APP_MODE": "production", "TEST_CLOCK_FILE": "/tmp/clock"})


def test_bad_values_are_refused_at_start():
    with pytest.raises(ConfigError):
        Config.from_env({"SMTP_PORT": "many"})
    with pytest.raises(ConfigError):
        Config.from_env({"OFFICE_TIME_ZONE": "Mars/Olympus"})
