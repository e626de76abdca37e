"""`python -m registration migrate|relay|consumer|ops` (shared.cli), with registration's own
operator lever: `ops resend`, a new auth-key mail for an application whose mail is stuck."""

from __future__ import annotations

import sys
import uuid

import psycopg

from registration.commands import Caller, ResendAuthKey
from registration.config import Config
from registration.consumer import make_consumer
from registration.runtime import build
from registration.store import MIGRATIONS
from registration.usecases.applications import resend_auth_key
from shared import opscli
from shared.cli import ServiceCli
from shared.clock import make_clock
from shared.errors import Refused

# What the operator is told when a re-send is refused.
RESEND_REFUSALS = {
    "APPLICATION_NOT_FOUND": "no application has this id",
    "APPLICATION_CLOSED": "the application is closed (completed, voided, expired or "
                          "undeliverable): the person starts again at step 2",
    "AUTH_KEY_DELIVERED": "the mail server accepted this application's mail; ask the person "
                          "to look in their spam folder, or start again at step 2",
    "MAIL_LIMIT_REACHED": "R9: this code has had its auth-key mails for the hour",
}


def resend_arguments(parser) -> None:
    parser.add_argument("application_id", type=uuid.UUID, help="the application's id")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def resend(args, config: Config) -> int:
    now = make_clock(config.test_clock_file).now()
    with psycopg.connect(config.database_url, connect_timeout=5) as conn:
        try:
            result = resend_auth_key(conn, ResendAuthKey(args.application_id), now,
                                     config=config, caller=Caller("operator", None))
        except Refused as refused:
            wait = f" (again in {refused.retry_after} s)" if refused.retry_after else ""
            sys.stderr.write(f"{refused.code}: {RESEND_REFUSALS[refused.code]}{wait}\n")
            return 1
    opscli.print_result(result, args.json, [
        f"a new auth key is on its way for application {result['application_id']}",
        f"valid until {result['auth_key_expires_at']} (the old key no longer works)"])
    return 0


RESEND = opscli.Lever(
    "resend", "mail a new auth key for an open application whose mail never arrived",
    "  {prog} ops resend 3f1c2d4e-8b7a-4c55-9e0f-1a2b3c4d5e6f\n"
    "      a new key replaces the old (only digests are kept, so the old one cannot be\n"
    "      sent again); the person keeps their screen and enters the new key; counted\n"
    "      against R9's auth-key mails per code and hour\n"
    "  python -m notifier ops mail 3f1c2d4e-8b7a-4c55-9e0f-1a2b3c4d5e6f\n"
    "      first: what became of the mail (pending and retrying, sent, failed)\n",
    resend_arguments, resend)

CLI = ServiceCli("registration", "registration", Config.from_env, MIGRATIONS, build,
                 make_consumer, levers=(RESEND,))
main = CLI.main
