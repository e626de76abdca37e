"""argon2id password hashes (R11) and the bundled list of common passwords."""

from __future__ import annotations

import threading

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from shared.tokens import random_token

# The 30,000 most common passwords of zxcvbn's bundled frequency list (the PyPI package
# `zxcvbn`, itself from Dropbox's zxcvbn), compared in lower case.
COMMON_PASSWORDS: frozenset[str] = frozenset(p.lower() for p in FREQUENCY_LISTS["passwords"])


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
        with self._turns:
            return self.hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            with self._turns:
                return self.hasher.verify(password_hash or self._dummy, password) and bool(
                    password_hash)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        """True when the stored hash was made with other parameters than today's."""
        return self.hasher.check_needs_rehash(password_hash)
