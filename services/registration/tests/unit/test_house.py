"""The house (docs/ARCHITECTURE.md): every refusal has a status and texts, nothing below
api.py knows about HTTP, and only wsgi.py imports the app factory."""

import ast
from datetime import UTC, datetime
from pathlib import Path

import registration
from registration.api import REFUSALS
from registration.config import Config
from registration.messages import MESSAGES
from registration.runtime import build

from shared.clock import FixedClock

PACKAGE = Path(registration.__file__).parent
HTTP = {"flask", "werkzeug", "shared.web", "registration.api", "registration.app"}


def imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_every_refusal_has_a_status_and_japanese_and_english_texts():
    for code, status in REFUSALS.items():
        assert 400 <= status < 500
        assert MESSAGES.error(code, "ja") != MESSAGES.error(code, "en")


def test_nothing_below_api_knows_about_http():
    below = [*PACKAGE.glob("usecases/*.py"), *PACKAGE.glob("store/*.py"),
             *(PACKAGE / name for name in ("domain.py", "commands.py", "events.py",
                                           "consumer.py", "limits.py", "inputs.py"))]
    for path in below:
        used = {name for name in imports(path)
                if any(name == http or name.startswith(http + ".") for http in HTTP)}
        assert not used, f"{path.name} imports {used}"


def test_only_wsgi_imports_the_app_factory():
    importers = {path.name for path in PACKAGE.rglob("*.py")
                 if "registration.app" in imports(path)}
    assert importers == {"wsgi.py"}


def test_build_takes_what_it_is_given():
    clock = FixedClock(datetime(2026, 4, 1, tzinfo=UTC))
    sentinel = object()
    runtime = build(Config.from_env({}), clock=clock, pool=sentinel, limits=sentinel,
                    passwords=sentinel)
    assert (runtime.clock, runtime.pool, runtime.limits, runtime.passwords) == (
        clock, sentinel, sentinel, sentinel)
