from datetime import UTC, date, datetime, timedelta

import pytest
from code_issuer import domain
from code_issuer.domain import NEVER, JobSeeker

from shared.errors import Refused

T0 = datetime(2026, 4, 1, 1, tzinfo=UTC)
NUMBER = "12345-1234567"
BORN = date(1990, 1, 2)


def person(**over) -> JobSeeker:
    values = dict(job_seeker_number=NUMBER, birth_date=BORN, birth_date_as_of=T0, office_id="13001",
                  announced=True, closed=False, closed_reason=None, state_as_of=T0)
    values.update(over)
    return JobSeeker(**values)


def test_r3_reissue_supersedes_every_open_code_still_valid():
    assert domain.ending("superseded", T0 + timedelta(days=1), T0) == "superseded"


def test_r3_reissue_leaves_a_code_past_its_expiry_expired():
    assert domain.ending("superseded", T0, T0) == "expired"
    assert domain.ending("revoked", T0 - timedelta(seconds=1), T0) == "expired"


def test_unknown_person_needs_a_birth_date_and_is_then_recorded():
    with pytest.raises(Refused) as refused:
        domain.birth_date_for_issue(None, None)
    # answered as the request's missing birth_date (422 VALIDATION_FAILED naming the field)
    assert refused.value.code == "VALIDATION_FAILED"
    assert refused.value.fields == {"birth_date": ["Missing data for required field."]}
    assert domain.birth_date_for_issue(None, BORN) == BORN
    recorded = domain.known_after_issue(None, NUMBER, BORN, T0)
    assert recorded.birth_date == BORN and not recorded.announced and not recorded.closed


def test_announced_person_can_be_issued_with_the_number_alone():
    assert domain.birth_date_for_issue(person(), None) == BORN
    assert domain.birth_date_for_issue(person(), BORN) == BORN


def test_announced_person_with_another_birth_date_is_refused():
    with pytest.raises(Refused) as refused:
        domain.birth_date_for_issue(person(), date(1991, 1, 2), confirmed=True)
    assert refused.value.code == "BIRTH_DATE_MISMATCH"  # a correction is the office's event
    assert refused.value.details["recorded_birth_date"] == BORN.isoformat()


def test_person_known_only_from_issues_takes_a_newly_typed_birth_date_once_confirmed():
    known = person(announced=False)
    with pytest.raises(Refused) as refused:
        domain.birth_date_for_issue(known, date(1991, 1, 2))
    assert refused.value.code == "BIRTH_DATE_DIFFERS"
    assert refused.value.details == {"recorded_birth_date": BORN.isoformat(),
                                     "birth_date": "1991-01-02"}
    assert domain.birth_date_for_issue(known, date(1991, 1, 2), confirmed=True) == date(1991, 1, 2)
    assert domain.birth_date_for_issue(known, BORN) == BORN  # the same date needs no confirmation
    later = T0 + timedelta(hours=1)
    assert domain.known_after_issue(known, NUMBER, date(1991, 1, 2), later).birth_date_as_of == later


def test_closed_person_gets_no_code():
    with pytest.raises(Refused) as refused:
        domain.birth_date_for_issue(person(closed=True), BORN)
    assert refused.value.code == "JOB_SEEKER_CLOSED"


def test_closed_before_registered_stays_closed():
    closed = domain.after_closed(None, NUMBER, "moved", T0 + timedelta(hours=1))
    assert closed.birth_date is None and closed.closed
    registered = domain.after_registered(closed, NUMBER, BORN, "13001", T0)
    assert registered.closed and registered.birth_date == BORN


def test_registered_after_closed_reopens():
    closed = domain.after_closed(person(), NUMBER, "moved", T0 + timedelta(hours=1))
    again = domain.after_registered(closed, NUMBER, BORN, "13002", T0 + timedelta(hours=2))
    assert not again.closed and again.office_id == "13002"


def test_a_late_correction_does_not_overwrite_a_newer_birth_date():
    newer = domain.after_corrected(person(), NUMBER, date(1990, 1, 3), T0 + timedelta(hours=2))
    late = domain.after_corrected(newer, NUMBER, date(1990, 1, 4), T0 + timedelta(hours=1))
    assert late.birth_date == date(1990, 1, 3)


def test_corrected_before_registered_keeps_the_correction():
    corrected = domain.after_corrected(None, NUMBER, date(1990, 1, 3), T0 + timedelta(hours=1))
    assert corrected.state_as_of == NEVER and not corrected.closed
    registered = domain.after_registered(corrected, NUMBER, BORN, "13001", T0)
    assert registered.birth_date == date(1990, 1, 3)


def test_correction_revokes_codes_issued_before_it_and_codes_for_another_date():
    at = T0 + timedelta(hours=1)
    assert domain.revoked_for_birth_date(BORN, T0, BORN, at)
    assert domain.revoked_for_birth_date(BORN, at + timedelta(hours=1), date(1990, 1, 3), at)
    assert not domain.revoked_for_birth_date(BORN, at + timedelta(hours=1), BORN, at)
    assert not domain.revoked_for_birth_date(BORN, T0, BORN, None)


def test_closing_revokes_every_code_while_closed_and_older_codes_if_reopened_since():
    at = T0 + timedelta(hours=1)
    assert domain.revoked_by_closing(at + timedelta(hours=1), at, still_closed=True)
    assert domain.revoked_by_closing(T0, at, still_closed=False)
    assert not domain.revoked_by_closing(at + timedelta(hours=1), at, still_closed=False)
