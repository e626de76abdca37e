"""`python -m registration migrate|relay|consumer`."""

from __future__ import annotations

import argparse
from pathlib import Path

from registration.config import Config
from shared import probes
from shared.bus import Topology
from shared.clock import make_clock
from shared.db import make_pool, migrate
from shared.logs import configure
from shared.runner import run_consumer, run_relay

MIGRATIONS = Path(__file__).parent / "migrations"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m registration")
    parser.add_argument("command", choices=["migrate", "relay", "consumer"])
    args = parser.parse_args(argv)
    config = Config.from_env()
    configure("registration", config.log_level)
    clock = make_clock(config.test_clock_file)
    topology = Topology(config.bus_namespace, config.bus_quorum)
    if args.command == "migrate":
        migrate(config.database_url, MIGRATIONS)
    elif args.command == "relay":
        run_relay(config.database_url, config.broker_url, config.bus_namespace,
                  config.bus_quorum, clock, name="registration-relay",
                  process="registration-relay")
    else:
        from registration.consumer import make_consumer

        pool = make_pool(config.database_url, max_size=4, name="registration-consumer")
        try:
            run_consumer(make_consumer(pool, clock, config.broker_url, topology),
                         "registration-consumer", {"database": probes.database(pool)})
        finally:
            pool.close()


if __name__ == "__main__":
    main()
