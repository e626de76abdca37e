"""`python -m notifier migrate|relay|consumer|ops` (shared.cli). The worker and beat run
under celery (`celery -A notifier.celery_app worker|beat`); the local SMTP server for
development is `python -m devtools smtp`."""

from __future__ import annotations

import sys
import uuid

import psycopg

from notifier import store
from notifier.config import Config
from notifier.consumer import make_consumer
from notifier.runtime import build
from notifier.store import MIGRATIONS, notices
from shared import opscli
from shared.cli import ServiceCli
from shared.contracts.tasks import TASKS, queue_name
from shared.logs import mask_text
from shared.outbox import task_queue


def task_queues(config: Config) -> tuple:
    """The Celery queues the notifier's workers take tasks from (their depth is its lag)."""
    return tuple(task_queue(queue_name(config.bus_namespace, queue))
                 for queue in sorted({task.queue for task in TASKS.values()}))


def mail_arguments(parser) -> None:
    parser.add_argument("application_id", type=uuid.UUID,
                        help="the application's id (or a key mail's mail_id, a notice's notice_id)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def mail_status(args, config: Config) -> int:
    """What became of one application's auth-key mail (or of a key mail or notice)."""
    with psycopg.connect(config.database_url, connect_timeout=5) as conn:
        status = store.delivery_status(conn, args.application_id)
        found = [status] if status is not None else notices.status(conn, args.application_id)
    if not found:
        sys.stderr.write(f"no mail for {args.application_id} "
                         "(its task has not reached the worker: see `python -m registration "
                         "ops outbox` and the mail queue's depth)\n")
        return 1
    for one in found:
        if one["last_error"]:
            one["last_error"] = mask_text(one["last_error"])
    opscli.print_result(found[0] if len(found) == 1 else found, args.json,
                        [f"{name}: {'-' if value is None else value}"
                         for one in found for name, value in one.items()])
    return 0


MAIL = opscli.Lever(
    "mail", "what became of one application's auth-key mail (or a key mail, a notice)",
    "  {prog} ops mail 3f1c2d4e-8b7a-4c55-9e0f-1a2b3c4d5e6f\n"
    "      status (pending, sent, failed), attempts, retries, the last SMTP error,\n"
    "      when the key was issued, the mail delivered, and until when the key is valid\n",
    mail_arguments, mail_status)

CLI = ServiceCli("notifier", "notifier", Config.from_env, MIGRATIONS, build, make_consumer,
                 extra_queues=task_queues, levers=(MAIL,))
main = CLI.main
