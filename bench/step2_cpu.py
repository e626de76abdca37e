"""Step 2's CPU per request in one process and one thread (Flask's test client, the real
PostgreSQL and Redis), for wrong and correct triples, with the SQL statements per request:
the cost of registration's own code, without gunicorn, threads or the network.

    .venv/bin/python -m bench.step2_cpu [N]

The process logs as production does (JSON lines, here to /dev/null), so the access log's
cost counts. Issue 14 compares it before and after a refactor: run it on both trees in one
sitting (PYTHONPATH=<old tree>/services/registration:<old tree> for the old one)."""
import logging
import os
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import registration
from registration.app import create_app
from registration.config import Config

from shared.clock import FixedClock
from shared.logs import configure
from shared.tokens import keyed_digest, random_crockford
from testsupport import REDIS, fresh_database, unique

SECRET = "bench-secret-for-registration-step2-cpu"
NOW = datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
statements = 0
_execute = psycopg.Cursor.execute


def counted(self, *a, **k):
    global statements
    statements += 1
    return _execute(self, *a, **k)


psycopg.Cursor.execute = counted  # noqa: this process only measures


def make(config, clock):
    try:
        from registration.runtime import build
    except ImportError:
        return create_app(config, clock)
    return create_app(config, build(config, clock=clock))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    with fresh_database("cpu_reg", Path(registration.__file__).parent / "migrations") as dsn:
        config = Config.from_env({
            "DATABASE_URL": dsn, "REDIS_URL": REDIS, "REDIS_PREFIX": unique("cpu-reg"),
            "DIGEST_SECRET": SECRET, "RATE_LIMIT_APPLICATIONS": "10000000",
            "MAX_FAILED_ATTEMPTS": "1000000", "MAILS_PER_CODE_PER_HOUR": "1000000",
            "BUS_NAMESPACE": unique("cpu-reg")})
        clock = FixedClock(NOW)
        seeded = []
        with psycopg.connect(dsn, autocommit=True) as conn:
            for i in range(2 * n + 50):
                plain = random_crockford(10)
                number = f"{10000 + i}-{i}"
                conn.execute("INSERT INTO codes (code_id, job_seeker_number, birth_date, code_digest,"
                             " issued_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s)",
                             (uuid.uuid4(), number, date(1990, 1, 2), keyed_digest(SECRET, plain, "code"),
                              NOW, NOW + timedelta(days=5)))
                seeded.append((plain, number))
        configure("registration", "INFO")
        logging.getLogger().handlers[0].stream = open(os.devnull, "w")  # noqa: SIM115
        app = make(config, clock)
        client = app.test_client()

        def body(code, number, birth="1990-01-02", email="taro@example.jp"):
            return {"privacy_policy_version": "2026-04-01", "terms_of_use_version": "2026-04-01",
                    "email": email, "email_confirmation": email, "job_seeker_number": number,
                    "birth_date": birth, "account_creation_code": code}

        def run(kind, rounds):
            global statements
            expected = 400 if kind == "wrong" else 201
            statements = 0
            cpu, wall = time.process_time(), time.perf_counter()
            for i in range(rounds):
                code, number = seeded[i % len(seeded)] if kind == "wrong" else seeded[n + i]
                if kind == "wrong":
                    r = client.post("/v1/applications", json=body(random_crockford(10), number))
                else:
                    r = client.post("/v1/applications", json=body(code, number))
                assert r.status_code == expected, (r.status_code, r.get_json())
            return ((time.process_time() - cpu) / rounds * 1000,
                    (time.perf_counter() - wall) / rounds * 1000, statements / rounds)

        run("wrong", 50)  # warm up
        for kind in ("wrong", "correct"):
            cpu, wall, sql = run(kind, n)
            print(f"{kind:8s} cpu {cpu:.3f} ms/request  wall {wall:.3f} ms  statements {sql:.2f}")
        app.extensions["registration"].pool.close()


if __name__ == "__main__":
    main()
