"""`python -m code_issuer migrate|relay|consumer|ops` (shared.cli)."""

from __future__ import annotations

from code_issuer.config import Config
from code_issuer.consumer import make_consumer
from code_issuer.runtime import build
from code_issuer.store import MIGRATIONS
from shared.cli import ServiceCli

CLI = ServiceCli("code-issuer", "code_issuer", Config.from_env, MIGRATIONS, build, make_consumer)
main = CLI.main
