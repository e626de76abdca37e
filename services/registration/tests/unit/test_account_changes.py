"""R16-R18 rules without servers: the email change's key times with the injected clock,
the attempts left, the request schemas and the texts."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from marshmallow import ValidationError
from registration import schemas
from registration.api import openapi_document
from registration.commands import ChangePassword, ConfirmEmailChange, RequestEmailChange, Withdraw
from registration.config import Config
from registration.edge import REFUSALS
from registration.messages import MESSAGES
from registration.usecases.email_changes import attempts_left, change_refusal

from shared.clock import FixedClock

ISSUED = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
ACCOUNT = uuid.uuid4()
CONFIG = Config.from_env({})


def change(**over):
    row = {"change_id": uuid.uuid4(), "account_id": ACCOUNT, "new_email": "n@example.jp",
           "key_digest": "d", "issued_at": ISSUED, "delivered_at": None, "key_failures": 0,
           "status": "open"}
    row.update(over)
    return row


def refusal(row, now):
    found = change_refusal(row, ACCOUNT, now, CONFIG)
    return found.code if found else None


def test_r17_the_key_lives_50_minutes_from_issue_while_its_delivery_is_unknown():
    clock = FixedClock(ISSUED)
    clock.advance(minutes=49, seconds=59)
    assert refusal(change(), clock.now()) is None
    clock.advance(seconds=1)
    assert refusal(change(), clock.now()) == "CHANGE_KEY_EXPIRED"


def test_r17_a_late_delivery_extends_the_key_beyond_issue_plus_50_minutes():
    clock = FixedClock(ISSUED + timedelta(minutes=59, seconds=59))
    delivered = change(delivered_at=ISSUED + timedelta(minutes=10))
    assert refusal(delivered, clock.now()) is None
    clock.advance(seconds=1)
    assert refusal(delivered, clock.now()) == "CHANGE_KEY_EXPIRED"


@pytest.mark.parametrize("row", [None, change(status="voided"), change(status="confirmed"),
                                 change(status="taken"), change(status="undeliverable"),
                                 change(account_id=uuid.uuid4())])
def test_r17_an_unknown_closed_or_other_accounts_change_is_not_found_even_when_expired(row):
    assert refusal(row, ISSUED + timedelta(days=1)) == "CHANGE_NOT_FOUND"


def test_r17_attempts_left_count_down_to_zero_at_the_fifth_wrong_key():
    assert [attempts_left(n, CONFIG.auth_key_max_failures) for n in range(1, 7)] == [
        4, 3, 2, 1, 0, 0]


def test_r16_the_password_change_request_builds_its_command():
    cmd = schemas.PasswordChangeRequest().load({
        "current_password": "a", "password": "b", "password_confirmation": "c"})
    assert cmd == ChangePassword("a", "b", "c")


def test_r17_the_email_change_request_checks_r6_and_the_confirmation_as_typed():
    cmd = schemas.EmailChangeRequest().load({
        "current_password": "a", "email": "Taro@Example.JP", "email_confirmation": "Taro@Example.JP"})
    assert cmd == RequestEmailChange("a", "Taro@example.jp")
    with pytest.raises(ValidationError) as refused:
        schemas.EmailChangeRequest().load({"current_password": "a", "email": "a..b@example.jp",
                                           "email_confirmation": "a..b@example.jp"})
    assert list(refused.value.messages) == ["email"]
    with pytest.raises(ValidationError) as refused:
        schemas.EmailChangeRequest().load({"current_password": "a", "email": "a@example.jp",
                                           "email_confirmation": "A@example.jp"})
    assert list(refused.value.messages) == ["email_confirmation"]


def test_r17_the_confirmation_normalises_the_key_like_r10():
    cmd = schemas.EmailChangeConfirmationRequest().load(
        {"change_token": "t" * 43, "key": "abcd-efgo"})
    assert cmd == ConfirmEmailChange("t" * 43, "ABCDEFG0")
    with pytest.raises(ValidationError) as refused:
        schemas.EmailChangeConfirmationRequest().load({"change_token": "t" * 43, "key": "U" * 8})
    assert list(refused.value.messages) == ["key"]


def test_r18_the_withdrawal_request_takes_only_the_current_password():
    assert schemas.WithdrawalRequest().load({"current_password": "a"}) == Withdraw("a")
    with pytest.raises(ValidationError):
        schemas.WithdrawalRequest().load({"current_password": "a", "reason": "x"})


@pytest.mark.parametrize("code, status", [
    ("CURRENT_PASSWORD_WRONG", 400), ("PASSWORD_UNCHANGED", 422), ("CHANGE_NOT_FOUND", 404),
    ("CHANGE_KEY_MISMATCH", 400), ("CHANGE_KEY_EXPIRED", 410)])
def test_r16_r17_r18_refusals_have_the_contracts_status_and_both_languages(code, status):
    assert REFUSALS[code] == status
    assert MESSAGES.error(code, "ja") != MESSAGES.error(code, "en")


def test_r16_r17_r18_the_openapi_document_lists_every_endpoint():
    paths = openapi_document()["paths"]
    assert set(paths["/v1/me/password"]) == {"put"}
    assert "204" in paths["/v1/me/password"]["put"]["responses"]
    assert "202" in paths["/v1/me/email-changes"]["post"]["responses"]
    assert "200" in paths["/v1/me/email-change-confirmations"]["post"]["responses"]
    assert "204" in paths["/v1/me/withdrawal"]["post"]["responses"]
    for path in ("/v1/me/password", "/v1/me/email-changes",
                 "/v1/me/email-change-confirmations", "/v1/me/withdrawal"):
        for operation in paths[path].values():
            assert operation["security"] and "401" in operation["responses"]
