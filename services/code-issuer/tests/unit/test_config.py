import pytest
from code_issuer.config import Config

from shared.config import ConfigError

STRONG = "x" * 40


def test_defaults_point_at_the_local_servers():
    config = Config.from_env({})
    assert config.database_url.endswith("/jobportal_code_issuer")
    assert config.office_api_keys == ("dev-office-key",)
    assert config.code_validity_days == 5 and config.office_time_zone == "Asia/Tokyo"


def test_several_office_keys_are_read_from_one_variable():
    assert Config.from_env({"OFFICE_API_KEYS": "a-key, b-key,"}).office_api_keys == ("a-key", "b-key")


def test_production_refuses_default_secrets_keys_and_the_test_clock():
    base = {"APP_MODE": "production", "DIGEST_SECRET": STRONG, "OFFICE_API_KEYS": "k" * 40}
    assert Config.from_env(base).trusted_proxies == ()
    for override in ({"DIGEST_SECRET": "dev-only-secret-change-me"},
                     {"OFFICE_API_KEYS": "dev-office-key,other"},
                     {"TEST_CLOCK_FILE": "/tmp/clock"}, {"DIGEST_SECRET": "short"}):
        with pytest.raises(ConfigError):
            Config.from_env({**base, **override})


def test_item5_trusted_proxies_are_cidr_ranges_and_a_bad_one_stops_the_start():
    config = Config.from_env({"TRUSTED_PROXIES": "10.244.0.0/16, 172.18.0.1,fd00::/8"})
    assert [str(n) for n in config.trusted_proxies] == ["10.244.0.0/16", "172.18.0.1/32",
                                                        "fd00::/8"]
    assert [str(n) for n in Config.from_env({}).trusted_proxies] == ["127.0.0.1/32"]
    with pytest.raises(ConfigError, match="'proxy.internal'"):
        Config.from_env({"TRUSTED_PROXIES": "10.0.0.1,proxy.internal"})


def test_unknown_office_zone_or_no_key_is_refused():
    with pytest.raises(ConfigError):
        Config.from_env({"OFFICE_TIME_ZONE": "Mars/Olympus"})
    with pytest.raises(ConfigError):
        Config.from_env({"OFFICE_API_KEYS": " , "})


def test_item8_redis_and_the_wrong_key_limit_are_settings():
    default = Config.from_env({})
    assert (default.redis_url, default.redis_prefix) == ("redis://127.0.0.1:6379/0",
                                                         "jobportal:code_issuer")
    assert (default.office_key_failures_per_address, default.office_key_failure_seconds) == (
        10, 900)
    config = Config.from_env({"REDIS_URL": "redis://redis:6379/1", "REDIS_PREFIX": "ci",
                              "OFFICE_KEY_FAILURES_PER_ADDRESS": "5",
                              "OFFICE_KEY_FAILURE_SECONDS": "60"})
    assert (config.redis_url, config.redis_prefix, config.office_key_failures_per_address,
            config.office_key_failure_seconds) == ("redis://redis:6379/1", "ci", 5, 60)
    for bad in ({"OFFICE_KEY_FAILURES_PER_ADDRESS": "0"}, {"OFFICE_KEY_FAILURE_SECONDS": "0"}):
        with pytest.raises(ConfigError):
            Config.from_env(bad)


def test_item8_redis_url_is_a_secret_like_the_other_server_urls(tmp_path):
    production = {"APP_MODE": "production", "DIGEST_SECRET": STRONG, "OFFICE_API_KEYS": "k" * 40}
    with pytest.raises(ConfigError, match="REDIS_URL"):
        Config.from_env({**production, "REDIS_URL": "redis://:change-me@redis:6379/0"})
    path = tmp_path / "redis_url"
    path.write_text("redis://:s3cret-enough@redis:6379/0\n")
    assert Config.from_env({"REDIS_URL_FILE": str(path)}).redis_url == (
        "redis://:s3cret-enough@redis:6379/0")
