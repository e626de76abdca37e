import http.client
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from kombu import Connection
from notifier.config import MIGRATIONS, Config

from shared.clock import SystemClock
from shared.db import make_pool
from shared.outbox import Relay, task_queue
from shared.testing import BROKER, Tap, eventually, fresh_database, fresh_namespace, unique

ROOT = Path(__file__).resolve().parents[4]
BIN = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@pytest.fixture
def dsn():
    with fresh_database("notifier", MIGRATIONS) as dsn:
        yield dsn


@pytest.fixture
def pool(dsn):
    pool = make_pool(dsn, max_size=6)
    yield pool
    pool.close()


@pytest.fixture
def topology():
    """A bus namespace of the test's own, with the Celery queues removed afterwards too."""
    with fresh_namespace() as topology:
        yield topology
        with Connection(BROKER) as conn:
            for name in (f"{topology.namespace}.mail", f"{topology.namespace}.timers"):
                queue = task_queue(name)
                queue(conn.default_channel).delete()
                queue.exchange(conn.default_channel).delete()


@pytest.fixture
def published(topology):
    tap = Tap(topology)
    yield tap
    tap.close()


@pytest.fixture
def relay(dsn, topology):
    """The notifier's outbox relay (what `python -m notifier relay` runs), in a thread."""
    relay = Relay(dsn, BROKER, topology, SystemClock(), poll_interval=0.2, name="test-relay")
    thread = threading.Thread(target=relay.run, daemon=True)
    thread.start()
    yield relay
    relay.stopping.set()
    thread.join(timeout=10)


class MailServer:
    """Client of the local SMTP server's page API (its test controls need `token`)."""

    def __init__(self, smtp_port: int, page_port: int):
        self.smtp_port = smtp_port
        self.page_port = page_port
        self.token = secrets.token_urlsafe(32)

    def request(self, method: str, path: str, body=None, token: str | None = "") -> tuple[int, str, bytes]:
        """(status, content type, body) of one call to the page; `token` "" sends the
        server's token, None sends none, anything else is sent as is."""
        conn = http.client.HTTPConnection("127.0.0.1", self.page_port, timeout=5)
        try:
            data = None if body is None else (body if isinstance(body, bytes)
                                              else json.dumps(body).encode())
            headers = {"Content-Type": "application/json"}
            if token is not None:
                headers["Authorization"] = f"Bearer {token or self.token}"
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheader("Content-Type", ""), response.read()
        finally:
            conn.close()

    def call(self, method: str, path: str, body=None):
        status, kind, raw = self.request(method, path, body)
        assert status == 200, (status, raw)
        return json.loads(raw) if kind.startswith("application/json") else raw.decode()

    def messages(self):
        return self.call("GET", "/api/messages")

    def status(self):
        return self.call("GET", "/api/status")

    def refuse(self, code=451, seconds=None):
        return self.call("POST", "/api/refuse", {"code": code, "seconds": seconds})

    def delay(self, seconds):
        return self.call("POST", "/api/delay", {"seconds": seconds})

    def accept(self):
        return self.call("POST", "/api/accept", {})

    def clear(self):
        return self.call("DELETE", "/api/messages")


@pytest.fixture(scope="session")
def smtp_server(tmp_path_factory):
    """`python -m notifier smtp` on free ports, for the whole session."""
    workdir = tmp_path_factory.mktemp("smtp")
    server = MailServer(free_port(), free_port())
    env = {**os.environ, "SMTP_LISTEN_PORT": str(server.smtp_port),
           "MAIL_PAGE_PORT": str(server.page_port), "MAIL_STORE_DIR": str(workdir / "mail"),
           "MAIL_PAGE_TOKEN": server.token, "PYTHONUNBUFFERED": "1"}
    with open(workdir / "smtp.log", "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "notifier", "smtp"], cwd=workdir, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def up():
            assert proc.poll() is None, (workdir / "smtp.log").read_text()
            try:
                return server.messages() == []
            except OSError:
                return False

        eventually(up, timeout=30, interval=0.1)
        yield server
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def mailbox(smtp_server):
    """The session's SMTP server, emptied and accepting mail."""
    smtp_server.accept()
    smtp_server.clear()
    yield smtp_server
    smtp_server.accept()


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
        for proc in self.procs.values():
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the group: pool children included
            except ProcessLookupError:
                pass
            proc.wait()
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
