"""What a template is, and which kinds exist (each needs one in every language)."""

from dataclasses import dataclass

from shared.contracts.tasks import KEY_MAIL_KINDS, NOTICE_KINDS

AUTH_KEY = "auth_key"
KEY_KINDS = (AUTH_KEY, *KEY_MAIL_KINDS)  # mails that carry a key and its deadline
KINDS = (*KEY_KINDS, *NOTICE_KINDS)


@dataclass(frozen=True)
class Template:
    subject: str
    text: str
