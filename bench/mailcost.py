"""What one notice mail costs, hop by hop: `python -m bench.mailcost [mails] [rounds]`.

A login from a new client (R20) and every whole flow (the auth-key mail, issue 17's
registration-complete notice) pay for mails: registration's outbox row, its relay, the
broker, the notifier's worker (Celery, the notices table, the template, SMTP), the SMTP
server, the notifier's relay with `notice.mailed`, and registration's consumer of it. B4 and
B5 mix that cost with argon2's; this measures it alone.

The whole system is started as `make bench` starts it. Each round first measures every
process idle for a few seconds (beat's timer sweeps, heartbeats, pollers), then puts
`mails` send_notice tasks (kind `new_login`, as a login from a new client does) into
registration's outbox in one transaction and waits until the notifier has recorded every
one sent and every outbox is drained; the CPU of each process over that time, less its
idle CPU over the same time, divided by the mails, is its cost per mail. PostgreSQL and
RabbitMQ are counted machine-wide (every process of theirs), as in `make bench`: on a
shared machine they carry other work too, which the idle subtraction removes only on
average.
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from bench import cpu, harness
from shared.contracts import tasks
from shared.outbox import add_task

IDLE_SECONDS = 6.0


def queue_notices(system, conn: psycopg.Connection, count: int) -> None:
    """`count` new-login notices in registration's outbox, as R20's login queues one."""
    now = datetime.now(UTC)
    with conn.transaction():
        for n in range(count):
            add_task(conn, task=tasks.SEND_NOTICE, namespace=system.namespace, now=now,
                     correlation_id=f"mailcost-{n}", kwargs={
                         "notice_id": str(uuid.uuid4()), "kind": "new_login",
                         "email": f"mailcost-{n}@example.jp", "language": "ja",
                         "occurred_at": now.isoformat(), "client_address": "203.0.113.0",
                         "browser": "Other browser"})


def sent_count(conn: psycopg.Connection) -> int:
    return conn.execute("SELECT count(*) FROM notices WHERE status = 'sent'").fetchone()[0]


def connect(dsn: str, timeout: float = 120) -> psycopg.Connection:
    """A connection, waiting while the (shared) server has none to give."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return psycopg.connect(dsn, autocommit=True)
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


def unpublished(conns: list[psycopg.Connection]) -> int:
    return sum(conn.execute("SELECT count(*) FROM outbox WHERE published_at IS NULL")
               .fetchone()[0] for conn in conns)


def one_round(system, sessions: dict[int, str], mails: int,
              registration_db: psycopg.Connection,
              notifier_db: psycopg.Connection) -> dict[str, float]:
    """ms of CPU per mail by process group, idle CPU taken off."""
    before = cpu.snapshot(sessions)
    time.sleep(IDLE_SECONDS)
    idle = cpu.used_between(before, cpu.snapshot(sessions))
    already = sent_count(notifier_db)
    before = cpu.snapshot(sessions)
    started = time.monotonic()
    queue_notices(system, registration_db, mails)
    deadline = started + 300
    while sent_count(notifier_db) < already + mails:
        if time.monotonic() > deadline:
            raise RuntimeError("the notices were not all sent within 300 s")
        time.sleep(0.1)
    while unpublished([registration_db, notifier_db]):
        time.sleep(0.1)
    time.sleep(0.5)  # registration's consumer handles the last notice.mailed
    elapsed = time.monotonic() - started
    used = cpu.used_between(before, cpu.snapshot(sessions))
    return {name: 1000 * (used.get(name, 0.0) - idle.get(name, 0.0) * elapsed / IDLE_SECONDS)
            / mails for name in set(used) | set(idle)}


def main(argv: list[str]) -> None:
    mails = int(argv[0]) if argv else 300
    rounds = int(argv[1]) if len(argv) > 1 else 3
    with tempfile.TemporaryDirectory(prefix="mailcost-") as tmp:
        system = harness.System(Path(tmp))  # as harness.start, but stopped even if it fails
        for pinned in ("WEB_CONCURRENCY", "NOTIFIER_CONCURRENCY"):
            system.env.pop(pinned, None)
        system.env.update(harness.BENCH_SETTINGS)
        try:
            system.start()
            sessions = cpu.sessions_of(system)
            time.sleep(3)
            with connect(system.databases["registration"]) as reg, \
                    connect(system.databases["notifier"]) as notif:
                results = [one_round(system, sessions, mails, reg, notif)
                           for _ in range(rounds)]
        finally:
            system.stop()
    names = sorted({n for r in results for n in r}, key=lambda n: -sum(r.get(n, 0) for r in results))
    print(f"ms of CPU per notice mail ({mails} mails a round, {rounds} rounds, idle taken off)")
    for name in names:
        values = sorted(r.get(name, 0.0) for r in results)
        print(f"  {name:24s} {values[len(values) // 2]:7.2f}  ({values[0]:.2f}-{values[-1]:.2f})")
    totals = sorted(sum(r.values()) for r in results)
    print(f"  {'all':24s} {totals[len(totals) // 2]:7.2f}  ({totals[0]:.2f}-{totals[-1]:.2f})")


if __name__ == "__main__":
    main(sys.argv[1:])
