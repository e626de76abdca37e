"""R19 and R20's pure rules: the browser family, the masked address, the 90 days, and the
once-a-minute record of a session's last use."""

from datetime import UTC, datetime, timedelta

import pytest
from registration.clients import (
    UNKNOWN_BROWSER,
    Client,
    browser_family,
    client_of,
    is_new_client,
    seen_since,
)
from registration.domain import session_touch_due

from shared.clock import FixedClock

NOW = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)

FIREFOX_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 "
                   "Firefox/128.0")
CHROME_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, "
              "like Gecko) Chrome/126.0.0.0 Safari/537.36")
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
CHROME_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1")
CHROME_ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/126.0.0.0 Mobile Safari/537.36")
SAMSUNG_ANDROID = ("Mozilla/5.0 (Linux; Android 14; SM-S921B) AppleWebKit/537.36 (KHTML, like "
                   "Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36")
EDGE_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                "Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.56")
OPERA_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                 "Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0")
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI_MAC = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, "
              "like Gecko) Version/17.5 Safari/605.1.15")
CHROME_OS = ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
             "Chrome/126.0.0.0 Safari/537.36")


@pytest.mark.parametrize(("user_agent", "family"), [
    (FIREFOX_WINDOWS, "Firefox on Windows"),
    (CHROME_MAC, "Chrome on macOS"),
    (SAFARI_IPHONE, "Safari on iOS"),
    (CHROME_IPHONE, "Chrome on iOS"),
    (CHROME_ANDROID, "Chrome on Android"),
    (SAMSUNG_ANDROID, "Samsung Internet on Android"),
    (EDGE_WINDOWS, "Edge on Windows"),
    (OPERA_WINDOWS, "Opera on Windows"),
    (FIREFOX_LINUX, "Firefox on Linux"),
    (SAFARI_MAC, "Safari on macOS"),
    (CHROME_OS, "Chrome on ChromeOS"),
    ("Firefox/128.0", "Firefox"),
    ("curl/8.5.0", UNKNOWN_BROWSER),
    ("python-requests/2.32.3", UNKNOWN_BROWSER),
    ("Mozilla/5.0 (Windows NT 10.0) SomethingNew/1.0", f"{UNKNOWN_BROWSER} on Windows"),
    ("", UNKNOWN_BROWSER),
    (None, UNKNOWN_BROWSER),
])
def test_r19_browser_family_from_the_user_agent(user_agent, family):
    assert browser_family(user_agent) == family


def test_r19_browser_family_never_echoes_what_the_client_sent():
    hostile = "<script>alert(1)</script>\r\nBcc: x@example.jp " + "A" * 10_000
    assert browser_family(hostile) == UNKNOWN_BROWSER
    assert browser_family(hostile + " Firefox/1.0") == UNKNOWN_BROWSER  # read only near the start
    assert len(browser_family("Samsung " * 1000)) <= 100  # the notice task's limit


@pytest.mark.parametrize(("address", "masked"), [
    ("203.0.113.77", "203.0.113.0/24"),
    ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
    ("::ffff:198.51.100.9", "198.51.100.0/24"),
    ("not-an-address", "unknown"),
])
def test_r19_the_client_keeps_only_the_masked_address(address, masked):
    client = client_of(FIREFOX_WINDOWS, address)
    assert client == Client(browser="Firefox on Windows", client_address=masked)


def test_r20_a_client_never_seen_is_new():
    assert is_new_client(None, NOW)


def test_r20_a_client_seen_within_90_days_is_known_and_one_seen_longer_ago_is_new():
    clock = FixedClock(NOW)
    seen = clock.now()
    clock.advance(days=90)
    assert not is_new_client(seen, clock.now())  # exactly 90 days: still known
    clock.advance(seconds=1)
    assert is_new_client(seen, clock.now())
    assert seen_since(clock.now()) == clock.now() - timedelta(days=90)


def test_r20_the_90_days_are_configurable_in_the_rule():
    assert is_new_client(NOW - timedelta(days=8), NOW, days=7)
    assert not is_new_client(NOW - timedelta(days=6), NOW, days=7)


def test_r19_a_sessions_last_use_is_written_at_most_once_a_minute():
    assert not session_touch_due(NOW, NOW)
    assert not session_touch_due(NOW, NOW + timedelta(seconds=59))
    assert session_touch_due(NOW, NOW + timedelta(minutes=1))


def test_r19_the_openapi_document_lists_the_session_endpoints():
    from registration.api import openapi_document

    paths = openapi_document()["paths"]
    listed = paths["/v1/me/sessions"]["get"]
    assert listed["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert listed["security"] == [{"bearer": []}]
    assert set(paths["/v1/me/sessions"]) == {"get", "delete"}
    one = paths["/v1/me/sessions/{session_id}"]["delete"]
    assert {"204", "401", "404", "422"} <= set(one["responses"])
    assert one["parameters"][0]["name"] == "session_id"


def test_r19_a_session_id_that_is_no_uuid_is_refused_naming_the_field_in_both_languages():
    from marshmallow import ValidationError
    from registration import messages
    from registration.schemas import EndSessionRequest

    try:
        EndSessionRequest(session_token="t" * 43).load({"session_id": "1; DROP TABLE"})
    except ValidationError as exc:
        problems = exc.messages
    else:
        raise AssertionError("accepted")
    assert problems == {"session_id": [messages.BAD_SESSION_ID]}
    assert messages.MESSAGES.field_errors(problems, "ja")["session_id"][0].startswith("セッションID")
