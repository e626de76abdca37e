import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from notifier.domain import (
    AUTH_KEY_EXPIRED,
    CODE_EXPIRED,
    EXPIRED_BEFORE_DELIVERY,
    KEY_EXPIRED_BEFORE_DELIVERY,
    REJECTED_BY_MAIL_SERVER,
    RETRY_WINDOW_PASSED,
    GiveUp,
    Retry,
    RetryPolicy,
    after_failure,
    auth_key_expiry,
    code_expiry,
    deadline_shown,
    may_attempt,
    notice_deadline,
    office_time_text,
)

from shared.clock import FixedClock

ISSUED = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
VALID_UNTIL = ISSUED + timedelta(minutes=50)
POLICY = RetryPolicy(base_seconds=2, max_seconds=30)


def test_r10_a_transient_failure_is_retried_while_the_key_is_valid():
    decision = after_failure(ISSUED + timedelta(minutes=10), VALID_UNTIL, 0, False, POLICY)
    assert decision == Retry(countdown=2)


def test_r10_no_retry_once_the_key_expired():
    assert after_failure(VALID_UNTIL, VALID_UNTIL, 3, False, POLICY) == GiveUp(EXPIRED_BEFORE_DELIVERY)
    assert after_failure(VALID_UNTIL + timedelta(seconds=1), VALID_UNTIL, 3, False,
                         POLICY) == GiveUp(EXPIRED_BEFORE_DELIVERY)


def test_r10_retry_wait_is_short_exponential_capped_and_never_past_valid_until():
    now = ISSUED
    waits = [after_failure(now, VALID_UNTIL, n, False, POLICY).countdown for n in range(7)]
    assert waits == [2, 4, 8, 16, 30, 30, 30]
    near_the_end = VALID_UNTIL - timedelta(seconds=3)
    assert after_failure(near_the_end, VALID_UNTIL, 6, False, POLICY) == Retry(countdown=3)


def test_a_permanent_rejection_gives_up_at_once():
    assert after_failure(ISSUED, VALID_UNTIL, 0, True, POLICY) == GiveUp(REJECTED_BY_MAIL_SERVER)


def test_r10_a_mail_is_attempted_only_before_valid_until():
    clock = FixedClock(VALID_UNTIL - timedelta(microseconds=1))
    assert may_attempt(clock.now(), VALID_UNTIL)
    clock.advance(microseconds=1)
    assert not may_attempt(clock.now(), VALID_UNTIL)


def test_r10_auth_key_expiry_timer_is_due_fifty_minutes_after_delivery():
    application_id = uuid.uuid4()
    delivered_at = ISSUED + timedelta(minutes=7, seconds=3)
    timer = auth_key_expiry(application_id, delivered_at, 50)
    assert timer.kind == AUTH_KEY_EXPIRED
    assert timer.due_at == delivered_at + timedelta(minutes=50)
    assert timer.payload() == {"application_id": application_id, "expired_at": timer.due_at}


def test_timer_due_ness_follows_the_injected_clock():
    expires_at = datetime(2026, 4, 6, 15, 0, tzinfo=UTC)  # 4/7 00:00 JST
    timer = code_expiry(uuid.uuid4(), expires_at)
    clock = FixedClock(expires_at - timedelta(seconds=1))
    assert not timer.is_due(clock.now())
    clock.advance(seconds=1)
    assert timer.is_due(clock.now())
    clock.advance(days=3)  # a late sweep still finds it due
    assert timer.is_due(clock.now())


def test_r2_code_expired_is_due_when_the_code_validity_ends():
    code_id = uuid.uuid4()
    expires_at = datetime(2026, 4, 6, 14, 59, 59, tzinfo=UTC)
    timer = code_expiry(code_id, expires_at)
    assert timer.kind == CODE_EXPIRED and timer.due_at == expires_at
    assert timer.payload() == {"code_id": code_id, "expired_at": expires_at}


def test_deadline_shown_is_never_later_than_the_real_one():
    handed_at = datetime(2026, 4, 1, 1, 0, 59, 999999, tzinfo=UTC)
    shown = deadline_shown(handed_at, 50)
    assert shown <= handed_at + timedelta(minutes=50)
    assert office_time_text(shown, ZoneInfo("Asia/Tokyo")) == "2026年4月1日 10時50分（日本時間）"


def test_a_revoked_codes_expiry_records_why_the_same_whichever_event_comes_first():
    from notifier.domain import revoked_reason

    assert revoked_reason("superseded") == "revoked:superseded"
    assert len(revoked_reason("x" * 200)) == 100


def test_r15_a_key_mail_past_its_key_is_given_up_with_its_own_reason():
    decision = after_failure(VALID_UNTIL, VALID_UNTIL, 3, False, POLICY,
                             expired=KEY_EXPIRED_BEFORE_DELIVERY)
    assert decision == GiveUp(KEY_EXPIRED_BEFORE_DELIVERY)


def test_a_notice_is_tried_for_its_window_from_the_first_attempt():
    deadline = notice_deadline(ISSUED, 24)
    assert deadline == ISSUED + timedelta(hours=24)
    assert after_failure(deadline - timedelta(seconds=1), deadline, 9, False, POLICY,
                         expired=RETRY_WINDOW_PASSED) == Retry(countdown=1)
    assert after_failure(deadline, deadline, 9, False, POLICY,
                         expired=RETRY_WINDOW_PASSED) == GiveUp(RETRY_WINDOW_PASSED)


def test_times_are_written_in_english_too_and_in_another_office_zone():
    assert office_time_text(ISSUED, ZoneInfo("Asia/Tokyo"), "en") == "1 April 2026, 10:00 (JST)"
    assert office_time_text(ISSUED, ZoneInfo("Europe/Paris")) == "2026年4月1日 3時00分（CEST）"
