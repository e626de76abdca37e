"""`python -m registration migrate|relay|consumer|ops`."""

from __future__ import annotations

import argparse

from registration.config import Config
from registration.consumer import make_consumer
from registration.runtime import build
from registration.store import MIGRATIONS
from shared import opscli, probes
from shared.clock import make_clock
from shared.db import make_pool, migrate
from shared.logs import configure
from shared.metrics import OutboxCollector
from shared.runner import run_consumer, run_relay


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m registration")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("migrate", help="apply the database migrations")
    commands.add_parser("relay", help="publish the outbox to RabbitMQ")
    commands.add_parser("consumer", help="consume the events registration subscribes to")
    opscli.add_parser(commands, parser.prog)
    args = parser.parse_args(argv)
    config = Config.from_env()
    configure("registration", config.log_level)
    if args.command == "ops":
        raise SystemExit(opscli.run(args, config, "registration"))
    if args.command == "migrate":
        migrate(config.database_url, MIGRATIONS)
    elif args.command == "relay":
        run_relay(config.database_url, config.broker_url, config.bus_namespace,
                  config.bus_quorum, make_clock(config.test_clock_file),
                  name="registration-relay", process="registration-relay")
    else:
        runtime = build(config, pool=make_pool(config.database_url, max_size=4,
                                               name="registration-consumer"))
        consumer = make_consumer(config, runtime.pool, runtime.clock)
        try:
            run_consumer(consumer, "registration-consumer",
                         {"database": probes.database(runtime.pool)},
                         outbox=OutboxCollector(config.database_url, "registration",
                                                runtime.clock.now))
        finally:
            consumer.connection.release()
            runtime.pool.close()
