from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from portal import domain

JST = ZoneInfo("Asia/Tokyo")


def test_r1_code_is_shown_in_two_groups_of_five_after_normalising():
    assert domain.code_in_groups("abcde fghjk") == "ABCDE-FGHJK"
    assert domain.code_in_groups("ＡＢＣＤＥ－ｆｇｈｊｋ") == "ABCDE-FGHJK"
    assert domain.code_in_groups("0il0o12345") == "0110012345"[:5] + "-" + "0110012345"[5:]


def test_r7_birth_date_in_western_calendar_is_normalised_from_common_spellings():
    assert domain.normalise_birth_date("1990-04-01") == "1990-04-01"
    assert domain.normalise_birth_date("1990/4/1") == "1990-04-01"
    assert domain.normalise_birth_date("19900401") == "1990-04-01"
    assert domain.normalise_birth_date("１９９０－０４－０１") == "1990-04-01"
    assert domain.normalise_birth_date("1990年4月1日") == "1990-04-01"


def test_r7_unreadable_birth_date_is_passed_on_for_the_api_to_refuse():
    assert domain.normalise_birth_date("平成2年4月1日") == "平成2年4月1日"
    assert domain.normalise_birth_date("") == ""


def test_r2_valid_until_is_shown_in_office_time_whatever_the_instant_zone():
    last_second = datetime(2026, 4, 6, 14, 59, 59, tzinfo=UTC)  # 23:59:59 JST
    assert domain.local_time(last_second, JST, "ja", seconds=True) == "2026年4月6日 23時59分59秒（日本時間）"
    assert domain.local_time(last_second, JST, "en", seconds=True) == "6 April 2026, 23:59:59 (JST)"
    assert domain.local_time(last_second, JST, "ja") == "2026年4月6日 23時59分（日本時間）"


def test_parse_instant_reads_z_and_offsets_and_refuses_naive_or_garbage():
    assert domain.parse_instant("2026-04-01T00:00:00Z") == datetime(2026, 4, 1, tzinfo=UTC)
    assert domain.parse_instant("2026-04-01T09:00:00+09:00") == datetime(2026, 4, 1, tzinfo=UTC)
    assert domain.parse_instant("2026-04-01T00:00:00") is None
    assert domain.parse_instant("soon") is None
    assert domain.parse_instant(None) is None


def test_r10_time_left_counts_down_to_the_deadline_and_stops_at_zero():
    deadline = datetime(2026, 4, 1, 0, 50, tzinfo=UTC)
    assert domain.seconds_left(deadline, datetime(2026, 4, 1, 0, 0, 55, tzinfo=UTC)) == 49 * 60 + 5
    assert domain.seconds_left(deadline, datetime(2026, 4, 1, 1, 0, tzinfo=UTC)) == 0
    assert domain.duration(49 * 60 + 5, "ja") == "49分05秒"
    assert domain.duration(49 * 60 + 5, "en") == "49 min 05 s"


def test_r8_both_documents_must_be_agreed():
    assert domain.missing_agreements(True, True) == []
    assert domain.missing_agreements(False, True) == ["privacy_policy"]
    assert domain.missing_agreements(True, False) == ["terms_of_use"]
    assert domain.missing_agreements(False, False) == ["privacy_policy", "terms_of_use"]


def test_r2_code_expiring_at_midnight_is_shown_valid_until_235959_of_the_fifth_day():
    first_invalid = datetime(2026, 4, 6, 15, 0, tzinfo=UTC)  # 4/7 00:00:00 JST
    shown = domain.last_valid_moment(first_invalid, JST)
    assert domain.local_time(shown, JST, "ja", seconds=True) == "2026年4月6日 23時59分59秒（日本時間）"
    other = datetime(2026, 4, 6, 14, 59, 59, tzinfo=UTC)  # already the last second
    assert domain.last_valid_moment(other, JST) == other


def test_r7_job_seeker_number_typed_without_its_hyphen_or_in_full_width_is_normalised():
    assert domain.normalise_job_seeker_number("12345-1234567") == "12345-1234567"
    assert domain.normalise_job_seeker_number("123451234567") == "12345-1234567"
    assert domain.normalise_job_seeker_number("123451") == "12345-1"
    assert domain.normalise_job_seeker_number("１２３４５－１２３４５６７") == "12345-1234567"
    assert domain.normalise_job_seeker_number("12345ー1234567") == "12345-1234567"
    assert domain.normalise_job_seeker_number(" 12345 1234567 ") == "12345-1234567"


def test_r7_unreadable_job_seeker_number_is_passed_on_for_the_api_to_refuse():
    assert domain.normalise_job_seeker_number("12345") == "12345"  # 5 digits: no serial part
    assert domain.normalise_job_seeker_number("1234512345678901") == "1234512345678901"
    assert domain.normalise_job_seeker_number("abc") == "abc"


def test_waits_are_told_in_minutes_rounded_up():
    assert domain.minutes_to_wait(899) == 15
    assert domain.minutes_to_wait(900) == 15
    assert domain.minutes_to_wait(901) == 16
    assert domain.minutes_to_wait(1) == 1
    assert domain.minutes_to_wait(0) == 1


def test_the_mails_time_is_named_in_office_time():
    at = datetime(2026, 4, 1, 4, 5, tzinfo=UTC)
    assert domain.clock_time(at, JST, "ja") == "13時05分"
    assert domain.clock_time(at, JST, "en") == "13:05"
