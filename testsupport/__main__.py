"""`python -m testsupport sweep [--hours N]`: remove what test runs killed before their
teardown left on the shared servers (bus namespaces, databases), once older than N hours.

Every throw-away name comes from `testsupport.unique`, which carries the minute it was
made; a run still going holds only younger names, so sweeping older ones never touches it.
Left behind, quorum queues keep files open in RabbitMQ until it refuses connections.
"""

from __future__ import annotations

import argparse
import subprocess
import time

import psycopg
from kombu import Connection

from testsupport.servers import BROKER, POSTGRES, made_before


def _listed(*argv: str) -> list[str]:
    result = subprocess.run(["rabbitmqctl", "-q", *argv, "name", "--no-table-headers"],
                            capture_output=True, text=True, timeout=120, check=True)
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


def sweep_broker(minute: int) -> int:
    queues = [q for q in _listed("list_queues") if made_before(q, minute)]
    exchanges = [e for e in _listed("list_exchanges") if made_before(e, minute)]
    with Connection(BROKER) as conn:
        for name in queues:
            conn.default_channel.queue_delete(name)
        for name in exchanges:
            conn.default_channel.exchange_delete(name)
    return len(queues) + len(exchanges)


def sweep_databases(minute: int) -> int:
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        names = [row[0] for row in conn.execute("SELECT datname FROM pg_database")
                 if made_before(row[0], minute)]
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return len(names)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m testsupport")
    parser.add_argument("command", choices=["sweep"])
    parser.add_argument("--hours", type=float, default=3.0,
                        help="remove what is older than this (default 3)")
    args = parser.parse_args(argv)
    minute = int(time.time() // 60 - args.hours * 60)
    print(f"swept {sweep_broker(minute)} queues and exchanges, "
          f"{sweep_databases(minute)} databases older than {args.hours:g} h")


if __name__ == "__main__":
    main()
