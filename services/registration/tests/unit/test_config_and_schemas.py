from datetime import date

import pytest
from marshmallow import ValidationError
from registration.commands import SubmitApplication
from registration.config import Config
from registration.messages import ERRORS, FIELDS, MESSAGES
from registration.schemas import ApplicationRequest, PasswordRegistrationRequest

from shared.config import ConfigError

GOOD = {
    "privacy_policy_version": "2026-04-01", "terms_of_use_version": "2026-04-01",
    "email": "taro@example.jp", "email_confirmation": "taro@example.jp",
    "job_seeker_number": "１２３４５－１２３４５６７", "birth_date": "1990-01-02",
    "account_creation_code": "abcde-fghjk",
}


def load(**over):
    return ApplicationRequest(today=date(2026, 11, 25)).load({**GOOD, **over})


def test_config_defaults_work_against_local_servers_and_production_refuses_them():
    config = Config.from_env({})
    assert config.database_url.endswith("/jobportal_registration")
    assert config.mail_queue == "jobportal.mail" and [str(n) for n in config.trusted_proxies] == [
        "127.0.0.1/32"]
    with pytest.raises(ConfigError):
        Config.from_env({"APP_MODE": "production"})
    prod = Config.from_env({"APP_MODE": "production", "DIGEST_SECRET": "x" * 40})
    assert prod.trusted_proxies == ()


def test_item5_trusted_proxies_are_cidr_ranges_and_a_bad_one_stops_the_start():
    config = Config.from_env({"TRUSTED_PROXIES": "10.244.0.0/16, 172.18.0.1,fd00::/8"})
    assert [str(n) for n in config.trusted_proxies] == ["10.244.0.0/16", "172.18.0.1/32",
                                                        "fd00::/8"]
    with pytest.raises(ConfigError, match="'10.244.0.0/40'"):
        Config.from_env({"TRUSTED_PROXIES": "10.244.0.0/40"})


def test_config_reads_every_rule_number_from_the_environment():
    config = Config.from_env({"MAX_FAILED_ATTEMPTS": "3", "AUTH_KEY_MINUTES": "10",
                              "ARGON2_MEMORY_KIB": "1024", "SESSION_IDLE_MINUTES": "5"})
    assert (config.max_failed_attempts, config.auth_key_minutes, config.argon2_memory_kib,
            config.session_idle_minutes) == (3, 10, 1024, 5)


def test_r7_the_application_schema_normalises_number_date_and_code():
    cmd = load()
    assert isinstance(cmd, SubmitApplication)
    assert cmd.job_seeker_number == "12345-1234567"
    assert cmd.birth_date == date(1990, 1, 2)
    assert cmd.account_creation_code == "ABCDEFGHJK"


def test_r6_the_email_must_equal_its_confirmation():
    with pytest.raises(ValidationError) as info:
        load(email_confirmation="taro@example.com")
    assert info.value.messages == {"email_confirmation": ["Does not match the email address."]}


@pytest.mark.parametrize("field, value", [
    ("email", 123), ("email", None), ("email", ["taro@example.jp"]),
    ("job_seeker_number", 12345), ("birth_date", "1990-02-30"),
    ("account_creation_code", "ABC\x00DEFGHJ"), ("email", "a" * 300),
    ("account_creation_code", "' OR 1=1 --"),
])
def test_bad_input_names_the_field(field, value):
    with pytest.raises(ValidationError) as info:
        load(**{field: value})
    assert field in info.value.messages


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError) as info:
        load(admin=True)
    assert "admin" in info.value.messages


def test_the_step3_schema_checks_token_and_key_formats():
    with pytest.raises(ValidationError) as info:
        PasswordRegistrationRequest().load({"application_token": "short", "auth_key": "x",
                                            "password": "a", "password_confirmation": "a"})
    assert set(info.value.messages) == {"application_token", "auth_key"}


def test_every_error_code_and_field_message_has_japanese_and_english():
    catalog = MESSAGES
    for code in ERRORS:
        assert catalog.error(code, "ja") != catalog.error(code, "en")
    for text in FIELDS:
        assert catalog.field(text, "en") == text and catalog.field(text, "ja") != text
    for code in ("VALIDATION_FAILED", "TERMS_NOT_AGREED", "IDENTITY_MISMATCH", "CODE_EXPIRED",
                 "CODE_SUPERSEDED", "CODE_REVOKED", "CODE_INVALIDATED", "CODE_ALREADY_USED",
                 "EMAIL_ALREADY_REGISTERED", "APPLICATION_NOT_FOUND", "AUTH_KEY_MISMATCH",
                 "AUTH_KEY_EXPIRED", "MAIL_LIMIT_REACHED", "RATE_LIMITED", "LOGIN_FAILED",
                 "UNAUTHORIZED"):
        assert code in catalog.errors
