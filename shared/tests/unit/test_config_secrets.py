"""Issue 13 item 8: secrets from NAME or NAME_FILE, and production's refusal of short and
placeholder secrets."""

import pytest

from shared.config import (
    ConfigError,
    Env,
    placeholder,
    refuse_unsafe_production,
    url_password,
)

STRONG = "Qm9yZWFsLXN0cm9uZy1zZWNyZXQtdmFsdWUtNDg4"


def test_item8_a_secret_is_read_from_the_file_its_name_file_names(tmp_path):
    path = tmp_path / "digest"
    path.write_text(STRONG + "\n")
    assert Env({"DIGEST_SECRET_FILE": str(path)}).secret("DIGEST_SECRET", "d") == STRONG
    path.write_text(STRONG + "\r\n")
    assert Env({"DIGEST_SECRET_FILE": str(path)}).secret("DIGEST_SECRET", "d") == STRONG
    path.write_text(" inner spaces stay \n")
    assert Env({"DIGEST_SECRET_FILE": str(path)}).secret("DIGEST_SECRET", "d") == " inner spaces stay "


def test_item8_without_either_the_default_or_the_variable_is_used():
    assert Env({}).secret("DIGEST_SECRET", "d") == "d"
    assert Env({"DIGEST_SECRET": STRONG}).secret("DIGEST_SECRET", "d") == STRONG
    assert Env({"DIGEST_SECRET_FILE": ""}).secret("DIGEST_SECRET", "d") == "d"


def test_item8_setting_both_the_variable_and_its_file_is_an_error(tmp_path):
    path = tmp_path / "digest"
    path.write_text(STRONG)
    with pytest.raises(ConfigError, match="DIGEST_SECRET or DIGEST_SECRET_FILE"):
        Env({"DIGEST_SECRET": STRONG, "DIGEST_SECRET_FILE": str(path)}).secret("DIGEST_SECRET", "")


@pytest.mark.parametrize("content", [None, "", "\n", b"\xff\xfe"])
def test_item8_a_missing_empty_or_unreadable_file_is_an_error_naming_the_variable(tmp_path, content):
    path = tmp_path / "digest"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match="DIGEST_SECRET_FILE") as error:
        Env({"DIGEST_SECRET_FILE": str(path)}).secret("DIGEST_SECRET", "")
    assert str(tmp_path) not in str(error.value) or content is None


def test_item8_a_list_of_keys_comes_from_a_file_one_a_line_or_comma_separated(tmp_path):
    path = tmp_path / "keys"
    path.write_text("first-key\nsecond-key,third-key\n")
    env = Env({"OFFICE_API_KEYS_FILE": str(path)})
    assert env.secret_list("OFFICE_API_KEYS", ("d",)) == ("first-key", "second-key", "third-key")
    assert Env({}).secret_list("OFFICE_API_KEYS", ("d",)) == ("d",)
    assert Env({"OFFICE_API_KEYS": "a, b"}).secret_list("OFFICE_API_KEYS", ("d",)) == ("a", "b")


@pytest.mark.parametrize("value", [
    "dev-only-secret-change-me", "dev-office-key", "change-me-to-a-long-random-secret-of-64-chars",
    "CHANGE-ME-PLEASE-0000000000000000000000", "ChangeMe0000000000000000000000000000000",
    "replace-with-64-random-characters-replace-with-64-random", "this-is-an-EXAMPLE-key-of-40-characters",
    "placeholder-placeholder-placeholder-12345", "default-default-default-default-default",
])
def test_item8_production_refuses_placeholder_secrets_whatever_their_case_and_length(value):
    assert placeholder(value)
    with pytest.raises(ConfigError, match="DIGEST_SECRET"):
        refuse_unsafe_production("production", DIGEST_SECRET=value)
    refuse_unsafe_production("development", DIGEST_SECRET=value)


def test_item8_production_refuses_secrets_and_office_keys_under_32_characters():
    with pytest.raises(ConfigError, match="OFFICE_API_KEYS must be at least 32"):
        refuse_unsafe_production("production", OFFICE_API_KEYS=(STRONG, "k"))
    with pytest.raises(ConfigError, match="at least 32"):
        refuse_unsafe_production("production", OFFICE_API_KEYS=("x" * 31,))
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY"):
        refuse_unsafe_production("production", PORTAL_SECRET_KEY="")
    refuse_unsafe_production("production", OFFICE_API_KEYS=("x" * 32, STRONG),
                             DIGEST_SECRET=STRONG, test_clock_file=None)


def test_item8_passwords_chosen_elsewhere_are_checked_for_placeholders_only():
    refuse_unsafe_production("production", passwords={"SMTP_PASSWORD": "short", "X": None, "Y": ""})
    with pytest.raises(ConfigError, match="SMTP_PASSWORD"):
        refuse_unsafe_production("production", passwords={"SMTP_PASSWORD": "replace"})
    with pytest.raises(ConfigError, match="BROKER_URL"):
        refuse_unsafe_production("production", passwords={
            "BROKER_URL": url_password("amqp://jobportal:replace@rabbitmq:5672//")})


def test_item8_the_password_of_a_server_url():
    assert url_password("postgresql://u:p%40ss@db:5432/x") == "p@ss"
    assert url_password("redis://127.0.0.1:6379/0") is None
    assert url_password("postgresql://u:p@[::1") is None
