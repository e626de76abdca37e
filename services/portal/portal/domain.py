"""Pure presentation rules of the portal: no I/O, no framework; `now` comes in."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.tokens import group, normalise_crockford

_DATE_PARTS = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_DATE_DIGITS = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def code_in_groups(code: str) -> str:
    """R1: the code printed as ABCDE-FGHJK for reading aloud and typing."""
    return group(normalise_crockford(code), 5)


def normalise_birth_date(text: str) -> str:
    """A western-calendar date typed as 1990-04-01, 1990/4/1, 19900401 or in full width,
    as the API's YYYY-MM-DD; anything else is passed on for the API to refuse (R7)."""
    folded = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    match = _DATE_PARTS.match(folded) or _DATE_DIGITS.match(folded)
    if not match:
        return folded
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


_NUMBER_PARTS = re.compile(r"^(\d{5})-?(\d{1,8})$")
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70"


def normalise_job_seeker_number(text: str) -> str:
    """R7: 12345-1234567, also typed in full width, with a look-alike dash, with spaces, or
    without its hyphen (6-13 digits: the first 5 are the office part), since phone keypads
    may lack a minus key. Anything else is passed on for the API to refuse."""
    folded = unicodedata.normalize("NFKC", text).strip()
    for dash in _DASHES:
        folded = folded.replace(dash, "-")
    folded = folded.replace(" ", "")
    match = _NUMBER_PARTS.match(folded)
    return f"{match.group(1)}-{match.group(2)}" if match else folded


def parse_instant(text: str) -> datetime | None:
    """An ISO 8601 instant from an API (Z or offset); None when unreadable or naive."""
    try:
        at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return at.astimezone(UTC) if at.tzinfo else None


_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def local_time(at: datetime, tz: ZoneInfo, lang: str, seconds: bool = False) -> str:
    """An instant as the office reads it: 2026年4月6日 23時59分 (日本時間)."""
    local = at.astimezone(tz)
    zone = local.tzname() or str(tz)
    if lang == "en":
        clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
        return f"{local.day} {_EN_MONTHS[local.month - 1]} {local.year}, {clock} ({zone})"
    clock = f"{local.hour}時{local.minute:02d}分" + (f"{local.second:02d}秒" if seconds else "")
    label = "日本時間" if zone == "JST" else zone
    return f"{local.year}年{local.month}月{local.day}日 {clock}（{label}）"


def clock_time(at: datetime, tz: ZoneInfo, lang: str) -> str:
    """Only the office's hour and minute, as the mail's time is named: 13時05分 / 13:05."""
    local = at.astimezone(tz)
    return f"{local:%H:%M}" if lang == "en" else f"{local.hour}時{local.minute:02d}分"


def minutes_to_wait(seconds: int) -> int:
    """A wait told in whole minutes, rounded up (899 s → 15), never less than 1."""
    return max(1, math.ceil(max(0, seconds) / 60))


def last_valid_moment(expires_at: datetime, tz: ZoneInfo) -> datetime:
    """R2: an API's `expires_at` is the first instant a code is invalid (00:00:00 of the
    6th day, office time); people read the last valid second, 23:59:59 of the 5th."""
    local = expires_at.astimezone(tz)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return expires_at - timedelta(seconds=1)
    return expires_at


def seconds_left(expires_at: datetime, now: datetime) -> int:
    """Whole seconds until `expires_at`, never negative."""
    return max(0, int((expires_at - now).total_seconds()))


def duration(seconds: int, lang: str) -> str:
    """A time left as 49分05秒 / 49 min 05 s."""
    minutes, rest = divmod(max(0, seconds), 60)
    if lang == "en":
        return f"{minutes} min {rest:02d} s"
    return f"{minutes}分{rest:02d}秒"


def missing_agreements(privacy: bool, terms: bool) -> list[str]:
    """R8: the documents not yet agreed (both must be, before step 2)."""
    missing = []
    if not privacy:
        missing.append("privacy_policy")
    if not terms:
        missing.append("terms_of_use")
    return missing


def counter_session_over(since: datetime, seen: datetime, now: datetime, absolute: timedelta,
                         idle: timedelta) -> str | None:
    """Why a counter sign-in has ended at `now`: "expired" once `absolute` has passed since
    the sign-in, "idle" once `idle` has passed since its last request; None while it lasts."""
    if now - since >= absolute:
        return "expired"
    if now - seen >= idle:
        return "idle"
    return None


def counter_session_seconds_left(since: datetime, now: datetime, absolute: timedelta,
                                 idle: timedelta) -> int:
    """How long the store may keep a counter sign-in used at `now` (whole seconds, >= 1)."""
    left = min(since + absolute - now, idle)
    return max(1, int(left.total_seconds()))
