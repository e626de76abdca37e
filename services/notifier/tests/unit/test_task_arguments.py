import uuid
from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError
from notifier.tasks import given, read_key_mail_command, read_mail_command, read_notice_command


def kwargs(**over):
    base = {"application_id": str(uuid.uuid4()), "email": "taro@example.jp", "auth_key": "7K3QZ9MX",
            "issued_at": "2026-04-01T01:00:00Z", "valid_until": "2026-04-01T01:50:00Z"}
    base.update(over)
    return base


def test_the_documented_kwargs_are_read_and_the_key_normalised():
    request = read_mail_command(kwargs(auth_key="7k3q-z9mx", extra="ignored"), retries=3)
    assert request.auth_key == "7K3QZ9MX" and request.retries == 3
    assert request.valid_until == datetime(2026, 4, 1, 1, 50, tzinfo=UTC)


@pytest.mark.parametrize("field,value", [
    ("application_id", "not-a-uuid"),
    ("email", "taro@example.jp\r\nBcc: x@example.com"),
    ("email", None),
    ("auth_key", "SHORT"),
    ("auth_key", "UUUUUUUU"),  # U is not Crockford
    ("valid_until", "2026-04-01T01:50:00"),  # no zone
])
def test_bad_task_arguments_are_refused_naming_the_field(field, value):
    with pytest.raises(ValidationError) as refused:
        read_mail_command(kwargs(**{field: value}))
    assert field in refused.value.messages


def key_mail_kwargs(**over):
    base = {"mail_id": str(uuid.uuid4()), "kind": "password_reset_key",
            "email": "taro@example.jp", "key": "9qw4-rt2z", "issued_at": "2026-04-01T01:00:00Z",
            "valid_until": "2026-04-01T01:50:00Z"}
    base.update(over)
    return base


def notice_kwargs(**over):
    base = {"notice_id": str(uuid.uuid4()), "kind": "new_login", "email": "taro@example.jp",
            "occurred_at": "2026-04-01T01:00:00Z"}
    base.update(over)
    return base


def test_a_key_mails_kwargs_are_read_with_the_key_normalised_and_japanese_by_default():
    cmd = read_key_mail_command(key_mail_kwargs(extra="ignored"), retries=2)
    assert (cmd.key, cmd.language, cmd.retries) == ("9QW4RT2Z", "ja", 2)


def test_a_notices_kwargs_are_read_with_no_client_by_default():
    cmd = read_notice_command(notice_kwargs(language="en"))
    assert (cmd.language, cmd.client_address, cmd.browser) == ("en", None, None)
    assert cmd.occurred_at == datetime(2026, 4, 1, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("field,value", [
    ("mail_id", "not-a-uuid"),
    ("kind", "new_login"),  # a notice's kind is no key mail's
    ("email", "taro@example.jp\r\nBcc: x@example.com"),
    ("key", "SHORT"),
    ("language", "fr"),
    ("valid_until", "2026-04-01T01:50:00"),
])
def test_bad_key_mail_arguments_are_refused_naming_the_field(field, value):
    with pytest.raises(ValidationError) as refused:
        read_key_mail_command(key_mail_kwargs(**{field: value}))
    assert field in refused.value.messages


@pytest.mark.parametrize("field,value", [
    ("notice_id", "x"),
    ("kind", "password_reset_key"),
    ("browser", "B" * 101),
    ("occurred_at", None),
])
def test_bad_notice_arguments_are_refused_naming_the_field(field, value):
    with pytest.raises(ValidationError) as refused:
        read_notice_command(notice_kwargs(**{field: value}))
    assert field in refused.value.messages


def test_missing_arguments_are_named_missing_and_defaults_apply():
    kwargs = given({"application_id": None, "language": None, "email": "taro@example.jp"})
    assert kwargs == {"email": "taro@example.jp"}
    with pytest.raises(ValidationError) as refused:
        read_mail_command(kwargs)
    assert "application_id" in refused.value.messages and "language" not in refused.value.messages
