"""R15's pure rules with the clock injected: the reset key's 50 minutes (R10's rule), the
attempts left, which resets are not found; and the request schemas."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from marshmallow import ValidationError
from registration.commands import CompletePasswordReset, RequestPasswordReset
from registration.config import Config
from registration.messages import BAD_RESET_KEY, ERRORS, FIELDS
from registration.schemas import PasswordResetCompletionRequest, PasswordResetRequest
from registration.usecases.resets import attempts_left, reset_refusal

from shared.clock import FixedClock

ISSUED = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
CONFIG = Config.from_env({})


def reset(**over) -> dict:
    values = {"reset_id": uuid.uuid4(), "status": "open", "issued_at": ISSUED,
              "delivered_at": None, "key_failures": 0}
    values.update(over)
    return values


def refusal(row, now):
    refused = reset_refusal(row, now, CONFIG)
    return refused.code if refused else None


def test_r15_while_undelivered_the_reset_key_lives_50_minutes_from_its_issue():
    clock = FixedClock(ISSUED)
    clock.advance(minutes=49, seconds=59)
    assert refusal(reset(), clock.now()) is None
    clock.advance(seconds=1)
    assert refusal(reset(), clock.now()) == "RESET_KEY_EXPIRED"


def test_r15_a_late_delivery_extends_the_reset_key_to_50_minutes_from_delivery():
    delivered = ISSUED + timedelta(minutes=20)
    clock = FixedClock(ISSUED + timedelta(minutes=69, seconds=59))
    assert refusal(reset(delivered_at=delivered), clock.now()) is None
    clock.advance(seconds=1)
    assert refusal(reset(delivered_at=delivered), clock.now()) == "RESET_KEY_EXPIRED"


@pytest.mark.parametrize("status", ["voided", "used", "undeliverable"])
def test_r15_a_closed_reset_is_not_found_even_in_its_50_minutes(status):
    assert refusal(reset(status=status), ISSUED) == "RESET_NOT_FOUND"


def test_r15_an_unknown_token_is_not_found():
    assert refusal(None, ISSUED) == "RESET_NOT_FOUND"


def test_r15_wrong_keys_count_down_to_zero_attempts_left():
    assert [attempts_left(n, 5) for n in range(1, 7)] == [4, 3, 2, 1, 0, 0]


def test_r15_the_request_schema_normalises_number_and_refuses_a_future_birth_date():
    schema = PasswordResetRequest(today=date(2026, 4, 1))
    cmd = schema.load({"email": "taro@example.jp", "job_seeker_number": "１２３４５１２３",
                       "birth_date": "1990-01-02"})
    assert cmd == RequestPasswordReset("taro@example.jp", "12345-123", date(1990, 1, 2))
    with pytest.raises(ValidationError) as bad:
        schema.load({"email": "taro@example.jp", "job_seeker_number": "12345-1",
                     "birth_date": "2026-04-02"})
    assert set(bad.value.messages) == {"birth_date"}
    with pytest.raises(ValidationError) as unknown:
        schema.load({"email": "taro@example.jp", "job_seeker_number": "12345-1",
                     "birth_date": "1990-01-02", "code": "x"})
    assert set(unknown.value.messages) == {"code"}


def test_r15_the_completion_schema_reads_the_key_like_r10():
    schema = PasswordResetCompletionRequest()
    cmd = schema.load({"reset_token": "a" * 43, "reset_key": "abcd-efgl ",
                       "password": "p", "password_confirmation": "p"})
    assert cmd == CompletePasswordReset("a" * 43, "ABCDEFG1", "p", "p")
    with pytest.raises(ValidationError) as bad:
        schema.load({"reset_token": "a" * 43, "reset_key": "ABCDEFGU",
                     "password": "p", "password_confirmation": "p"})
    assert bad.value.messages == {"reset_key": [BAD_RESET_KEY]}


def test_r15_every_refusal_and_field_text_has_japanese_and_english():
    for code in ("RESET_NOT_FOUND", "RESET_KEY_MISMATCH", "RESET_KEY_EXPIRED",
                 "PASSWORD_UNCHANGED"):
        assert ERRORS[code]["ja"] and ERRORS[code]["en"]
    assert FIELDS[BAD_RESET_KEY]["ja"]
