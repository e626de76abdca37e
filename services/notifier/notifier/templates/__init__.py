"""Every mail the notifier sends, rendered from one template per kind and language
(`ja.py`, `en.py`: read those to review the wording).

A mail is a multipart/alternative message: the plain text, and an HTML alternative made
from the same text with every character escaped (only the service's address becomes a
link), so both parts always say the same. Headers: From with the sender's display name,
To, Subject, Date, a Message-ID on the sender's domain, and `Auto-Submitted:
auto-generated` (RFC 3834) so that auto-responders stay quiet.

The message is written out as bytes here (`Mail`), ready for SMTP: building it as an
`EmailMessage` and flattening that cost about 5 ms of CPU per mail (the email package parses
every header it is given and refolds the encoded Japanese ones on output), more than the
rest of a mail's work in the worker; writing the same MIME directly costs about 0.2 ms.
`Mail.parsed()` reads it back as an `EmailMessage` for whoever wants to look inside.
"""

from __future__ import annotations

import base64
import html
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.header import Header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, formataddr, make_msgid
from zoneinfo import ZoneInfo

from notifier.domain import deadline_shown, office_time_text
from notifier.templates import en, ja
from notifier.templates.kinds import AUTH_KEY, KEY_KINDS, KINDS, Template

LANGUAGES = {"ja": ja, "en": en}

__all__ = ["AUTH_KEY", "KEY_KINDS", "KINDS", "LANGUAGES", "Letterhead", "Mail", "Template",
           "render"]


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


@dataclass(frozen=True)
class Mail:
    """One mail as the SMTP server receives it: the envelope, its Message-ID (recorded with
    the delivery) and the whole message as bytes (CRLF lines, 7-bit: headers RFC 2047
    encoded, both parts base64)."""

    sender: str
    recipient: str
    message_id: str
    data: bytes

    def as_bytes(self) -> bytes:
        return self.data

    def parsed(self) -> EmailMessage:
        """The message read back by the email package (tests, the operator's tools)."""
        return BytesParser(policy=policy.default).parsebytes(self.data)


def render(kind: str, language: str, *, to: str, letterhead: Letterhead, handed_at: datetime,
           tz: ZoneInfo, key: str | None = None, minutes: int | None = None,
           replaces_earlier: bool = False, occurred_at: datetime | None = None,
           client_address: str | None = None, browser: str | None = None) -> Mail:
    """The message of one mail. Key mails need `key` and `minutes` (the deadline shown is
    hand-over + minutes, cut to the minute); notices `occurred_at`. Times are written in
    the office time zone as the portal writes them. ValueError for an address that cannot
    be a header (a line break, or not ASCII: R6 lets only ASCII addresses in)."""
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
    message_id = make_msgid(domain=letterhead.domain)
    boundary = f"=_{uuid.uuid4().hex}"
    headers = (
        ("Subject", _encoded(subject, "Subject")),
        ("From", _sender(letterhead.names[language], _address(letterhead.address))),
        ("To", _address(to)),
        ("Date", format_datetime(handed_at.astimezone(tz))),
        ("Message-ID", message_id),
        ("Auto-Submitted", "auto-generated"),
        ("X-Auto-Response-Suppress", "All"),
        ("Content-Language", _address(language)),
        ("MIME-Version", "1.0"),
        ("Content-Type", f'multipart/alternative;\r\n boundary="{boundary}"'),
    )
    parts = (("plain", text), ("html", html_of(text, subject, language, letterhead.service_url)))
    lines = [f"{name}: {value}" for name, value in headers]
    for subtype, content in parts:
        lines += ["", f"--{boundary}", f'Content-Type: text/{subtype}; charset="utf-8"',
                  "Content-Transfer-Encoding: base64", "", _base64(content)]
    lines += [f"--{boundary}--", ""]
    return Mail(sender=letterhead.address, recipient=to, message_id=message_id,
                data="\r\n".join(lines).encode("ascii"))


def _address(value: str) -> str:
    """An address (or another plain value) as a header takes it, unencoded."""
    if not value.isascii() or "\r" in value or "\n" in value:
        raise ValueError("a header value must be one line of ASCII")
    return value


def _encoded(value: str, name: str) -> str:
    """A header's text, RFC 2047 encoded where it is not ASCII, folded below 78 columns."""
    if "\r" in value or "\n" in value:
        raise ValueError("a header value must be one line")
    return Header(value, header_name=name).encode(linesep="\r\n")


def _sender(display_name: str, address: str) -> str:
    """From: the display name (quoted where needed, RFC 2047 encoded where it is not ASCII)
    and the address, which goes on a line of its own when one line would pass 78 columns."""
    if "\r" in display_name or "\n" in display_name:
        raise ValueError("a header value must be one line")
    if display_name.isascii():
        whole = formataddr((display_name, address))
        if len(whole) <= 72:
            return whole
        name = formataddr((display_name, "x@x"))[: -len(" <x@x>")]
    else:
        name = _encoded(display_name, "From")
    return f"{name}\r\n <{address}>"


def _base64(content: str) -> str:
    """A part's body: UTF-8, base64 in lines of 76 characters."""
    return base64.encodebytes(content.encode("utf-8")).decode("ascii").replace(
        "\n", "\r\n").rstrip("\r\n")


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
