"""The whole system started for end-to-end tests: every Procfile process, on free ports,
with its own databases, bus namespace, SMTP server, Redis prefix and movable clock."""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests

from shared.clock import set_file_clock
from shared.db import drop_database
from testsupport import (
    BROKER,
    REDIS,
    delete_namespace,
    delete_redis_keys,
    dsn_for,
    free_port,
    stop_groups,
    unique,
)

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {"code-issuer": "code_issuer", "registration": "registration", "notifier": "notifier"}


def procfile(path: Path = ROOT / "Procfile") -> dict[str, str]:
    """name -> command of every process line."""
    lines: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            name, command = raw.split(":", 1)
            lines[name.strip()] = command.strip()
    return lines


def service_of(process: str) -> str | None:
    for prefix, package in SERVICES.items():
        if process == prefix or process.startswith(prefix + "-"):
            return package
    return None


@dataclass
class System:
    workdir: Path
    namespace: str = field(default_factory=lambda: unique("e2e"))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ports = {name: free_port() for name in
                      ("code_issuer", "registration", "smtp", "mail_page", "portal",
                                   "notifier_health")}
        # the probes (/healthz, /readyz, /metrics) of the relays, consumers and beat, each on
        # a port of its own, so a system never meets another's (or `make up`'s) defaults
        self.probe_ports = {name: free_port() for name in procfile()
                            if name.endswith(("-relay", "-consumer", "-beat"))}
        self.databases = {pkg: dsn_for(unique(f"e2e_{pkg}")) for pkg in SERVICES.values()}
        self.clock_file = self.workdir / "clock"
        # The mail page's test controls (refuse, delay, accept, clear) need this token.
        self.mail_page_token = secrets.token_urlsafe(32)
        self.logs = self.workdir / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "PATH": f"{ROOT / '.venv' / 'bin'}:{os.environ.get('PATH', '')}",
            "APP_MODE": "development",
            "BROKER_URL": BROKER,
            "REDIS_URL": REDIS,
            "REDIS_PREFIX": f"{self.namespace}:",
            "BUS_NAMESPACE": self.namespace,
            "TEST_CLOCK_FILE": str(self.clock_file),
            "CODE_ISSUER_PORT": str(self.ports["code_issuer"]),
            "REGISTRATION_PORT": str(self.ports["registration"]),
            "PORTAL_PORT": str(self.ports["portal"]),
            "CODE_ISSUER_URL": self.code_issuer_url,
            "REGISTRATION_URL": self.registration_url,
            "SMTP_PORT": str(self.ports["smtp"]),
            "SMTP_LISTEN_PORT": str(self.ports["smtp"]),
            "MAIL_PAGE_PORT": str(self.ports["mail_page"]),
            "MAIL_PAGE_URL": self.mail_url,
            "MAIL_PAGE_TOKEN": self.mail_page_token,
            "MAIL_STORE_DIR": str(self.workdir / "mail"),
            "BEAT_SCHEDULE_FILE": str(self.workdir / "celerybeat-schedule"),
            "NOTIFIER_CONCURRENCY": "2",
            "NOTIFIER_HEALTH_PORT": str(self.ports["notifier_health"]),
            "CELERY_WORKER_NAME": f"{self.namespace}@%h",
            "WEB_CONCURRENCY": "2",
            "PYTHONUNBUFFERED": "1",
        }

    @property
    def code_issuer_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['code_issuer']}"

    @property
    def registration_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['registration']}"

    @property
    def mail_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['mail_page']}"

    @property
    def mail_control_headers(self) -> dict[str, str]:
        """Headers of a call to the mail page's test controls."""
        return {"Authorization": f"Bearer {self.mail_page_token}"}

    @property
    def notifier_health_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['notifier_health']}"

    @property
    def portal_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['portal']}"

    def env_for(self, process: str) -> dict[str, str]:
        env = dict(self.env)
        package = service_of(process)
        if package:
            env["DATABASE_URL"] = self.databases[package]
        if process in self.probe_ports:
            env["HEALTH_PORT"] = str(self.probe_ports[process])
        return env

    def metrics_targets(self) -> dict[str, str]:
        """process -> host:port of its /metrics, for every process that has one."""
        targets = {name: f"127.0.0.1:{port}" for name, port in self.probe_ports.items()}
        targets.update({
            "code-issuer": f"127.0.0.1:{self.ports['code_issuer']}",
            "registration": f"127.0.0.1:{self.ports['registration']}",
            "portal": f"127.0.0.1:{self.ports['portal']}",
            "notifier-worker": f"127.0.0.1:{self.ports['notifier_health']}",
        })
        return {name: target for name, target in targets.items() if name in self.processes}

    def migrate(self) -> None:
        for package, dsn in self.databases.items():
            subprocess.run([sys.executable, "-m", package, "migrate"], check=True, cwd=ROOT,
                           env={**self.env, "DATABASE_URL": dsn}, timeout=120)

    def start_process(self, name: str) -> subprocess.Popen:
        command = procfile()[name]
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - lives with the process
        proc = subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=ROOT,
                                env=self.env_for(name), stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.processes[name] = proc
        return proc

    def start(self, names: list[str] | None = None) -> None:
        self.migrate()
        for name in names or list(procfile()):
            self.start_process(name)
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        urls = [f"{self.code_issuer_url}/readyz", f"{self.registration_url}/readyz",
                f"{self.mail_url}/api/messages", f"{self.notifier_health_url}/readyz"]
        if "portal" in self.processes:
            urls.append(f"{self.portal_url}/healthz")
        deadline = time.monotonic() + timeout
        for url in urls:
            while True:
                self.check_alive()
                try:
                    if requests.get(url, timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url} not ready; logs in {self.logs}")
                time.sleep(0.2)

    def check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                tail = (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"process {name} exited with {proc.returncode}:\n{tail}")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        proc = self.processes.pop(name)
        os.killpg(proc.pid, sig)
        proc.wait(timeout=30)

    @contextmanager
    def running(self) -> Iterator[System]:
        """Every process started for the block, everything stopped and removed after it."""
        try:
            self.start()
            yield self
        finally:
            self.stop()

    def stop(self) -> None:
        stop_groups(self.processes.values(), grace=15)
        self.processes.clear()
        for dsn in self.databases.values():
            drop_database(dsn)
        delete_namespace(self.namespace)
        delete_redis_keys(self.namespace)

    def move_clock(self, at: datetime) -> None:
        """Every running process sees `at` as now (their FileClock re-reads the file)."""
        set_file_clock(str(self.clock_file), at)
        time.sleep(0.5)

    def command_line(self, name: str) -> list[str]:
        return shlex.split(procfile()[name])
