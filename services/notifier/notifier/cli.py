"""`python -m notifier migrate|relay|consumer|ops` (the worker and beat run under celery:
`celery -A notifier.celery_app worker|beat`; the local SMTP server for development is
`python -m devtools smtp`)."""

from __future__ import annotations

import argparse
import logging

from notifier.config import SERVICE, Config
from notifier.consumer import make_consumer
from notifier.runtime import build
from notifier.store import MIGRATIONS
from shared import opscli, probes
from shared.clock import make_clock
from shared.contracts.tasks import TASKS, queue_name
from shared.db import make_pool, migrate
from shared.logs import configure
from shared.metrics import OutboxCollector
from shared.outbox import task_queue
from shared.runner import run_consumer, run_relay

log = logging.getLogger("notifier")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m notifier")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("migrate", help="apply the database migrations")
    commands.add_parser("relay", help="publish the outbox to RabbitMQ")
    commands.add_parser("consumer", help="consume the events the notifier subscribes to")
    opscli.add_parser(commands, parser.prog)
    args = parser.parse_args(argv)
    config = Config.from_env()
    configure("notifier", config.log_level)
    if args.command == "ops":
        raise SystemExit(opscli.run(args, config, SERVICE))
    if args.command == "migrate":
        applied = migrate(config.database_url, MIGRATIONS)
        log.info("database migrated", extra={"applied": applied})
    elif args.command == "relay":
        run_relay(config.database_url, config.broker_url, config.bus_namespace, config.bus_quorum,
                  make_clock(config.test_clock_file), name="notifier-relay",
                  process="notifier-relay",
                  extra_queues=tuple(task_queue(queue_name(config.bus_namespace, queue))
                                     for queue in sorted({t.queue for t in TASKS.values()})))
    elif args.command == "consumer":
        runtime = build(config, pool=make_pool(config.database_url, max_size=4,
                                               name="notifier-consumer"))
        consumer = make_consumer(config, runtime.pool, runtime.clock)
        try:
            run_consumer(consumer, "notifier-consumer",
                         {"database": probes.database(runtime.pool)},
                         outbox=OutboxCollector(config.database_url, "notifier",
                                                runtime.clock.now))
        finally:
            consumer.connection.release()
            runtime.pool.close()
