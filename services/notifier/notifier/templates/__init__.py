"""Every mail the notifier sends, rendered from one template per kind and language
(`ja.py`, `en.py`: read those to review the wording).

A mail is a multipart/alternative message: the plain text, and an HTML alternative made
from the same text with every character escaped (only the service's address becomes a
link), so both parts always say the same. Headers: From with the sender's display name,
To, Subject, Date, a Message-ID on the sender's domain, and `Auto-Submitted:
auto-generated` (RFC 3834) so that auto-responders stay quiet.
"""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from zoneinfo import ZoneInfo

from notifier.domain import deadline_shown, office_time_text
from notifier.templates import en, ja
from notifier.templates.kinds import AUTH_KEY, KEY_KINDS, KINDS, Template

LANGUAGES = {"ja": ja, "en": en}

__all__ = ["AUTH_KEY", "KEY_KINDS", "KINDS", "LANGUAGES", "Letterhead", "Template", "render"]


@dataclass(frozen=True)
class Letterhead:
    """What every mail carries besides its own text (settings: notifier.config)."""

    address: str = "system@mail.example.jp"
    service_url: str = "http://127.0.0.1:8000/"
    names: dict[str, str] = field(default_factory=lambda: {
        "ja": "ハローワークインターネットサービス 求職者マイページ",
        "en": "Hello Work Internet Service - Job Seeker My Page"})
    contacts: dict[str, str] = field(default_factory=lambda: {
        "ja": "ご不明な点は、求職申込みをしたハローワークの窓口にお問い合わせください。",
        "en": "For questions, please ask at the Hello Work office where you registered."})

    @property
    def domain(self) -> str:
        return self.address.rpartition("@")[2] or "localhost"


def _plain(value: str | None, unknown: str) -> str:
    """A value from a task as one line: control characters (line breaks...) become spaces."""
    if not value:
        return unknown
    return "".join(" " if unicodedata.category(c).startswith("C") else c for c in value).strip() \
        or unknown


def render(kind: str, language: str, *, to: str, letterhead: Letterhead, handed_at: datetime,
           tz: ZoneInfo, key: str | None = None, minutes: int | None = None,
           replaces_earlier: bool = False, occurred_at: datetime | None = None,
           client_address: str | None = None, browser: str | None = None) -> EmailMessage:
    """The message of one mail. Key mails need `key` and `minutes` (the deadline shown is
    hand-over + minutes, cut to the minute); notices `occurred_at`. Times are written in
    the office time zone as the portal writes them."""
    words = LANGUAGES[language]
    template: Template = words.TEMPLATES[kind]
    values = {
        "service_url": letterhead.service_url,
        "replaces": words.REPLACES if replaces_earlier else "",
        "key": key or "",
        "minutes": minutes or "",
        "deadline": office_time_text(deadline_shown(handed_at, minutes), tz, language)
        if kind in KEY_KINDS else "",
        "occurred_at": office_time_text(occurred_at, tz, language) if occurred_at else "",
        "client_address": _plain(client_address, words.UNKNOWN),
        "browser": _plain(browser, words.UNKNOWN),
    }
    text = template.text.format_map(values) + words.FOOTER.format_map({
        "sender_name": letterhead.names[language], "service_url": letterhead.service_url,
        "contact": letterhead.contacts[language]})
    subject = (words.REPLACES_SUBJECT if replaces_earlier else "") + template.subject

    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = Address(display_name=letterhead.names[language],
                              addr_spec=letterhead.address)
    message["To"] = to
    message["Date"] = format_datetime(handed_at.astimezone(tz))
    message["Message-ID"] = make_msgid(domain=letterhead.domain)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message["Content-Language"] = language
    message.set_content(text, charset="utf-8", cte="base64")
    message.add_alternative(html_of(text, subject, language, letterhead.service_url),
                            subtype="html", charset="utf-8", cte="base64")
    return message


def html_of(text: str, title: str, language: str, service_url: str) -> str:
    """The HTML alternative: the text's paragraphs, every character escaped; the service's
    address (an http(s) URL from the settings) is the one link."""
    paragraphs = []
    for block in text.strip("\n").split("\n\n"):
        lines = [html.escape(line) for line in block.split("\n")]
        paragraphs.append("<p>" + "<br>\n".join(lines) + "</p>")
    body = "\n".join(paragraphs)
    if service_url.startswith(("https://", "http://")):
        url = html.escape(service_url)
        body = body.replace(url, f'<a href="{url}">{url}</a>')
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(language)}">\n<head>\n'
            f'<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n</head>\n'
            f'<body style="font-family: sans-serif; line-height: 1.6">\n{body}\n</body>\n</html>\n')
