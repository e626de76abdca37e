"""The notifier on the real servers: a fresh database per test, the Celery worker and beat
as processes; `pool`, `topology`, `published` and the SMTP sink (`mailbox`) come from
testsupport.plugin."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from notifier.config import Config
from notifier.store import MIGRATIONS

from shared.clock import SystemClock
from shared.outbox import Relay
from testsupport import BROKER, eventually, running, stop_groups, unique
from testsupport.plugin import database_fixture

ROOT = Path(__file__).resolve().parents[4]
BIN = ROOT / ".venv" / "bin"


class FakeMailer:
    """Records what it is asked to send; fails the way it is told to."""

    def __init__(self):
        self.sent = []
        self.errors = []  # raised one by one before sending succeeds
        self.during_send = None  # called while "talking to the server"

    def send(self, message):
        if self.during_send:
            self.during_send()
        if self.errors:
            raise self.errors.pop(0)
        self.sent.append(message)


@pytest.fixture
def mailer():
    return FakeMailer()


dsn = database_fixture("notifier", MIGRATIONS, scope="function")  # a fresh database per test


@pytest.fixture
def relay(dsn, topology):
    """The notifier's outbox relay (what `python -m notifier relay` runs), in a thread."""
    with running(Relay(dsn, BROKER, topology, SystemClock(), poll_interval=0.2,
                       name="test-relay")) as relay:
        yield relay


class Processes:
    """Processes a test starts (each in its own process group), all stopped at the end."""

    def __init__(self, workdir: Path, env: dict[str, str]):
        self.workdir = workdir
        self.env = env
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        with open(self.workdir / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = proc
        return proc

    def worker(self, name: str = "worker", concurrency: int = 1) -> subprocess.Popen:
        """A Celery worker, returned once it consumes its queues."""
        proc = self.start(name, [str(BIN / "celery"), "-A", "notifier.celery_app", "worker",
                                 "--loglevel", "INFO", "--pool", "prefork",
                                 "--concurrency", str(concurrency), "--without-gossip",
                                 "--without-mingle", "--without-heartbeat",
                                 "-n", f"{unique(name)}@%h"])

        def ready():
            self.alive()
            return " ready." in self.log(name)

        eventually(ready, timeout=60, interval=0.1)
        return proc

    def beat(self, name: str = "beat") -> subprocess.Popen:
        return self.start(name, [str(BIN / "celery"), "-A", "notifier.celery_app", "beat",
                                 "--loglevel", "INFO",
                                 "--schedule", str(self.workdir / f"{name}-schedule")])

    def notifier(self, command: str) -> subprocess.Popen:
        return self.start(command, [sys.executable, "-m", "notifier", command])

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def children(self, name: str) -> list[int]:
        """Pids of the direct children of a process (a worker's pool processes)."""
        parent = self.procs[name].pid
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(entry.name))
        return found

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.procs.pop(name)
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)

    def alive(self) -> None:
        for name, proc in self.procs.items():
            assert proc.poll() is None, f"{name} exited:\n{self.log(name)[-3000:]}"

    def stop_all(self) -> None:
        stop_groups(self.procs.values(), grace=10)
        self.procs.clear()


@pytest.fixture
def clock_file(tmp_path):
    return tmp_path / "clock"


@pytest.fixture
def notifier_env(dsn, topology, mailbox, clock_file):
    """The environment of the notifier's processes in this test (own db, namespace, SMTP)."""
    return {
        **os.environ,
        "APP_MODE": "development",
        "DATABASE_URL": dsn,
        "BROKER_URL": BROKER,
        "BUS_NAMESPACE": topology.namespace,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.smtp_port),
        "SMTP_TIMEOUT": "60",
        "TEST_CLOCK_FILE": str(clock_file),
        "MAIL_RETRY_BASE_SECONDS": "0.3",
        "MAIL_RETRY_MAX_SECONDS": "1",
        "TIMER_SWEEP_SECONDS": "0.5",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def processes(tmp_path, notifier_env):
    procs = Processes(tmp_path, notifier_env)
    try:
        yield procs
    finally:
        procs.stop_all()


@pytest.fixture
def config(dsn):
    return Config(database_url=dsn, broker_url=BROKER, retry_base_seconds=2, retry_max_seconds=30)
