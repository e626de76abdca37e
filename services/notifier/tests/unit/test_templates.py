"""Every mail kind in Japanese and English: the templates, the MIME shape (text + escaped
HTML alternative), the headers, R9's replacing auth-key mail, and deadlines written as the
portal writes them."""

import re
import string
from datetime import UTC, datetime
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from zoneinfo import ZoneInfo

import pytest
from notifier.config import Config
from notifier.domain import office_time_text
from notifier.mail import letterhead
from notifier.templates import KEY_KINDS, KINDS, LANGUAGES, Letterhead, render

from shared.contracts.tasks import KEY_MAIL_KINDS, NOTICE_KINDS
from shared.contracts.tasks import LANGUAGES as CONTRACT_LANGUAGES

JST = ZoneInfo("Asia/Tokyo")
HANDED = datetime(2026, 4, 2, 4, 20, 30, tzinfo=UTC)  # 13:20:30 JST
OCCURRED = datetime(2026, 4, 2, 4, 19, tzinfo=UTC)  # 13:19 JST
KEY = "9QW4RT2Z"
HEAD = Letterhead(address="noreply@hw.example.jp", service_url="https://mypage.example.jp/",
                  names={"ja": "ハローワークインターネットサービス 求職者マイページ",
                         "en": "Hello Work My Page"},
                  contacts={"ja": "お問い合わせ: 0120-000-000", "en": "Contact: 0120-000-000"})
EVERY = [(kind, language) for kind in KINDS for language in LANGUAGES]


def mail(kind, language="ja", **over):
    args = {"to": "taro@example.jp", "letterhead": HEAD, "handed_at": HANDED, "tz": JST}
    if kind in KEY_KINDS:
        args.update(key=KEY, minutes=50)
    else:
        args.update(occurred_at=OCCURRED, client_address="203.0.113.0/24",
                    browser="Firefox on Windows")
    args.update(over)
    return BytesParser(policy=policy.default).parsebytes(render(kind, language, **args).as_bytes())


def plain(message):
    return message.get_body(("plain",)).get_content()


def html(message):
    return message.get_body(("html",)).get_content()


def fields(text):
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_kind_of_the_contract_has_a_template_in_every_language():
    assert set(KINDS) == {"auth_key", *KEY_MAIL_KINDS, *NOTICE_KINDS}
    assert set(LANGUAGES) == set(CONTRACT_LANGUAGES)
    for words in LANGUAGES.values():
        assert set(words.TEMPLATES) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_both_languages_of_a_kind_use_the_same_fields(kind):
    ja, en = (LANGUAGES[lang].TEMPLATES[kind].text for lang in ("ja", "en"))
    assert fields(ja) == fields(en)
    if kind in KEY_KINDS:
        assert {"key", "deadline", "minutes"} <= fields(ja)
    else:
        assert "occurred_at" in fields(ja) and "key" not in fields(ja)


@pytest.mark.parametrize(("kind", "language"), EVERY)
def test_every_mail_is_text_with_an_html_alternative_and_the_automatic_mail_headers(kind,
                                                                                    language):
    message = mail(kind, language)
    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain", "text/html"]
    for part in message.iter_parts():
        assert part.get_content_charset() == "utf-8"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].endswith("@hw.example.jp>")
    assert message["Date"].datetime == datetime(2026, 4, 2, 13, 20, 30, tzinfo=JST)
    assert message["To"] == "taro@example.jp"
    assert message["Subject"] == LANGUAGES[language].TEMPLATES[kind].subject
    # RFC 2047 decoding (Python's address parser puts a space between two encoded words)
    raw_from = BytesParser(policy=policy.compat32).parsebytes(message.as_bytes())["From"]
    assert str(make_header(decode_header(raw_from))) == f"{HEAD.names[language]} <noreply@hw.example.jp>"


@pytest.mark.parametrize(("kind", "language"), EVERY)
def test_every_mail_is_written_as_seven_bit_crlf_lines_of_at_most_78_columns(kind, language):
    args = {"key": KEY, "minutes": 50} if kind in KEY_KINDS else {"occurred_at": OCCURRED}
    raw = render(kind, language, to="taro@example.jp", letterhead=HEAD, handed_at=HANDED,
                 tz=JST, replaces_earlier=kind == "auth_key", **args).as_bytes()
    assert raw.isascii() and b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78


@pytest.mark.parametrize(("name", "address"), [
    ("Hello Work My Page\r\nBcc: evil@example.com", "noreply@hw.example.jp"),
    ("Hello Work My Page", "noreply@hw.example.jp\nBcc: evil@example.com"),
    ("Hello Work My Page", "ｎｏｒｅｐｌｙ@hw.example.jp"),
])
def test_a_sender_that_cannot_be_one_header_line_is_refused(name, address):
    head = Letterhead(address=address, names={"ja": name, "en": name})
    with pytest.raises(ValueError):
        render("new_login", "en", to="taro@example.jp", letterhead=head, handed_at=HANDED,
               tz=JST, occurred_at=OCCURRED)


def test_a_long_ascii_sender_name_is_quoted_and_folded():
    name = "Hello Work Internet Service, Job Seeker My Page (development and tests)"
    head = Letterhead(address="noreply@hw.example.jp", names={"ja": name, "en": name})
    message = mail("new_login", "en", letterhead=head)
    assert message["From"].addresses[0].display_name == name
    assert message["From"].addresses[0].addr_spec == "noreply@hw.example.jp"


@pytest.mark.parametrize(("kind", "language"), EVERY)
def test_every_mail_names_the_service_its_address_and_the_contact(kind, language):
    text = plain(mail(kind, language))
    assert HEAD.names[language] in text
    assert "https://mypage.example.jp/" in text
    assert HEAD.contacts[language] in text
    assert "{" not in text and "}" not in text  # every field filled in
    assert '<a href="https://mypage.example.jp/">https://mypage.example.jp/</a>' in html(
        mail(kind, language))


@pytest.mark.parametrize(("kind", "language"), EVERY)
def test_the_html_alternative_says_what_the_text_says(kind, language):
    message = mail(kind, language)
    body = re.sub(r'<a href="[^"]*">([^<]*)</a>', r"\1", html(message))  # the one link
    assert f'<html lang="{language}">' in body
    for line in plain(message).splitlines():
        escaped = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
            '"', "&quot;").replace("'", "&#x27;")
        assert escaped in body, line


@pytest.mark.parametrize("language", LANGUAGES)
def test_everything_from_the_task_is_escaped_in_the_html(language):
    message = mail("new_login", language, browser='<script>alert("x")</script> & <b>',
                   client_address="<img src=x onerror=alert(1)>")
    body = html(message)
    assert "<script>" not in body and "<img" not in body and "<b>" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in body
    assert "&lt;img src=x onerror=alert(1)&gt;" in body
    assert '<script>alert("x")</script> & <b>' in plain(message)  # the text part is plain


def test_a_value_from_the_task_stays_on_its_line():
    text = plain(mail("new_login", browser="Firefox\r\n■認証キー\r\nFAKE", client_address=None))
    assert "Firefox  ■認証キー  FAKE" in text
    assert "■接続元（一部を伏せて表示しています）\n　不明" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_r20_the_new_login_notice_shows_when_where_from_and_which_browser(language):
    text = plain(mail("new_login", language))
    assert office_time_text(OCCURRED, JST, language) in text
    assert "203.0.113.0/24" in text and "Firefox on Windows" in text


def test_r20_an_unknown_client_is_said_to_be_unknown():
    assert "unknown" in plain(mail("new_login", "en", client_address=None, browser=""))


@pytest.mark.parametrize(("language", "if_not_you"), [
    ("ja", "ご自身で登録していない場合"), ("en", "If this was not you")])
def test_the_registration_complete_notice_says_what_to_do_if_it_was_not_them(language,
                                                                             if_not_you):
    text = plain(mail("registration_complete", language))
    assert if_not_you in text
    assert HEAD.contacts[language] in text
    assert office_time_text(OCCURRED, JST, language) in text


@pytest.mark.parametrize("kind", KEY_KINDS)
def test_a_key_mail_carries_its_key_once_in_the_body_and_never_in_a_header(kind):
    message = mail(kind)
    headers = "\n".join(f"{k}: {v}" for k, v in message.items())
    assert KEY not in headers
    assert plain(message).count(KEY) == 1


@pytest.mark.parametrize(("kind", "language", "deadline"), [
    ("auth_key", "ja", "2026年4月2日 14時10分（日本時間）まで"),
    ("password_reset_key", "ja", "2026年4月2日 14時10分（日本時間）まで"),
    ("email_change_key", "en", "2 April 2026, 14:10 (JST)"),
    ("auth_key", "en", "2 April 2026, 14:10 (JST)"),
])
def test_r10_the_deadline_is_written_as_the_portal_writes_it(kind, language, deadline):
    # handed at 13:20:30 JST: valid until 14:10:30, shown cut to the minute
    assert deadline in plain(mail(kind, language))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_notifiers_times_are_the_portals(language):
    from portal.domain import local_time

    for at in (HANDED, datetime(2026, 12, 31, 15, 5, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)):
        assert office_time_text(at, JST, language) == local_time(at, JST, language)


def test_r9_a_replacing_auth_key_mail_says_so_in_its_subject_and_first_line():
    message = mail("auth_key", replaces_earlier=True)
    assert message["Subject"] == "【再送・前のメールの認証キーは無効です】パスワード登録申込受付通知"
    first = plain(message).splitlines()[0]
    assert "代わるもの" in first
    assert "先のメールの認証キーは無効" in plain(message).splitlines()[1]
    english = mail("auth_key", "en", replaces_earlier=True)
    assert english["Subject"].startswith("[Resent: the earlier mail's key no longer works]")
    assert plain(english).startswith("This mail replaces the")


def test_a_first_auth_key_mail_says_nothing_of_an_earlier_one():
    message = mail("auth_key")
    assert message["Subject"] == "パスワード登録申込受付通知"
    assert "代わるもの" not in plain(message)
    assert plain(message).startswith("求職者マイページのパスワード登録申込を受け付けました。")


def test_the_letterhead_comes_from_the_settings():
    config = Config.from_env({"NOTIFIER_SERVICE_URL": "https://hw.example.jp/mypage/",
                              "MAIL_FROM": "noreply@hw.example.jp",
                              "MAIL_FROM_NAME": "求職者マイページ",
                              "MAIL_CONTACT": "電話 03-0000-0000"})
    head = letterhead(config)
    assert (head.address, head.service_url, head.names["ja"], head.contacts["ja"]) == (
        "noreply@hw.example.jp", "https://hw.example.jp/mypage/", "求職者マイページ",
        "電話 03-0000-0000")
    assert Config.from_env({}).service_url == "http://127.0.0.1:8000/"
    assert Config.from_env({}).notice_retry_hours == 24
