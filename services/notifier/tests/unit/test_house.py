"""The notifier's edges follow the contracts: the consumer's handlers are its subscriptions,
the tasks' names, queues and arguments are shared.contracts.tasks', and nothing of HTTP or
of the development tools is in the package."""

import ast
import inspect
from datetime import UTC, datetime
from pathlib import Path

import notifier
from notifier import tasks
from notifier.config import Config
from notifier.consumer import handlers

from shared.clock import FixedClock
from shared.contracts.subscriptions import SUBSCRIPTIONS
from shared.contracts.tasks import (
    SEND_AUTH_KEY_MAIL,
    SEND_KEY_MAIL,
    SEND_NOTICE,
    SWEEP_TIMERS,
    TASKS,
)

PACKAGE = Path(notifier.__file__).parent


def test_the_handlers_are_exactly_the_notifiers_subscriptions():
    assert set(handlers.dispatch(pool=None, clock=FixedClock(datetime(2026, 4, 1, tzinfo=UTC)))) == set(SUBSCRIPTIONS["notifier"])


def test_the_mail_tasks_parameters_are_the_contracts_arguments():
    for name, task in ((SEND_AUTH_KEY_MAIL, tasks.send_auth_key_mail),
                       (SEND_KEY_MAIL, tasks.send_key_mail), (SEND_NOTICE, tasks.send_notice)):
        parameters = inspect.signature(task.run).parameters
        named = [n for n, p in parameters.items() if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert set(named) == set(TASKS[name].arguments().fields), name
        assert task.name == name
    assert set(inspect.signature(tasks.sweep_timers.run).parameters) == set(
        TASKS[SWEEP_TIMERS].arguments().fields)


def test_the_celery_app_routes_each_contract_task_to_its_contract_queue():
    from notifier.celery_app import app, config

    assert {name for name in app.tasks if name.startswith("notifier.")} == set(TASKS)
    assert app.conf.task_routes == {name: {"queue": f"{config.bus_namespace}.{task.queue}"}
                                    for name, task in TASKS.items()}
    assert [q.name for q in app.conf.task_queues] == [config.mail_queue, config.timers_queue]
    assert app.conf.task_routes[SEND_AUTH_KEY_MAIL]["queue"] == config.mail_queue


def test_beat_sends_the_contracts_sweep_to_the_timers_queue():
    config = Config.from_env({"BUS_NAMESPACE": "ns1", "TIMER_SWEEP_SECONDS": "2"})
    [entry] = tasks.beat_schedule(config).values()
    assert entry["task"] == SWEEP_TIMERS
    assert entry["options"] == {"queue": "ns1.timers", "expires": 2.0}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_http_and_no_development_tool_in_the_package():
    for path in PACKAGE.rglob("*.py"):
        assert not imported(path) & {"flask", "devtools", "testsupport", "aiosmtpd"}, path


def test_the_rules_do_no_io_and_the_use_cases_know_no_celery():
    assert imported(PACKAGE / "domain.py") <= {"__future__", "uuid", "dataclasses", "datetime",
                                               "zoneinfo"}
    modules = [*(PACKAGE / "usecases").glob("*.py"), *(PACKAGE / "store").glob("*.py"),
               *(PACKAGE / "templates").glob("*.py"),
               *(PACKAGE / name for name in ("events.py", "commands.py", "domain.py", "mail.py"))]
    for module in modules:
        assert "celery" not in imported(module), module
