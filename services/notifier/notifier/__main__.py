"""`python -m notifier migrate|relay|consumer|smtp` (the worker and beat run under celery)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from notifier.config import MIGRATIONS, Config
from shared.clock import make_clock
from shared.config import PRODUCTION
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


def smtp(config: Config) -> None:
    """The local SMTP server and its mail page until SIGTERM or Ctrl-C (development only)."""
    if config.mode == PRODUCTION:
        # It stores every mail, auth keys included, and serves them to whoever asks.
        sys.exit("python -m notifier smtp: the local SMTP server and mail page are development "
                 "and test tools; they refuse to start with APP_MODE=production")
    from notifier.mail_page import make_page_server, page_token
    from notifier.mailstore import MailStore
    from notifier.smtp_server import Control, start_smtp

    logging.getLogger("mail.log").setLevel("WARNING")  # aiosmtpd logs every SMTP command
    store, control = MailStore(config.mail_store_dir), Control()
    controller = start_smtp(store, control, config.smtp_listen_host, config.smtp_listen_port)
    token, token_from = page_token(config.mail_page_token, config.mail_store_dir)
    page = make_page_server(store, control, config.mail_page_host, config.mail_page_port,
                            config.office_tz, token)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=page.serve_forever, daemon=True).start()
    log.info("local SMTP server started", extra={
        "smtp": f"{config.smtp_listen_host}:{config.smtp_listen_port}",
        "page": f"http://{config.mail_page_host}:{config.mail_page_port}/",
        "store": config.mail_store_dir, "controls_token_in": token_from})
    stop.wait()
    page.shutdown()
    controller.stop()
    log.info("local SMTP server stopped")


COMMANDS = {"migrate": migrate, "relay": relay, "consumer": consumer, "smtp": smtp}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m notifier")
    parser.add_argument("command", choices=sorted(COMMANDS))
    args = parser.parse_args(argv)
    config = Config.from_env()
    configure("notifier", config.log_level)
    COMMANDS[args.command](config)


if __name__ == "__main__":
    main()
