"""The auth-key mail (パスワード登録申込受付通知) and the SMTP mailer that sends it."""

from __future__ import annotations

import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol
from zoneinfo import ZoneInfo

from notifier.domain import deadline_shown, office_time_text
from shared.logs import mask_text

SUBJECT = "パスワード登録申込受付通知"

BODY = """\
求職者マイページのパスワード登録申込を受け付けました。

■認証キー
　{auth_key}

■認証キーの有効期限
　{deadline} まで（日本時間）
　このメールの配信から{minutes}分を過ぎると、認証キーは無効になります。

■次に行うこと
　お申込みのときに開いた「パスワード登録」画面で、登録するパスワード
　（確認用を含む）と上記の認証キーを入力し、「完了」ボタンを押してください。
　有効期限を過ぎた場合や「パスワード登録」画面を閉じてしまった場合は、
　はじめからパスワード登録をやり直してください。

■このメールにお心当たりのない場合
　どなたかがメールアドレスを誤って入力した可能性があります。
　このメールは破棄してください。認証キーが入力されない限り、
　パスワードの登録やアカウントの作成は行われません。

※このメールは送信専用のアドレスから送信しています。返信にはお答えできません。
"""


def render_auth_key_mail(*, to: str, auth_key: str, handed_at: datetime, minutes: int,
                         tz: ZoneInfo, mail_from: str) -> EmailMessage:
    """The MIME message (UTF-8, encoded Subject, Date, Message-ID); the key is its only secret."""
    message = EmailMessage()
    message["Subject"] = SUBJECT
    message["From"] = mail_from
    message["To"] = to
    message["Date"] = format_datetime(handed_at.astimezone(tz))
    message["Message-ID"] = make_msgid(domain=mail_from.rpartition("@")[2] or None)
    text = BODY.format(
        auth_key=auth_key,
        deadline=office_time_text(deadline_shown(handed_at, minutes), tz),
        minutes=minutes,
    )
    message.set_content(text, charset="utf-8", cte="base64")
    return message


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
    def send(self, message: EmailMessage) -> None:
        """Hand the message to the mail server; DeliveryError if it was not accepted."""


class SmtpMailer:
    """Sends over SMTP with optional STARTTLS and login; one connection per mail."""

    def __init__(self, host: str, port: int, *, starttls: bool = False, user: str = "",
                 password: str = "", timeout: float = 30.0, ca_file: str | None = None):
        self.host = host
        self.port = port
        self.starttls = starttls
        self.ca_file = ca_file
        self.user = user
        self.password = password
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (smtplib.SMTPException, OSError) as exc:
            raise delivery_error(exc) from None
        try:
            if self.starttls:
                smtp.starttls(context=ssl.create_default_context(cafile=self.ca_file))
            if self.user:
                smtp.login(self.user, self.password)
            smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise delivery_error(exc) from None
        finally:
            # The mail is accepted once send_message returned: a failing QUIT changes nothing.
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
