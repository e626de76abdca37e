import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from registration.domain import (
    Code,
    SessionTimes,
    auth_key_expired,
    auth_key_valid_until,
    code_status,
    codes_to_charge,
    identity_refusal,
    mail_window_start,
    session_active,
    session_expires_at,
)

from shared.clock import FixedClock

ISSUED = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)  # 10:00 JST
EXPIRES = datetime(2026, 4, 6, 15, 0, tzinfo=UTC)  # 4/7 00:00 JST, per R2
NUMBER, BIRTH = "12345-1234567", date(1990, 1, 2)


def code(**over) -> Code:
    values = dict(code_id=uuid.uuid4(), job_seeker_number=NUMBER, birth_date=BIRTH,
                  issued_at=ISSUED, expires_at=EXPIRES)
    values.update(over)
    return Code(**values)


# --- R10 -------------------------------------------------------------------------------
def test_r10_key_is_valid_at_49_59_after_delivery_and_refused_at_50_00():
    delivered = ISSUED + timedelta(minutes=7)
    clock = FixedClock(delivered + timedelta(minutes=49, seconds=59))
    assert not auth_key_expired(ISSUED, delivered, clock.now())
    clock.advance(seconds=1)
    assert auth_key_expired(ISSUED, delivered, clock.now())


def test_r10_while_delivery_is_unknown_the_50_minutes_count_from_issue():
    clock = FixedClock(ISSUED + timedelta(minutes=49, seconds=59))
    assert not auth_key_expired(ISSUED, None, clock.now())
    clock.advance(seconds=1)
    assert auth_key_expired(ISSUED, None, clock.now())
    assert auth_key_valid_until(ISSUED, None) == ISSUED + timedelta(minutes=50)


def test_r10_a_late_delivery_extends_the_key_beyond_issue_plus_50_minutes():
    delivered = ISSUED + timedelta(minutes=20)
    now = ISSUED + timedelta(minutes=60)
    assert auth_key_expired(ISSUED, None, now)
    assert not auth_key_expired(ISSUED, delivered, now)


def test_r10_the_validity_is_configurable():
    assert auth_key_valid_until(ISSUED, None, minutes=10) == ISSUED + timedelta(minutes=10)


# --- R2-R5 code status -------------------------------------------------------------------
def test_r2_a_code_is_active_until_its_expiry_by_the_app_clock_without_waiting_for_beat():
    clock = FixedClock(EXPIRES - timedelta(seconds=1))
    assert code_status(code(), clock.now()) == "active"
    clock.advance(seconds=1)
    assert code_status(code(), clock.now()) == "expired"


@pytest.mark.parametrize("over, status", [
    ({"used_at": ISSUED}, "used"),
    ({"invalidated_at": ISSUED}, "invalidated"),
    ({"superseded_at": ISSUED}, "superseded"),
    ({"revoked_at": ISSUED, "revoke_reason": "superseded"}, "superseded"),
    ({"revoked_at": ISSUED, "revoke_reason": "revoked_by_office"}, "revoked"),
    ({"revoked_at": ISSUED, "revoke_reason": "job_seeker_closed"}, "revoked"),
    ({"expired_at": ISSUED}, "expired"),
    ({"used_at": ISSUED, "expired_at": ISSUED}, "used"),
    ({"invalidated_at": ISSUED, "superseded_at": ISSUED}, "invalidated"),
])
def test_r5_each_dead_code_has_its_reason(over, status):
    assert code_status(code(**over), ISSUED) == status


def test_r5_a_tombstone_without_its_issue_is_never_active():
    tomb = Code(code_id=uuid.uuid4(), job_seeker_number=None, birth_date=None,
                issued_at=None, expires_at=None, revoked_at=ISSUED)
    assert code_status(tomb, ISSUED) == "revoked"


def test_r5_the_reason_is_told_only_when_the_whole_triple_matches():
    dead = code(superseded_at=ISSUED)
    assert identity_refusal(dead, NUMBER, BIRTH, ISSUED) == "CODE_SUPERSEDED"
    assert identity_refusal(dead, NUMBER, date(1990, 1, 3), ISSUED) == "IDENTITY_MISMATCH"
    assert identity_refusal(dead, "12345-1", BIRTH, ISSUED) == "IDENTITY_MISMATCH"
    assert identity_refusal(None, NUMBER, BIRTH, ISSUED) == "IDENTITY_MISMATCH"
    assert identity_refusal(code(used_at=ISSUED), NUMBER, BIRTH, ISSUED) == "CODE_ALREADY_USED"
    assert identity_refusal(code(), NUMBER, BIRTH, ISSUED) is None


def test_r4_a_failure_counts_against_the_numbers_code_and_the_entered_codes_if_other():
    mine, other = code(), code(job_seeker_number="99999-1")
    assert codes_to_charge(mine, other, ISSUED) == sorted([mine.code_id, other.code_id])
    assert codes_to_charge(mine, mine, ISSUED) == [mine.code_id]
    assert codes_to_charge(None, other, ISSUED) == [other.code_id]
    assert codes_to_charge(None, None, ISSUED) == []


def test_r4_dead_codes_are_never_charged():
    assert codes_to_charge(code(invalidated_at=ISSUED), code(used_at=ISSUED), ISSUED) == []
    assert codes_to_charge(code(), None, EXPIRES) == []


# --- R9 -------------------------------------------------------------------------------
def test_r9_mails_are_counted_over_the_last_hour():
    assert mail_window_start(ISSUED) == ISSUED - timedelta(hours=1)


# --- R13 ------------------------------------------------------------------------------
IDLE, ABSOLUTE = timedelta(minutes=30), timedelta(hours=12)


def test_r13_a_session_expires_after_30_idle_minutes():
    times = SessionTimes(ISSUED, ISSUED)
    clock = FixedClock(ISSUED + timedelta(minutes=29, seconds=59))
    assert session_active(times, clock.now(), IDLE, ABSOLUTE)
    clock.advance(seconds=1)
    assert not session_active(times, clock.now(), IDLE, ABSOLUTE)


def test_r13_use_moves_the_idle_expiry_but_never_past_the_absolute_one():
    times = SessionTimes(ISSUED, ISSUED + timedelta(hours=11, minutes=50))
    assert session_expires_at(times, IDLE, ABSOLUTE) == ISSUED + ABSOLUTE
    assert session_active(times, ISSUED + timedelta(hours=11, minutes=59), IDLE, ABSOLUTE)
    assert not session_active(times, ISSUED + ABSOLUTE, IDLE, ABSOLUTE)
