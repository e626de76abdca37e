"""`python -m code_issuer migrate|relay|consumer`."""

from __future__ import annotations

import argparse
import logging
import os
import socket

from kombu import Connection

from code_issuer.app import MIGRATIONS
from code_issuer.config import Config
from code_issuer.consumer import make_consumer
from shared import probes
from shared.clock import make_clock
from shared.db import make_pool, migrate
from shared.logs import configure
from shared.runner import run_consumer, run_relay

log = logging.getLogger("code_issuer")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m code_issuer")
    parser.add_argument("command", choices=["migrate", "relay", "consumer"])
    args = parser.parse_args(argv)
    config = Config.from_env()
    configure("code-issuer", config.log_level)
    clock = make_clock(config.test_clock_file)
    if args.command == "migrate" or config.migrate_on_start:
        applied = migrate(config.database_url, MIGRATIONS)
        log.info("database migrated", extra={"applied": applied})
    if args.command == "relay":
        run_relay(config.database_url, config.broker_url, config.bus_namespace, config.bus_quorum,
                  clock, name=f"code-issuer-relay:{socket.gethostname()}:{os.getpid()}",
                  process="code-issuer-relay")
    elif args.command == "consumer":
        pool = make_pool(config.database_url, max_size=4, name="code_issuer_consumer")
        with Connection(config.broker_url, heartbeat=30) as connection:
            run_consumer(make_consumer(connection, pool, clock, config), "code-issuer-consumer",
                         {"database": probes.database(pool)})
        pool.close()


if __name__ == "__main__":
    main()
