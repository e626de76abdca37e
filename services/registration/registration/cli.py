"""`python -m registration migrate|relay|consumer|ops` (shared.cli)."""

from __future__ import annotations

from registration.config import Config
from registration.consumer import make_consumer
from registration.runtime import build
from registration.store import MIGRATIONS
from shared.cli import ServiceCli

CLI = ServiceCli("registration", "registration", Config.from_env, MIGRATIONS, build,
                 make_consumer)
main = CLI.main
