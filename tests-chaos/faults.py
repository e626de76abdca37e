"""The whole system behind cuttable links, and the faults the chaos tests inject.

Every process reaches PostgreSQL, RabbitMQ and Redis through a TcpProxy of its own test
run: cutting one is a real network outage for the system and touches nobody else's work
on the shared servers. The real-server faults (stopping this machine's RabbitMQ,
restarting PostgreSQL, shutting Redis down) are only used with CHAOS_REAL_SERVERS=1, and
each puts its server back as it found it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from testsupport import TcpProxy, eventually

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests-e2e"))

from system import System  # noqa: E402

REAL_SERVERS = os.environ.get("CHAOS_REAL_SERVERS") == "1"

# Settings of these tests only: a crowd of 200 walks from one test machine, so the
# per-address request limits are raised (each person still has an address of their own),
# and so is R9's 5 mails per code per hour, so that 50 clients racing on one code all get
# through step 2 (the race test); argon2id keeps its production parameters.
CHAOS_SETTINGS = {
    "MAILS_PER_CODE_PER_HOUR": "1000",
    "DB_POOL_SIZE": "8",
    "RATE_LIMIT_APPLICATIONS": "100000",
    "RATE_LIMIT_PASSWORD_REGISTRATIONS": "100000",
    "RATE_LIMIT_SESSIONS": "100000",
    "RATE_LIMIT_READS": "100000",
    "WEB_THREADS": "8",
}


@dataclass
class ChaosSystem(System):
    """System (tests-e2e) whose processes reach the servers through cuttable links."""

    links: dict[str, TcpProxy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.links = {"postgres": TcpProxy("127.0.0.1", 5432),
                      "rabbitmq": TcpProxy("127.0.0.1", 5672),
                      "redis": TcpProxy("127.0.0.1", 6379)}
        self.env["BROKER_URL"] = f"amqp://guest:guest@127.0.0.1:{self.links['rabbitmq'].port}//"
        self.env["REDIS_URL"] = f"redis://127.0.0.1:{self.links['redis'].port}/0"
        self.env.update(CHAOS_SETTINGS)

    def env_for(self, process: str) -> dict[str, str]:
        env = super().env_for(process)
        if "DATABASE_URL" in env:
            env["DATABASE_URL"] = env["DATABASE_URL"].replace(
                "127.0.0.1:5432/", f"127.0.0.1:{self.links['postgres'].port}/")
        return env

    @property
    def urls(self) -> dict[str, str]:
        return {"code_issuer": self.code_issuer_url, "registration": self.registration_url}

    @property
    def mail_dir(self) -> Path:
        return self.workdir / "mail"

    def restart(self, name: str) -> None:
        self.start_process(name)

    def serving(self, timeout: float = 60) -> None:
        """Both HTTP services ready again (database and broker reachable)."""
        def ready() -> bool:
            try:
                return all(requests.get(f"{url}/readyz", timeout=5).status_code == 200
                           for url in self.urls.values())
            except requests.RequestException:
                return False
        eventually(ready, timeout=timeout, interval=0.5)

    def smtp_control(self, action: str, **body) -> dict:
        return requests.post(f"{self.mail_url}/api/{action}", json=body, timeout=5,
                             headers=self.mail_control_headers).json()

    def smtp_status(self) -> dict:
        return requests.get(f"{self.mail_url}/api/status", timeout=5).json()

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            for link in self.links.values():
                link.close()


# --- faults ----------------------------------------------------------------------------
class LinkOutage:
    """A server unreachable for the system: its link refuses and breaks connections."""

    def __init__(self, link: TcpProxy):
        self.link = link

    def begin(self) -> None:
        self.link.cut()

    def end(self) -> None:
        self.link.restore()


def run(command: list[str], timeout: float = 120) -> None:
    subprocess.run(command, check=True, timeout=timeout, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


class RabbitStopped:
    """This machine's RabbitMQ application stopped, then started again."""

    def begin(self) -> None:
        run(["rabbitmqctl", "stop_app"])

    def end(self) -> None:
        run(["rabbitmqctl", "start_app"])
        run(["rabbitmqctl", "await_startup"])


def postgres_cluster() -> str:
    return sorted(os.listdir("/etc/postgresql"))[0]


class PostgresRestarted:
    """This machine's PostgreSQL cluster restarted (every connection is broken)."""

    def begin(self) -> None:
        run(["pg_ctlcluster", "--skip-systemctl-redirect", postgres_cluster(), "main",
             "restart"])

    def end(self) -> None:
        for _ in range(60):
            if subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0:
                return
            time.sleep(1)
        raise RuntimeError("PostgreSQL did not come back")


# The exact start command of scripts/ensure-servers.
REDIS_START = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port",
               "6379", "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
               "--logfile", "/var/log/redis/ci.log"]


def redis_up() -> bool:
    answer = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"],
                            capture_output=True, text=True)
    return answer.stdout.strip() == "PONG"


class RedisShutDown:
    """This machine's Redis shut down, then started with the command CI uses."""

    def begin(self) -> None:
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave"],
                       capture_output=True, timeout=30)

    def end(self) -> None:
        if not redis_up():
            run(REDIS_START)
        for _ in range(60):
            if redis_up():
                return
            time.sleep(0.5)
        raise RuntimeError("Redis did not come back")


class SmtpDown:
    """The local SMTP server process killed, and started again (its store survives)."""

    def __init__(self, system: ChaosSystem):
        self.system = system

    def begin(self) -> None:
        self.system.kill("smtp", signal.SIGKILL)

    def end(self) -> None:
        self.system.restart("smtp")


class SmtpRefusing:
    """The SMTP server answering 451 (try again later) to every recipient."""

    def __init__(self, system: ChaosSystem):
        self.system = system

    def begin(self) -> None:
        self.system.smtp_control("refuse", code=451)

    def end(self) -> None:
        self.system.smtp_control("accept")
