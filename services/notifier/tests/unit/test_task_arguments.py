import uuid
from datetime import UTC, datetime

import pytest
from marshmallow import ValidationError
from notifier.tasks import read_mail_command


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
