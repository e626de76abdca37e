"""argon2id hashing (R11): what a hash verifies, and how many a process computes at once."""

import threading
import time

from registration.passwords import Passwords


def test_r11_a_hash_verifies_its_password_only():
    p = Passwords(memory_kib=1024, time_cost=1, parallelism=1)
    stored = p.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert p.verify(stored, "correct horse battery")
    assert not p.verify(stored, "correct horse batterx")
    assert not p.verify(None, "correct horse battery")  # unknown account: the dummy hash


def test_hashes_take_turns_up_to_the_configured_concurrency(monkeypatch):
    running, most = [0], [0]
    lock = threading.Lock()

    class SlowHasher:
        def hash(self, password):
            with lock:
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.05)
            with lock:
                running[0] -= 1
            return "h"

        def verify(self, stored, password):
            return self.hash(password) == stored

    for concurrency in (1, 3):
        p = Passwords(memory_kib=1024, time_cost=1, parallelism=1, concurrency=concurrency)
        monkeypatch.setattr(p, "hasher", SlowHasher())
        running[0] = most[0] = 0
        threads = [threading.Thread(target=p.hash if n % 2 else p.verify,
                                    args=("pw",) if n % 2 else ("h", "pw")) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert most[0] == concurrency
