"""Issue 17's pure rules: the Idempotency-Key's form and window (DESIGN §4), and R12's
account status as the counter sees it, whatever order the account events came in."""

from datetime import UTC, date, datetime, timedelta

import pytest
from code_issuer import domain, schemas
from marshmallow import ValidationError

T0 = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)


@pytest.mark.parametrize("key", ["a", "x" * 100, "form-3f9c 2026/04/01", "~!@#$%^&*()"])
def test_idempotency_key_of_1_to_100_printable_characters_is_accepted(key):
    assert domain.valid_idempotency_key(key)
    assert schemas.idempotency_key(key) == key


@pytest.mark.parametrize("key", ["", " ", "x" * 101, "tab\there", "nul\x00", "ｆｕｌｌ", "é"])
def test_idempotency_key_otherwise_is_refused_naming_the_header(key):
    assert not domain.valid_idempotency_key(key)
    with pytest.raises(ValidationError) as refused:
        schemas.idempotency_key(key)
    assert list(refused.value.messages) == ["Idempotency-Key"]


def test_no_idempotency_key_header_means_none():
    assert schemas.idempotency_key(None) is None


def test_idempotency_key_is_honoured_for_24_hours():
    assert domain.honoured(T0, T0 + timedelta(hours=24) - timedelta(seconds=1))
    assert not domain.honoured(T0, T0 + timedelta(hours=24))


def test_the_same_request_is_the_same_person_and_birth_date():
    one = domain.issue_request_value("12345-1", date(1990, 1, 2))
    assert one == domain.issue_request_value("12345-1", date(1990, 1, 2))
    assert one != domain.issue_request_value("12345-1", date(1990, 1, 3))
    assert one != domain.issue_request_value("12345-2", date(1990, 1, 2))
    assert one != domain.issue_request_value("12345-1", None)


def test_r12_no_account_is_none():
    assert domain.account_status([]) == ("none", None)


def test_r12_a_registered_account_is_open_since_its_registration():
    assert domain.account_status([domain.Account(T0, None)]) == ("open", T0)


def test_r12_a_closed_account_is_closed_in_either_arrival_order():
    closed_at = T0 + timedelta(days=3)
    assert domain.account_status([domain.Account(T0, closed_at)]) == ("closed", closed_at)
    # `closed` arrived first: no registered_at yet, and it still reads closed
    assert domain.account_status([domain.Account(None, closed_at)]) == ("closed", closed_at)


def test_r12_a_new_account_after_a_closed_one_is_open():
    later = T0 + timedelta(days=10)
    accounts = [domain.Account(T0, T0 + timedelta(days=3)), domain.Account(later, None)]
    assert domain.account_status(accounts) == ("open", later)
