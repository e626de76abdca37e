import os
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from code_issuer import domain

JST = ZoneInfo("Asia/Tokyo")


def jst(*args) -> datetime:
    return datetime(*args, tzinfo=JST)


def valid(issued: datetime, now: datetime) -> bool:
    return not domain.is_expired(domain.expires_at(issued, JST), now)


@pytest.fixture(params=["UTC", "America/New_York", "Asia/Tokyo"])
def process_zone(request):
    """Run the test with the process's local time zone set to another zone."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.mark.parametrize("issued", [jst(2026, 4, 1, 0, 0, 0), jst(2026, 4, 1, 23, 59, 59)])
def test_r2_code_issued_4_1_is_valid_at_4_6_235959_and_invalid_at_4_7_midnight(issued, process_zone):
    assert time.localtime().tm_zone != "" and os.environ["TZ"] == process_zone
    assert valid(issued, jst(2026, 4, 6, 23, 59, 59))
    assert valid(issued, jst(2026, 4, 6, 23, 59, 59, 999999))
    assert not valid(issued, jst(2026, 4, 7, 0, 0, 0))
    assert domain.expires_at(issued, JST) == jst(2026, 4, 7)
    assert domain.expires_at(issued, JST).astimezone(UTC) == datetime(2026, 4, 6, 15, tzinfo=UTC)


def test_r2_issue_date_is_the_office_date_not_the_utc_date(process_zone):
    # 2026-04-01 00:30 JST is still 03-31 in UTC: the office date (4/1) decides.
    issued = datetime(2026, 3, 31, 15, 30, tzinfo=UTC)
    assert domain.expires_at(issued, JST) == jst(2026, 4, 7)


def test_r2_valid_right_after_issue():
    issued = jst(2026, 4, 1, 12)
    assert valid(issued, issued) and valid(issued, issued + timedelta(days=5))


@pytest.mark.parametrize(("issued", "last_day"), [
    (jst(2026, 1, 28, 9), jst(2026, 2, 2)),     # month end
    (jst(2026, 12, 29, 17), jst(2027, 1, 3)),   # year end
    (jst(2028, 2, 24, 10), jst(2028, 2, 29)),   # ends on 29 February
    (jst(2028, 2, 29, 10), jst(2028, 3, 5)),    # issued on 29 February
    (jst(2026, 2, 25, 10), jst(2026, 3, 2)),    # no 29 February that year
])
def test_r2_month_end_year_end_and_29_february(issued, last_day, process_zone):
    end = last_day + timedelta(days=1)
    assert domain.expires_at(issued, JST) == end
    assert valid(issued, end - timedelta(seconds=1))
    assert not valid(issued, end)


def test_r2_validity_days_are_configurable():
    assert domain.expires_at(jst(2026, 4, 1, 8), JST, validity_days=1) == jst(2026, 4, 3)


def test_r2_naive_issue_time_is_refused():
    with pytest.raises(ValueError):
        domain.expires_at(datetime(2026, 4, 1, 8), JST)


def test_r2_status_is_active_until_expiry_then_expired():
    code = domain.CodeState(None, jst(2026, 4, 7))
    assert domain.status(code, jst(2026, 4, 6, 23, 59, 59)) == "active"
    assert domain.status(code, jst(2026, 4, 7)) == "expired"


def test_status_keeps_the_first_recorded_death_even_after_expiry():
    code = domain.CodeState("used", jst(2026, 4, 7))
    assert domain.status(code, jst(2026, 4, 2)) == "used"
    assert domain.status(code, jst(2026, 5, 1)) == "used"
