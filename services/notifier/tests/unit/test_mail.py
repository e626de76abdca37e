import os
import smtplib
import time
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
from notifier.mail import SUBJECT, delivery_error, render_auth_key_mail

JST = ZoneInfo("Asia/Tokyo")
KEY = "7K3QZ9MX"


def render(handed_at=datetime(2026, 4, 1, 1, 0, 30, tzinfo=UTC), **over):
    args = {"to": "taro@example.jp", "auth_key": KEY, "handed_at": handed_at, "minutes": 50,
            "tz": JST, "mail_from": "system@mail.example.jp"}
    args.update(over)
    return render_auth_key_mail(**args)


def parsed(message):
    return BytesParser(policy=policy.default).parsebytes(message.as_bytes())


def test_subject_is_encoded_and_decodes_to_the_japanese_title():
    raw = render().as_bytes()
    assert b"=?utf-8?" in raw.split(b"\n\n")[0]  # the header is MIME-encoded, not raw UTF-8
    assert parsed(render())["Subject"] == SUBJECT == "パスワード登録申込受付通知"


def test_r10_deadline_shown_is_fifty_minutes_after_handing_to_smtp_in_jst():
    # handed at 10:00:30 JST -> valid until 10:50:30; shown cut to the minute, never later
    text = parsed(render()).get_body(("plain",)).get_content()
    assert "2026年4月1日 10時50分（日本時間）まで" in text


def test_deadline_shown_crosses_midnight_in_office_time():
    text = parsed(render(handed_at=datetime(2026, 3, 31, 14, 30, tzinfo=UTC))).get_body(
        ("plain",)).get_content()
    assert "2026年4月1日 0時20分" in text  # 23:30 JST + 50 minutes


def test_deadline_does_not_depend_on_the_server_time_zone():
    before = os.environ.get("TZ")
    try:
        os.environ["TZ"] = "America/New_York"
        time.tzset()
        text = parsed(render()).get_body(("plain",)).get_content()
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()
    assert "2026年4月1日 10時50分" in text


def test_mail_carries_the_key_what_to_do_next_and_what_to_do_if_unexpected():
    text = parsed(render()).get_body(("plain",)).get_content()
    assert text.count(KEY) == 1
    assert "「パスワード登録」画面" in text and "認証キーを入力" in text
    assert "お心当たりのない場合" in text and "破棄" in text


def test_the_key_is_the_only_secret_and_appears_only_in_the_body():
    message = render()
    headers = "\n".join(f"{k}: {v}" for k, v in parsed(message).items())
    assert KEY not in headers
    assert KEY in parsed(message).get_body(("plain",)).get_content()
    # nothing but the text, the key and the deadline goes into the body
    other = render(auth_key="ABCDEFGH")
    assert (parsed(message).get_body(("plain",)).get_content().replace(KEY, "ABCDEFGH")
            == parsed(other).get_body(("plain",)).get_content())


def test_message_is_proper_mime_with_date_message_id_and_configured_from():
    message = parsed(render(mail_from="noreply@office.example.jp"))
    assert message["From"].addresses[0].addr_spec == "noreply@office.example.jp"
    assert message["To"] == "taro@example.jp"
    assert message["Date"].datetime == datetime(2026, 4, 1, 10, 0, 30, tzinfo=JST)
    assert message["Message-ID"].endswith("@office.example.jp>")
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(("plain",))
    assert plain.get_content_charset() == "utf-8"
    assert plain["Content-Transfer-Encoding"] == "base64"
    assert message["MIME-Version"] == "1.0"


def test_a_header_injection_in_the_address_is_refused():
    with pytest.raises(ValueError):
        render(to="taro@example.jp\r\nBcc: evil@example.com")


def test_4xx_and_connection_errors_are_transient_and_5xx_permanent():
    refused = smtplib.SMTPRecipientsRefused({"taro@example.jp": (451, b"try later")})
    assert delivery_error(refused).permanent is False
    rejected = smtplib.SMTPRecipientsRefused({"taro@example.jp": (550, b"no such user")})
    assert delivery_error(rejected).permanent is True
    assert delivery_error(smtplib.SMTPDataError(554, b"rejected")).permanent is True
    assert delivery_error(smtplib.SMTPDataError(452, b"full")).permanent is False
    assert delivery_error(ConnectionRefusedError(111, "refused")).permanent is False
    assert delivery_error(smtplib.SMTPServerDisconnected("gone")).permanent is False


def test_delivery_errors_never_carry_the_address():
    refused = smtplib.SMTPRecipientsRefused({"taro@example.jp": (550, b"<taro@example.jp> unknown")})
    data = smtplib.SMTPDataError(550, b"<taro@example.jp> unknown")
    for exc in (refused, data):
        assert "taro@example.jp" not in delivery_error(exc).detail
