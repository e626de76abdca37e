"""The house (docs/ARCHITECTURE.md): every refusal has a status and texts, nothing below
api.py knows about HTTP, and only wsgi.py imports the app factory."""

import ast
from datetime import UTC, datetime
from pathlib import Path

import registration
from registration.config import Config
from registration.edge import REFUSALS
from registration.messages import MESSAGES
from registration.runtime import build

from shared.clock import FixedClock

PACKAGE = Path(registration.__file__).parent
HTTP = {"flask", "werkzeug", "shared.web", "registration.api", "registration.edge",
        "registration.account_api", "registration.app"}


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


def test_the_handlers_are_exactly_registrations_subscriptions():
    from registration.consumer import handlers

    from shared.contracts.subscriptions import SUBSCRIPTIONS

    callbacks = handlers.dispatch(pool=None, clock=FixedClock(datetime(2026, 4, 1, tzinfo=UTC)))
    assert set(callbacks) == set(SUBSCRIPTIONS["registration"])


def test_consumed_events_are_read_as_leniently_as_before_the_house():
    """docs/DECISIONS.md: what the catalog would refuse and registration always accepted."""
    import uuid

    from registration import schemas

    code_id = str(uuid.uuid4())
    assert schemas.CodeRevoked().load({"code_id": code_id, "reason": "merged_records"})[
        "reason"] == "merged_records"
    issued = schemas.CodeIssued().load({
        "code_id": code_id, "job_seeker_number": "12345-1", "birth_date": "1990-01-02",
        "code_digest": "0" * 64, "issued_at": "2026-04-01T01:00:00+00:00",
        "expires_at": "2026-04-06T15:00:00+00:00", "extra": 1})
    assert issued["supersedes"] == []
