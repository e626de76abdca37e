"""Pure rules for what a person types: R6 email and its canonical form, R7 number and birth
date, code and key formats (R1, R10), R11 password policy with a strength estimate. No I/O;
`today` comes in as an argument.

Every problem is an `InputProblem` whose text is a message key of `messages.FIELDS`.
"""

from __future__ import annotations

import unicodedata
from datetime import date

from email_validator import EmailNotValidError, validate_email

from registration.passwords import strength_problems
from shared.contracts import formats
from shared.tokens import is_crockford, normalise_crockford

EMAIL_MAX = 100
EMAIL_LOCAL_MAX = 64  # RFC 5321 §4.5.3.1.1
PASSWORD_MIN, PASSWORD_MAX = 8, 32


class InputProblem(ValueError):
    """A field's value breaks a rule; `str(self)` is the message key."""


def has_control_characters(text: str) -> bool:
    """NUL, CR, LF and other control or format characters never belong in a field."""
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in text)


def check_email(raw: str) -> str:
    """R6: the address as stored (domain in lower case), or InputProblem."""
    if has_control_characters(raw):
        raise InputProblem("Must not contain control characters.")
    if not raw.isascii():
        raise InputProblem("Use half-width characters only.")
    if len(raw) > EMAIL_MAX:
        raise InputProblem("Must be at most 100 characters.")
    local = raw.rpartition("@")[0]
    if len(local) > EMAIL_LOCAL_MAX:
        raise InputProblem("The part before the @ must be at most 64 characters.")
    # The manual's own four cases, named before the library's generic answer.
    if local.startswith("."):
        raise InputProblem("The email must not start with a period.")
    if local.endswith("."):
        raise InputProblem("The email must not have a period right before the @.")
    if ".." in local:
        raise InputProblem("The email must not have consecutive periods.")
    try:
        result = validate_email(
            raw, check_deliverability=False, allow_smtputf8=False, allow_quoted_local=False,
            allow_domain_literal=False, allow_display_name=False,
        )
    except EmailNotValidError:
        raise InputProblem("Not a valid email address.") from None
    return result.normalized


def canonical_email(email: str) -> str:
    """The one form of an address that R6's uniqueness, the account lookup and the login
    throttle compare: ASCII, lower-cased (docs/DECISIONS.md, issue 13 item 3).

    R6 lets only ASCII addresses in, so a non-ASCII one (full-width, İ, the Kelvin sign...)
    can belong to no account: it is refused here rather than folded onto an ASCII one.
    """
    if not email.isascii():
        raise InputProblem("Use half-width characters only.")
    return email.lower()  # on ASCII text, exactly A-Z → a-z


def normalise_job_seeker_number(raw: str) -> str:
    """R7: 12345-1234567; full-width digits and hyphens, or no hyphen, are accepted."""
    number = formats.job_seeker_number(raw)
    if number is None:
        raise InputProblem("Enter 5 digits, a hyphen and up to 8 digits.")
    return number


_BIRTH_DATE_PROBLEMS = {
    formats.FORMAT: "Enter the date as YYYY-MM-DD (western calendar).",
    formats.NO_SUCH_DATE: "This date does not exist.",
    formats.NOT_PAST: "Enter a past date.",
}


def parse_birth_date(raw: str, today: date) -> date:
    """R7: a real past date in the western calendar, YYYY-MM-DD (full-width accepted)."""
    try:
        return formats.birth_date(raw, today)
    except formats.BadBirthDate as bad:
        raise InputProblem(_BIRTH_DATE_PROBLEMS[bad.kind]) from None


def normalise_code(raw: str) -> str:
    """R1: 10 Crockford characters; a wrong format is an input error, not a failure (R4)."""
    value = normalise_crockford(raw)
    if not is_crockford(value, formats.CODE_LENGTH):
        raise InputProblem("Enter the 10-character account creation code.")
    return value


def normalise_auth_key(raw: str) -> str:
    """R10: 8 Crockford characters, normalised like the code."""
    value = normalise_crockford(raw)
    if not is_crockford(value, formats.KEY_LENGTH):
        raise InputProblem("Enter the 8-character auth key from the mail.")
    return value


def password_problems(
    password: str,
    confirmation: str,
    *,
    email: str,
    job_seeker_number: str,
    common: frozenset[str],
) -> dict[str, list[str]]:
    """R11, clause by clause, then zxcvbn's estimate: {field: [message keys]}, empty when the
    password is fine. Every screen that sets a password calls this one function."""
    found: list[str] = []
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        found.append("Use 8 to 32 characters.")
    if not all("!" <= ch <= "~" for ch in password):
        found.append("Use half-width letters, digits and symbols only (no spaces).")
    if not any(ch.isascii() and ch.isdigit() for ch in password):
        found.append("Include at least one digit.")
    if not any(ch.isascii() and ch.isalpha() for ch in password):
        found.append("Include at least one letter.")
    if not any("!" <= ch <= "~" and not ch.isalnum() for ch in password):
        found.append("Include at least one symbol.")
    lowered = password.lower()
    local = email.rpartition("@")[0].lower()
    if local and local in lowered:
        found.append("Must not contain the email address.")
    number = job_seeker_number.lower()
    if number in lowered or number.replace("-", "") in lowered:
        found.append("Must not contain the job-seeker number.")
    if lowered in common:
        found.append("This password is too common.")
    if not found:  # issue 13 item 10: on top of the manual's rule, a strength estimate
        found = strength_problems(password, email=email, job_seeker_number=job_seeker_number)
    problems: dict[str, list[str]] = {}
    if found:
        problems["password"] = found
    if password != confirmation:
        problems["password_confirmation"] = ["Does not match the password."]
    return problems
