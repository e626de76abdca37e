"""The hostile-input suite (part of `make test`): fuzzing, properties, secrets, timing,
headers and production settings, against real processes and real servers."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests-e2e"))

from system import System  # noqa: E402


@pytest.fixture(scope="session")
def running(tmp_path_factory):
    """Every Procfile process, as tests-e2e starts them (own databases, namespace, clock)."""
    with System(tmp_path_factory.mktemp("hostile")).running() as system:
        yield system
