"""The chaos suite (`make chaos`): one system behind cuttable links for every test, the
figures each fault test reports, and the real-server variants kept for CHAOS_REAL_SERVERS=1."""

import json
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from crowd import Mailbox  # noqa: E402
from faults import REAL_SERVERS, ROOT, ChaosSystem  # noqa: E402

FIGURES = ROOT / "var" / "chaos" / "figures.jsonl"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_servers: stops or restarts this machine's own servers "
                   "(run only with CHAOS_REAL_SERVERS=1)")
    config.addinivalue_line(
        "markers", "link_only: an outage made by cutting a link, replaced by the real "
                   "server's own outage with CHAOS_REAL_SERVERS=1")


def pytest_collection_modifyitems(config, items):
    """Without CHAOS_REAL_SERVERS=1 the real-server variants are not collected at all; with
    it, the link variants they replace are not (the PostgreSQL link cut stays: breaking
    connections mid-transaction is another fault than a restart)."""
    unwanted = "link_only" if REAL_SERVERS else "real_servers"
    kept = [item for item in items if item.get_closest_marker(unwanted) is None]
    dropped = [item for item in items if item.get_closest_marker(unwanted) is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def system():
    """Logs and mails stay in var/chaos/run-<time>/ for reading after the run."""
    with ChaosSystem(ROOT / "var" / "chaos" / time.strftime("run-%Y%m%d-%H%M%S")).running() as running:
        yield running


@pytest.fixture(scope="session")
def mailbox(system):
    return Mailbox(system.mail_dir)


COLLECTED: list = []


@pytest.fixture(scope="session")
def figures():
    """Each fault test's figures, kept in var/chaos/figures.jsonl for docs/RELIABILITY.md."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)

    def keep(one):
        COLLECTED.append(one)
        with FIGURES.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(one.__dict__, ensure_ascii=False) + "\n")
    return keep


def pytest_terminal_summary(terminalreporter):
    if COLLECTED:
        terminalreporter.write_line("| fault | started | completed | mails | duplicate mails | "
                                    "accounts | office view missing | HTTP 5xx | "
                                    "connection errors | time |")
        for one in COLLECTED:
            terminalreporter.write_line(one.line())
