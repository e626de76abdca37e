"""What a submitted form holds for its re-display: values, field errors, page errors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field

from cryptography.fernet import Fernet, InvalidToken

from portal import domain
from portal.apis import ApiFailure
from portal.messages import MESSAGES, text

# Error codes of the contract that belong next to one field of the portal's forms.
FIELD_OF_CODE = {
    "EMAIL_ALREADY_REGISTERED": "email",
    "CODE_EXPIRED": "account_creation_code",
    "CODE_SUPERSEDED": "account_creation_code",
    "CODE_REVOKED": "account_creation_code",
    "CODE_INVALIDATED": "account_creation_code",
    "CODE_ALREADY_USED": "account_creation_code",
    "AUTH_KEY_MISMATCH": "auth_key",
    "AUTH_KEY_EXPIRED": "auth_key",
    "RESET_KEY_MISMATCH": "reset_key",
    "RESET_KEY_EXPIRED": "reset_key",
    "PASSWORD_UNCHANGED": "password",
}
# Advice added after the API's own message, so the person knows what to do next.
ADVICE_OF_CODE = {
    "CODE_EXPIRED": "ask_counter",
    # (CODE_SUPERSEDED: the person holds the newer code; the API's message says to use it)
    "CODE_REVOKED": "ask_counter",
    "CODE_INVALIDATED": "ask_counter",
    "AUTH_KEY_EXPIRED": "must_start_again",
    "APPLICATION_NOT_FOUND": "must_start_again",
}
# Words that show the API's own message already gives that advice (then it is not repeated:
# "invalidated and expired codes give the counter advice once").
ADVICE_MARKERS = {
    "ask_counter": ("窓口", "office", "counter"),
    "must_start_again": ("やり直", "start again", "start over"),
}
# Links offered with an error: who meets it has an account already (issue 17, R12).
LINKS_OF_CODE = {
    "CODE_ALREADY_USED": ("login", "forgot"),
    "EMAIL_ALREADY_REGISTERED": ("login", "forgot"),
    "ACCOUNT_EXISTS": ("login", "forgot"),
}
# A form's state kept across POST-redirect-GET (the redirect follows at once), for at most
# this long: on a shared computer, nothing typed waits for the next person.
STASH_SECONDS = 120
# Longest kept message, and most kept messages (the stash lives in the session cookie).
_STASH_TEXT, _STASH_ITEMS = 400, 12


@dataclass
class Form:
    """Fields in display order, what was typed, and the errors to show."""

    fields: tuple[str, ...]
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    page_errors: list[str] = field(default_factory=list)
    # Prefix of the inputs' ids, for two forms with a same-named field on one page.
    prefix: str = ""
    # Links shown in the error summary: "login", "forgot" (LINKS_OF_CODE).
    links: list[str] = field(default_factory=list)

    @classmethod
    def read(cls, names: tuple[str, ...], source, keep: tuple[str, ...] = ()) -> Form:
        """The submitted values of `names`; only those in `keep` are shown again."""
        values = {name: str(source.get(name, ""))[:200] for name in names}
        return cls(names, {k: v for k, v in values.items() if k in keep})

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    @property
    def has_errors(self) -> bool:
        return bool(self.errors or self.page_errors)

    def summary(self) -> list[tuple[str | None, str]]:
        """(field or None, message) in the fields' order, for the error summary."""
        items: list[tuple[str | None, str]] = [(None, m) for m in self.page_errors]
        for name in self.fields:
            items += [(name, m) for m in self.errors.get(name, [])]
        return items

    def take_failure(self, failure: ApiFailure, lang: str) -> None:
        """Put an API error next to its field, or at the top of the page."""
        message = failure.message or MESSAGES.error(failure.code, lang)
        advice = ADVICE_OF_CODE.get(failure.code)
        if advice and not any(marker in message.lower() for marker in ADVICE_MARKERS[advice]):
            message = f"{message} {text(advice, lang)}"
        if failure.code == "RATE_LIMITED" and failure.retry_after:
            minutes = domain.minutes_to_wait(failure.retry_after)
            message = f"{message} {text('retry_after', lang, minutes=minutes)}"
        if failure.attempts_left:
            key = "attempts_left_one" if failure.attempts_left == 1 else "attempts_left"
            message = f"{message} {text(key, lang, n=failure.attempts_left)}"
        for link in LINKS_OF_CODE.get(failure.code, ()):
            if link not in self.links:
                self.links.append(link)
        unplaced = []
        for name, texts in failure.fields.items():
            if name in self.fields:
                for one in texts:
                    self.add(name, one)
            else:
                unplaced += texts
        target = FIELD_OF_CODE.get(failure.code)
        if target in self.fields:
            self.add(target, message)
        elif not failure.fields or unplaced:
            self.page_errors.append(message)
        for one in unplaced:
            self.page_errors.append(one)

    # --- kept across POST-redirect-GET (issue 17: Back never resends a form) ---
    def to_dict(self) -> dict:
        cut = [m[:_STASH_TEXT] for m in self.page_errors[:_STASH_ITEMS]]
        return {"values": self.values, "page_errors": cut, "links": self.links,
                "errors": {k: [m[:_STASH_TEXT] for m in v[:_STASH_ITEMS]]
                           for k, v in self.errors.items()}}

    @classmethod
    def from_dict(cls, names: tuple[str, ...], data: dict, prefix: str = "") -> Form:
        form = cls(names, prefix=prefix)
        form.values = {k: str(v) for k, v in dict(data.get("values") or {}).items() if k in names}
        form.errors = {k: [str(m) for m in v] for k, v in dict(data.get("errors") or {}).items()}
        form.page_errors = [str(m) for m in data.get("page_errors") or []]
        form.links = [str(m) for m in data.get("links") or [] if m in ("login", "forgot")]
        return form


def _fernet(secret: str | bytes) -> Fernet:
    key = secret.encode() if isinstance(secret, str) else secret
    return Fernet(base64.urlsafe_b64encode(
        hmac.new(key, b"portal form stash", hashlib.sha256).digest()))


def seal(data: dict, secret: str | bytes) -> str:
    """`data` encrypted for the session cookie (it may hold what was typed: a code or a new
    password is never in the cookie in plain text); only this portal's secret opens it."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    return _fernet(secret).encrypt(raw).decode("ascii")


def unseal(token: str, secret: str | bytes, ttl: int = STASH_SECONDS) -> dict | None:
    """What `seal` kept, or None when it is unreadable, forged or older than `ttl`."""
    try:
        data = json.loads(_fernet(secret).decrypt(token.encode("ascii"), ttl=ttl))
    except (InvalidToken, ValueError, UnicodeError, AttributeError):
        return None
    return data if isinstance(data, dict) else None
