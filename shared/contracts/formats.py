"""The formats of what the services exchange and people type, each written once:
job-seeker numbers and birth dates (R7), secret digests, and the Crockford lengths of
codes and keys (R1, R10)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

JOB_SEEKER_NUMBER = re.compile(r"^[0-9]{5}-[0-9]{1,8}$")
_WITHOUT_HYPHEN = re.compile(r"^[0-9]{6,13}$")
_DATE = re.compile(r"^([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})$")
DIGEST = re.compile(r"^[0-9a-f]{64}$")  # shared.tokens.keyed_digest
CODE_LENGTH = 10  # R1: 10 Crockford base32 characters, 50 bits
KEY_LENGTH = 8  # R10 (and R15, R17): 8 Crockford base32 characters, 40 bits
OLDEST_BIRTH_DATE = date(1900, 1, 1)
# NFKC turns full-width digits and U+FF0D into ASCII; these look-alikes it leaves alone.
_HYPHENS = str.maketrans({ch: "-" for ch in
                          "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u30fc\uff70\ufe63"})


def fold(text: str) -> str:
    """NFKC (full-width to half-width), every hyphen look-alike to '-', spaces trimmed."""
    return unicodedata.normalize("NFKC", text).translate(_HYPHENS).strip()


def job_seeker_number(raw: str) -> str | None:
    """R7: `12345-1234567` from any full-width or look-alike spelling, or typed without
    its hyphen (6-13 digits, the first 5 the office part); None if it cannot be one."""
    text = fold(raw)
    if _WITHOUT_HYPHEN.match(text):
        text = f"{text[:5]}-{text[5:]}"
    return text if JOB_SEEKER_NUMBER.match(text) else None


class BadBirthDate(ValueError):
    """Why a typed birth date is refused: `kind` is FORMAT, NO_SUCH_DATE or NOT_PAST."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


FORMAT, NO_SUCH_DATE, NOT_PAST = "format", "no_such_date", "not_past"


def birth_date(raw: str, today: date) -> date:
    """R7: a real past date of the western calendar, YYYY-MM-DD (or with slashes, full-width
    accepted), not before 1900; BadBirthDate says why not."""
    match = _DATE.match(fold(raw))
    if not match:
        raise BadBirthDate(FORMAT)
    try:
        value = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise BadBirthDate(NO_SUCH_DATE) from None
    if not OLDEST_BIRTH_DATE <= value < today:
        raise BadBirthDate(NOT_PAST)
    return value
