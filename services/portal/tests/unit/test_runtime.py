"""Issue 14: the portal's composition root, and a house without an import circle."""

import ast
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from portal.config import Config
from portal.counter_sessions import RedisRecords
from portal.runtime import build

from shared.config import ConfigError

from ..fakes import MemoryRecords

PACKAGE = Path(__file__).resolve().parents[2] / "portal"


def test_build_makes_every_part_from_the_config():
    config = Config(registration_url="http://r:1", code_issuer_url="http://c:2", api_timeout=4,
                    office_time_zone="Asia/Tokyo", counter_idle_minutes=20)
    runtime = build(config)
    assert runtime.config is config
    assert runtime.registration.api.base_url == "http://r:1"
    assert runtime.code_issuer.api.base_url == "http://c:2" and runtime.code_issuer.api.timeout == 4
    assert runtime.zone == ZoneInfo("Asia/Tokyo")
    assert isinstance(runtime.counter_sessions.records, RedisRecords)
    assert runtime.counter_sessions.idle.total_seconds() == 20 * 60


def test_build_takes_overrides_by_field_name_and_refuses_an_unknown_one(clock):
    records = MemoryRecords()
    runtime = build(Config(), clock=clock, counter_records=records)
    assert runtime.clock is clock and runtime.counter_sessions.records is records
    with pytest.raises(TypeError):
        build(Config(), clocks=clock)


def test_build_refuses_settings_that_cannot_run_in_production():
    with pytest.raises(ConfigError):
        build(Config(mode="production"))


def test_no_module_of_the_portal_imports_the_app_factory_but_the_wsgi_entry():
    importers = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module else
                     [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            if "portal.app" in names:
                importers.append(path.relative_to(PACKAGE).as_posix())
    assert importers == ["wsgi.py"]
