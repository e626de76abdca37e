"""What a submitted form holds for its re-display: values, field errors, page errors."""

from __future__ import annotations

from dataclasses import dataclass, field

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
}
# Advice added after the API's own message, so the person knows what to do next.
ADVICE_OF_CODE = {
    "CODE_EXPIRED": "ask_counter",
    "CODE_SUPERSEDED": "ask_counter",
    "CODE_REVOKED": "ask_counter",
    "CODE_INVALIDATED": "ask_counter",
    "AUTH_KEY_EXPIRED": "must_start_again",
    "APPLICATION_NOT_FOUND": "must_start_again",
}


@dataclass
class Form:
    """Fields in display order, what was typed, and the errors to show."""

    fields: tuple[str, ...]
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    page_errors: list[str] = field(default_factory=list)
    # Prefix of the inputs' ids, for two forms with a same-named field on one page.
    prefix: str = ""

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
        if advice and text(advice, lang) not in message:
            message = f"{message} {text(advice, lang)}"
        if failure.code == "RATE_LIMITED" and failure.retry_after:
            message = f"{message} {text('retry_after', lang, seconds=failure.retry_after)}"
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
