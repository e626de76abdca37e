"""What the figures were taken on: cores, memory, server versions, commit, and how busy
the machine was (other engineers' test suites share it)."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import redis
from kombu import Connection

from testsupport import BROKER, POSTGRES, REDIS

ROOT = Path(__file__).resolve().parent.parent
OTHERS = ("pytest", "celery", "gunicorn", "chromium")


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def memory_gib() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 1024 / 1024
    return 0.0


def versions() -> dict[str, str]:
    with psycopg.connect(POSTGRES) as conn:
        pg = conn.execute("SHOW server_version").fetchone()[0]
    with Connection(BROKER) as conn:
        conn.ensure_connection(max_retries=1)
        props = conn.connection.server_properties
        rabbit = props.get("version", "unknown")
        rabbit = rabbit.decode() if isinstance(rabbit, bytes) else str(rabbit)
    info = redis.Redis.from_url(REDIS).info("server")
    return {"PostgreSQL": pg.split()[0], "RabbitMQ": rabbit, "Redis": info["redis_version"]}


def commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    return f"{head} (with uncommitted changes in the tree)" if dirty else head


def others_running(own_pids: set[int] | None = None) -> list[str]:
    """Other people's test suites and servers on the machine right now."""
    own = own_pids or set()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) in own or int(entry.name) == os.getpid():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(word in cmd for word in OTHERS) and "py-spy" not in cmd:
            found.append(cmd.strip()[:120])
    return found


def load_average() -> float:
    return os.getloadavg()[0]


def wait_quiet(max_wait: float, threshold: float = 0.5) -> tuple[bool, float]:
    """Wait (up to `max_wait` s) for load < threshold and no others' suites; (quiet, waited)."""
    started = time.monotonic()
    while True:
        quiet = load_average() < threshold and not others_running()
        waited = time.monotonic() - started
        if quiet or waited >= max_wait:
            return quiet, waited
        time.sleep(10)


def describe() -> dict[str, object]:
    return {"cores": os.cpu_count(), "cpu": cpu_model(), "memory_gib": round(memory_gib(), 1),
            "versions": versions(), "commit": commit(),
            "date": datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")}
