"""The mails' messages (notifier.templates) as the settings make them, and the SMTP mailer
that sends them."""

from __future__ import annotations

import smtplib
import ssl
import threading
import time
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from notifier.config import Config
from notifier.templates import AUTH_KEY, Letterhead, Mail, ja, render
from shared.logs import mask_text

SUBJECT = ja.TEMPLATES[AUTH_KEY].subject  # パスワード登録申込受付通知


def letterhead(config: Config) -> Letterhead:
    """The sender, the service's address and the contact line, from the settings."""
    return Letterhead(address=config.mail_from, service_url=config.service_url,
                      names={"ja": config.mail_from_name, "en": config.mail_from_name_en},
                      contacts={"ja": config.mail_contact, "en": config.mail_contact_en})


def render_auth_key_mail(*, to: str, auth_key: str, handed_at: datetime, minutes: int,
                         tz: ZoneInfo, mail_from: str | None = None,
                         heading: Letterhead | None = None, replaces_earlier: bool = False,
                         language: str = "ja") -> Mail:
    """The auth-key mail (パスワード登録申込受付通知, R9, R10); the key is its only secret.
    `mail_from` alone gives the default letterhead with that sender."""
    if heading is None:
        heading = Letterhead(address=mail_from or Letterhead().address)
    return render(AUTH_KEY, language, to=to, letterhead=heading, handed_at=handed_at, tz=tz,
                  key=auth_key, minutes=minutes, replaces_earlier=replaces_earlier)


class DeliveryError(Exception):
    """The mail was not accepted; `permanent` for a 5xx answer, else worth retrying.
    `detail` is safe to log: it never holds the recipient's address."""

    def __init__(self, detail: str, permanent: bool):
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


def delivery_error(exc: Exception) -> DeliveryError:
    """Classify an smtplib or socket error: 5xx is permanent, 4xx and the rest transient."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted(code for code, _text in exc.recipients.values())
        return DeliveryError(f"recipient refused {codes}", all(c >= 500 for c in codes))
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        detail = mask_text(f"{exc.smtp_code} {text}")[:200]
        return DeliveryError(detail, 500 <= exc.smtp_code < 600)
    return DeliveryError(f"{type(exc).__name__}: {mask_text(str(exc))[:150]}", permanent=False)


class Mailer(Protocol):
    def send(self, message: Mail) -> None:
        """Hand the message to the mail server; DeliveryError if it was not accepted."""


class SmtpMailer:
    """Sends over SMTP with optional STARTTLS and login, keeping the connection for the next
    mail: opening one (TCP, greeting, EHLO, STARTTLS, login, QUIT) cost the worker and the
    mail server more CPU than the mail itself. A kept connection is checked with NOOP before
    it carries a mail, and replaced when that fails or when it is older than `reuse_seconds`
    (0: one connection per mail), so a mail is never sent twice by a retry of ours. After
    any failure the connection is dropped and the next mail opens a new one."""

    def __init__(self, host: str, port: int, *, starttls: bool = False, user: str = "",
                 password: str = "", timeout: float = 30.0, ca_file: str | None = None,
                 reuse_seconds: float = 60.0):
        self.host = host
        self.port = port
        self.starttls = starttls
        self.ca_file = ca_file
        self.user = user
        self.password = password
        self.timeout = timeout
        self.reuse_seconds = reuse_seconds
        self._lock = threading.Lock()  # one conversation at a time on the kept connection
        self._smtp: smtplib.SMTP | None = None
        self._opened_at = 0.0

    def send(self, message: Mail) -> None:
        with self._lock:
            smtp = self._connection()
            try:
                smtp.sendmail(message.sender, [message.recipient], message.data)
            except (smtplib.SMTPException, OSError) as exc:
                self.close()
                raise delivery_error(exc) from None
            if not self.reuse_seconds:
                self.close()

    def _connection(self) -> smtplib.SMTP:
        """The kept connection if it is young enough and answers NOOP, else a new one."""
        if self._smtp is not None:
            if time.monotonic() - self._opened_at < self.reuse_seconds and self._alive():
                return self._smtp
            self.close()
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (smtplib.SMTPException, OSError) as exc:
            raise delivery_error(exc) from None
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=self.ca_file))
            if self.user:
                smtp.login(self.user, self.password)
        except (smtplib.SMTPException, OSError) as exc:
            smtp.close()
            raise delivery_error(exc) from None
        self._smtp, self._opened_at = smtp, time.monotonic()
        return smtp

    def _alive(self) -> bool:
        try:
            return self._smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def close(self) -> None:
        """QUIT the kept connection, if any (a failing QUIT changes nothing)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()
