"""`python -m code_issuer migrate|relay|consumer|ops`."""

from __future__ import annotations

import argparse
import logging
import os
import socket

from code_issuer.config import Config
from code_issuer.consumer import make_consumer
from code_issuer.runtime import build
from code_issuer.store import MIGRATIONS
from shared import opscli, probes
from shared.clock import make_clock
from shared.db import make_pool, migrate
from shared.logs import configure
from shared.metrics import OutboxCollector
from shared.runner import run_consumer, run_relay

log = logging.getLogger("code_issuer")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m code_issuer")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("migrate", help="apply the database migrations")
    commands.add_parser("relay", help="publish the outbox to RabbitMQ")
    commands.add_parser("consumer", help="consume the events code-issuer subscribes to")
    opscli.add_parser(commands, parser.prog)
    args = parser.parse_args(argv)
    config = Config.from_env()
    configure("code-issuer", config.log_level)
    if args.command == "ops":
        raise SystemExit(opscli.run(args, config, "code_issuer"))
    if args.command == "migrate" or config.migrate_on_start:
        applied = migrate(config.database_url, MIGRATIONS)
        log.info("database migrated", extra={"applied": applied})
    if args.command == "relay":
        run_relay(config.database_url, config.broker_url, config.bus_namespace, config.bus_quorum,
                  make_clock(config.test_clock_file),
                  name=f"code-issuer-relay:{socket.gethostname()}:{os.getpid()}",
                  process="code-issuer-relay")
    elif args.command == "consumer":
        runtime = build(config, pool=make_pool(config.database_url, max_size=4,
                                               name="code_issuer_consumer"))
        consumer = make_consumer(config, runtime.pool, runtime.clock)
        try:
            run_consumer(consumer, "code-issuer-consumer",
                         {"database": probes.database(runtime.pool)},
                         outbox=OutboxCollector(config.database_url, "code-issuer",
                                                runtime.clock.now))
        finally:
            consumer.connection.release()
            runtime.pool.close()
