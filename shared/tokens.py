"""Random human-typed secrets (Crockford base32) and keyed digests of secrets."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0"})


def random_crockford(length: int) -> str:
    """`length` characters of Crockford base32, 5 bits each, from `secrets`."""
    return "".join(secrets.choice(CROCKFORD) for _ in range(length))


def normalise_crockford(text: str) -> str:
    """NFKC, upper case, spaces and hyphens dropped, I/L read as 1 and O as 0.

    The result may still hold characters outside the alphabet; callers check
    `is_crockford` and refuse those as a format error.
    """
    folded = unicodedata.normalize("NFKC", text).upper()
    folded = "".join(ch for ch in folded if ch not in " -\u3000" and not ch.isspace())
    return folded.translate(_READ_AS)


def is_crockford(text: str, length: int) -> bool:
    return len(text) == length and all(ch in CROCKFORD for ch in text)


def group(text: str, size: int = 5) -> str:
    """Print a code in groups for reading aloud: ABCDE-FGHJK."""
    return "-".join(text[i : i + size] for i in range(0, len(text), size))


def random_token(nbytes: int = 32) -> str:
    """An opaque URL-safe token (256 bits by default)."""
    return secrets.token_urlsafe(nbytes)


def keyed_digest(secret: str, value: str, purpose: str) -> str:
    """HMAC-SHA256 of a secret value, hex; `purpose` separates codes, keys and tokens."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def same_digest(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
