"""argon2id password hashes (R11), the bundled list of common passwords and the strength
estimate (zxcvbn) that refuses guessable passwords the composition rule lets through."""

from __future__ import annotations

import re
import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from shared.metrics import ARGON2_SECONDS
from shared.tokens import random_token

# The 30,000 most common passwords of zxcvbn's bundled frequency list (the PyPI package
# `zxcvbn`, itself from Dropbox's zxcvbn), compared in lower case.
COMMON_PASSWORDS: frozenset[str] = frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])

# Issue 13 item 10: refused below 10^8 estimated guesses, the lower edge of zxcvbn's score 3
# (docs/DECISIONS.md says why guesses and not the score).
MIN_GUESSES = 10**8
# Words of this service and its users' context, romanised (passwords are ASCII): zxcvbn's
# English lists do not know them, so they go in as user inputs with the person's own data.
CONTEXT_WORDS = (
    "hellowork", "harowaku", "harowaaku", "haroowaaku", "hello", "work",
    "shokugyo", "shokugyou", "syokugyo", "anteisho", "anteijo", "shokuan", "syokuan",
    "jobseeker", "job", "seeker", "kyushokusha", "kyuushokusha", "kyusyokusya", "kyushoku",
    "mypage", "maipeji", "maipeeji", "koyohoken", "koyouhoken", "koyo", "koyou", "hoken",
    "shitsugyo", "shitsugyou", "shigoto", "shushoku", "syusyoku", "tenshoku", "kosei",
    "roudou", "rodo", "mhlw", "jobportal", "portal", "akaunto", "pasuwado", "touroku",
    "toroku",
)
TOO_GUESSABLE = "Too easy to guess: avoid common words, names, keyboard patterns and dates."
PERSONAL = "Avoid your email address, job-seeker number and words about Hello Work."
LONGER = "Make it longer: add another uncommon word or two."
# zxcvbn's match patterns (and dictionaries) → the message key that says why.
_REASONS = {
    "passwords": "It is close to a commonly used password.",
    "user_inputs": PERSONAL,
    "english_wikipedia": "A common word or name is easy to guess.",
    "us_tv_and_film": "A common word or name is easy to guess.",
    "surnames": "A common word or name is easy to guess.",
    "male_names": "A common word or name is easy to guess.",
    "female_names": "A common word or name is easy to guess.",
    "spatial": "Keyboard patterns such as qwerty are easy to guess.",
    "repeat": "Repeated characters or words are easy to guess.",
    "sequence": "Sequences such as abc or 6543 are easy to guess.",
    "regex": "Years and dates are easy to guess.",
    "date": "Years and dates are easy to guess.",
    "l33t": "Replacing letters with look-alike symbols (@ for a) does not help much.",
}


def user_inputs(email: str, job_seeker_number: str) -> list[str]:
    """What zxcvbn should treat as known to an attacker: the person's email (whole and
    word by word), job-seeker number (whole and by part), and the service's own words."""
    email = email.lower()
    number = job_seeker_number.lower()
    words = [email, *email.split("@"), *re.split(r"[^a-z0-9]+", email),
             number, number.replace("-", ""), *number.split("-"), *CONTEXT_WORDS]
    return list(dict.fromkeys(w for w in words if len(w) >= 3))  # shorter: noise


def strength_problems(password: str, *, email: str, job_seeker_number: str) -> list[str]:
    """Item 10: message keys of why `password` is guessable, or [] when it is strong enough.

    A few milliseconds at 32 characters (zxcvbn is polynomial in the length; R11 caps it)."""
    estimate = zxcvbn(password, user_inputs=user_inputs(email, job_seeker_number))
    if estimate["guesses"] >= MIN_GUESSES:
        return []
    found = [TOO_GUESSABLE]
    for match in estimate["sequence"]:
        kinds = (match["pattern"], match.get("dictionary_name"), "l33t" if match.get("l33t")
                 else None)
        for kind in kinds:
            reason = _REASONS.get(kind)
            if reason and reason not in found:
                found.append(reason)
    return [*found, LONGER]


def strength_messages() -> set[str]:
    """Every message key strength_problems can return (each has its texts in messages.py)."""
    return {TOO_GUESSABLE, LONGER, *_REASONS.values()}


class Passwords:
    """Hash and verify with argon2id; the parameters come from the config."""

    def __init__(self, memory_kib: int, time_cost: int, parallelism: int, concurrency: int = 1):
        self.hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        # The request threads of a process take turns: a hash runs alone on its core, and a
        # flood of logins queues instead of holding 19 MiB per thread at once.
        self._turns = threading.BoundedSemaphore(max(1, concurrency))
        # Unknown emails are verified against this, so they cost as long as a wrong password.
        self._dummy = self.hasher.hash(random_token())

    def hash(self, password: str) -> str:
        with self._turns, ARGON2_SECONDS.labels("hash").time():
            return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            with self._turns, ARGON2_SECONDS.labels("verify").time():
                return self.hasher.verify(password_hash or self._dummy, password) and bool(
                    password_hash)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the stored hash was made with other parameters than today's."""
        return self.hasher.check_needs_rehash(password_hash)
