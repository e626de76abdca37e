"""`python -m devtools smtp`: the local SMTP server and its mail page (development only);
`python -m devtools conventions`: docs/CONVENTIONS.md's settings table from the code."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from devtools.settings import Settings
from shared.config import PRODUCTION, ConfigError
from shared.logs import configure

log = logging.getLogger("devtools")


def smtp(settings: Settings) -> None:
    """The local SMTP server and its mail page until SIGTERM or Ctrl-C."""
    if settings.mode == PRODUCTION:
        # It stores every mail, auth keys included, and serves them to whoever asks.
        sys.exit("python -m devtools smtp: the local SMTP server and mail page are development "
                 "and test tools; they refuse to start with APP_MODE=production")
    from devtools.mail_page import make_page_server, page_token
    from devtools.mailstore import MailStore
    from devtools.smtp_server import Control, start_smtp

    logging.getLogger("mail.log").setLevel("WARNING")  # aiosmtpd logs every SMTP command
    store, control = MailStore(settings.mail_store_dir), Control()
    controller = start_smtp(store, control, settings.smtp_listen_host, settings.smtp_listen_port)
    token, token_from = page_token(settings.mail_page_token, settings.mail_store_dir)
    page = make_page_server(store, control, settings.mail_page_host, settings.mail_page_port,
                            settings.office_tz, token)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    threading.Thread(target=page.serve_forever, daemon=True).start()
    log.info("local SMTP server started", extra={
        "smtp": f"{settings.smtp_listen_host}:{settings.smtp_listen_port}",
        "page": f"http://{settings.mail_page_host}:{settings.mail_page_port}/",
        "store": settings.mail_store_dir, "controls_token_in": token_from})
    stop.wait()
    page.shutdown()
    controller.stop()
    log.info("local SMTP server stopped")


def conventions(_settings: Settings) -> None:
    """Rewrite docs/CONVENTIONS.md's settings table from the declared settings."""
    from devtools.conventions import DOCUMENT, update

    print(f"{DOCUMENT}: {'rewritten' if update() else 'already current'}")


COMMANDS = {"smtp": smtp, "conventions": conventions}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools")
    parser.add_argument("command", choices=sorted(COMMANDS))
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        sys.exit(f"python -m devtools {args.command}: {error}")
    configure("devtools", settings.log_level)
    COMMANDS[args.command](settings)


if __name__ == "__main__":
    main()
