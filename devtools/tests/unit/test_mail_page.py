"""Issue 13 item 13: the mail page's test controls need a token."""

import stat

import pytest

from devtools.mail_page import authorised, page_token
from devtools.settings import Settings
from shared.config import ConfigError

TOKEN = "a-token-of-the-mail-page-0123456789abcdef"


@pytest.mark.parametrize(("header", "ok"), [
    (f"Bearer {TOKEN}", True), (f"bearer {TOKEN}", True), (f"Bearer  {TOKEN} ", True),
    ("", False), ("Bearer", False), ("Bearer wrong", False), (f"Basic {TOKEN}", False),
    (TOKEN, False), (f"Bearer {TOKEN}x", False),
])
def test_item13_only_the_pages_token_opens_the_test_controls(header, ok):
    assert authorised(header, TOKEN) is ok


def test_item13_no_token_opens_nothing_even_an_empty_header():
    assert not authorised("Bearer ", "")
    assert not authorised("", "")


def test_item13_a_configured_token_is_used_as_is(tmp_path):
    assert page_token(TOKEN, tmp_path) == (TOKEN, "MAIL_PAGE_TOKEN")
    assert list(tmp_path.iterdir()) == []


def test_item13_without_a_configured_token_a_random_one_is_written_for_the_owner_only(tmp_path):
    token, where = page_token("", tmp_path / "mail")
    path = tmp_path / "mail" / "page-token"
    assert where == str(path) and path.read_text() == token + "\n"
    assert len(token) >= 43
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again, _ = page_token("", tmp_path / "mail")
    assert again != token and path.read_text() == again + "\n"


def test_item13_the_mail_page_listens_on_loopback_by_default():
    settings = Settings.from_env({})
    assert settings.mail_page_host == "127.0.0.1" and settings.smtp_listen_host == "127.0.0.1"
    assert settings.mail_page_token == ""
    assert Settings.from_env({"MAIL_PAGE_TOKEN": TOKEN}).mail_page_token == TOKEN


def test_the_settings_read_the_notifiers_variable_names_and_refuse_an_unknown_zone():
    settings = Settings.from_env({"MAIL_STORE_DIR": "/tmp/m", "SMTP_LISTEN_PORT": "2525",
                                  "MAIL_PAGE_HOST": "127.0.0.2", "MAIL_PAGE_PORT": "8026",
                                  "OFFICE_TIME_ZONE": "UTC", "APP_MODE": "production"})
    assert (settings.mail_store_dir, settings.smtp_listen_port) == ("/tmp/m", 2525)
    assert (settings.mail_page_host, settings.mail_page_port) == ("127.0.0.2", 8026)
    assert settings.office_tz.key == "UTC" and settings.mode == "production"
    with pytest.raises(ConfigError, match="OFFICE_TIME_ZONE"):
        Settings.from_env({"OFFICE_TIME_ZONE": "Mars/Olympus"})
