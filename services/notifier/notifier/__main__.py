"""`python -m notifier migrate|relay|consumer` (the worker and beat run under celery; the local
SMTP server for development is `python -m devtools smtp`)."""

from __future__ import annotations

import argparse
import logging

from notifier.config import MIGRATIONS, Config
from shared.clock import make_clock
from shared.logs import configure

log = logging.getLogger("notifier")


def migrate(config: Config) -> None:
    from shared.db import migrate as apply

    apply(config.database_url, MIGRATIONS)


def relay(config: Config) -> None:
    from shared.runner import run_relay

    run_relay(config.database_url, config.broker_url, config.bus_namespace, config.bus_quorum,
              make_clock(config.test_clock_file), name="notifier-relay", process="notifier-relay")


def consumer(config: Config) -> None:
    from notifier.consumer import make_consumer
    from shared import probes
    from shared.db import make_pool
    from shared.runner import run_consumer

    clock = make_clock(config.test_clock_file)
    pool = make_pool(config.database_url, max_size=4, name="notifier-consumer")
    try:
        run_consumer(make_consumer(config, pool, clock), "notifier-consumer",
                     {"database": probes.database(pool)})
    finally:
        pool.close()


COMMANDS = {"migrate": migrate, "relay": relay, "consumer": consumer}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m notifier")
    parser.add_argument("command", choices=sorted(COMMANDS))
    args = parser.parse_args(argv)
    config = Config.from_env()
    configure("notifier", config.log_level)
    COMMANDS[args.command](config)


if __name__ == "__main__":
    main()
