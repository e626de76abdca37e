from datetime import date

import pytest
from code_issuer import domain
from code_issuer.commands import IssueCode
from code_issuer.schemas import IssueRequest
from marshmallow import ValidationError

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize("typed", [
    "12345-1234567", "１２３４５－１２３４５６７", "12345ー1234567", "12345‐1234567",
    "12345−1234567", "12345–1234567", " 12345-1234567 ", "12345ｰ1234567",
])
def test_r7_number_accepts_full_width_digits_and_hyphen_look_alikes(typed):
    assert domain.normalise_number(typed) == "12345-1234567"


@pytest.mark.parametrize("typed", [
    "1234-1234567", "123456-1", "12345-", "12345-123456789", "12345_1234567", "12345", "12345123456789",
    "12345-12a", "'; DROP TABLE codes; --", "",
])
def test_r7_number_refuses_other_shapes(typed):
    assert domain.normalise_number(typed) is None


@pytest.mark.parametrize("typed", ["123451234567", "１２３４５１２３４５６７"])
def test_r7_number_typed_without_its_hyphen_is_accepted(typed):
    assert domain.normalise_number(typed) == "12345-1234567"


def test_r7_birth_date_is_a_real_past_western_date():
    assert domain.parse_birth_date("1990-01-02", TODAY) == date(1990, 1, 2)
    assert domain.parse_birth_date("１９９０－０１－０２", TODAY) == date(1990, 1, 2)
    assert domain.parse_birth_date("2000-02-29", TODAY) == date(2000, 2, 29)
    assert domain.parse_birth_date("1990/1/2", TODAY) == date(1990, 1, 2)  # as registration reads it
    for bad in ("1990-02-30", "2001-02-29", "H2-01-02", "19900102",
                "2026-11-25", "2027-01-01", "1899-12-31"):
        assert domain.parse_birth_date(bad, TODAY) is None, bad


def test_issue_request_names_each_bad_field():
    schema = IssueRequest(today=TODAY)
    with pytest.raises(ValidationError) as err:
        schema.load({"job_seeker_number": 12345, "birth_date": "1990-13-01", "name": "x"})
    assert set(err.value.messages) == {"job_seeker_number", "birth_date", "name"}
    with pytest.raises(ValidationError) as err:
        schema.load({"birth_date": "1990-01-02"})
    assert set(err.value.messages) == {"job_seeker_number"}


def test_issue_request_normalises_and_birth_date_is_optional():
    assert IssueRequest(today=TODAY).load({"job_seeker_number": "１２３４５－１"}) == IssueCode(
        job_seeker_number="12345-1", birth_date=None)


def test_nul_bytes_and_huge_values_are_refused():
    schema = IssueRequest(today=TODAY)
    for value in ("12345-1\x00", "1" * 10_000):
        with pytest.raises(ValidationError):
            schema.load({"job_seeker_number": value})
