"""`python -m notifier migrate|relay|consumer|ops` (shared.cli). The worker and beat run
under celery (`celery -A notifier.celery_app worker|beat`); the local SMTP server for
development is `python -m devtools smtp`."""

from __future__ import annotations

from notifier.config import Config
from notifier.consumer import make_consumer
from notifier.runtime import build
from notifier.store import MIGRATIONS
from shared.cli import ServiceCli
from shared.contracts.tasks import TASKS, queue_name
from shared.outbox import task_queue


def task_queues(config: Config) -> tuple:
    """The Celery queues the notifier's workers take tasks from (their depth is its lag)."""
    return tuple(task_queue(queue_name(config.bus_namespace, queue))
                 for queue in sorted({task.queue for task in TASKS.values()}))


CLI = ServiceCli("notifier", "notifier", Config.from_env, MIGRATIONS, build, make_consumer,
                 extra_queues=task_queues)
main = CLI.main
