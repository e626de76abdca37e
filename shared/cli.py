"""The command line every service has: `python -m <package> migrate|relay|consumer|ops`.

A service's cli.py names its parts once (`ServiceCli`) and calls `main`; the relay and the
consumer serve their probes and metrics (shared.runner), `ops` the operator's levers
(shared.opscli)."""

from __future__ import annotations

import argparse
import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared import opscli, probes
from shared.clock import make_clock
from shared.db import make_pool, migrate
from shared.logs import configure
from shared.metrics import OutboxCollector
from shared.runner import run_consumer, run_relay

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceCli:
    service: str  # the label and the processes' prefix: `code-issuer`
    package: str  # `code_issuer`, which is also its key in the contract's subscriptions
    load_config: Callable[[], Any]
    migrations: Path
    build: Callable[..., Any]  # runtime.build(config, pool=...)
    make_consumer: Callable[[Any, Any, Any], Any]  # (config, pool, clock) -> EventConsumer
    extra_queues: Callable[[Any], tuple] = lambda _config: ()  # the relay's other queues
    levers: tuple[opscli.Lever, ...] = ()  # the service's own operator levers

    def main(self, argv: list[str] | None = None) -> None:
        parser = argparse.ArgumentParser(prog=f"python -m {self.package}")
        commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
        commands.add_parser("migrate", help="apply the database migrations")
        commands.add_parser("relay", help="publish the outbox to RabbitMQ")
        commands.add_parser("consumer", help=f"consume the events {self.service} subscribes to")
        opscli.add_parser(commands, parser.prog, self.levers)
        args = parser.parse_args(argv)
        config = self.load_config()
        configure(self.service, config.log_level)
        if args.command == "ops":
            raise SystemExit(opscli.run(args, config, self.package, self.levers))
        if args.command == "migrate" or getattr(config, "migrate_on_start", False):
            applied = migrate(config.database_url, self.migrations)
            log.info("database migrated", extra={"applied": applied})
        if args.command == "relay":
            run_relay(config.database_url, config.broker_url, config.bus_namespace,
                      config.bus_quorum, make_clock(config.test_clock_file),
                      name=f"{self.service}-relay:{socket.gethostname()}:{os.getpid()}",
                      process=f"{self.service}-relay", extra_queues=self.extra_queues(config),
                      poll_interval=config.outbox_poll_interval)
        elif args.command == "consumer":
            self._consume(config)

    def _consume(self, config: Any) -> None:
        runtime = self.build(config, pool=make_pool(config.database_url, max_size=4,
                                                    name=f"{self.service}-consumer"))
        consumer = self.make_consumer(config, runtime.pool, runtime.clock)
        try:
            run_consumer(consumer, f"{self.service}-consumer",
                         {"database": probes.database(runtime.pool)},
                         outbox=OutboxCollector(config.database_url, self.service,
                                                runtime.clock.now))
        finally:
            consumer.connection.release()
            runtime.pool.close()
