"""CPU profiles of running processes with py-spy, summarised as short text.

`py-spy record --format raw` writes collapsed stacks ("frame;frame;... count"); the
summary gives the share of samples per leaf function (self time) and per module group
(inclusive, the first matching frame from the leaf up), which is what
docs/BENCHMARKS.md quotes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]+)(?::\d+)?\)$")

# Leaf functions that wait (for a socket, a lock, the thread pool's queue): py-spy counts
# a thread as active when the kernel has it runnable, which on a busy machine includes
# threads woken up and waiting for a core.
WAITING = {("wait", "threading.py"), ("_worker", "thread.py"), ("select", "selectors.py"),
           ("_read_from_socket", "socket.py"), ("recv_into", "socket.py"),
           ("readline", "socket.py"), ("accept", "socket.py")}
WAITING_GROUP = "waiting for I/O, a lock or a core (runnable)"

# What a leaf frame belongs to, first match wins (paths as py-spy prints them).
GROUPS = [
    ("argon2 hashing", ("argon2",)),
    ("PostgreSQL client (psycopg, pool)", ("psycopg",)),
    ("Redis client", ("redis/",)),
    ("RabbitMQ client (kombu, amqp)", ("kombu", "amqp/")),
    ("Celery", ("celery", "billiard")),
    ("JSON logging and masking", ("pythonjsonlogger", "shared/logs.py", "logging/")),
    ("marshmallow validation", ("marshmallow",)),
    ("email validation", ("email_validator", "dns")),
    ("Prometheus metrics", ("prometheus_client",)),
    ("Flask and Werkzeug", ("flask", "werkzeug")),
    ("gunicorn (HTTP parsing, threads)", ("gunicorn",)),
    ("SMTP and mail (smtplib, email, aiosmtpd)", ("smtplib", "email/", "aiosmtpd")),
    ("socket and selectors", ("socket.py", "selectors.py", "ssl.py")),
    ("project code", ("services/", "shared/")),
]


def py_spy() -> str | None:
    venv = Path(__file__).resolve().parent.parent / ".venv" / "bin" / "py-spy"
    return str(venv) if venv.exists() else shutil.which("py-spy")


def start_recording(pid: int, out: Path, seconds: float, rate: int = 100) -> subprocess.Popen:
    """py-spy on `pid` and its children (gunicorn's workers) for `seconds`, CPU only."""
    exe = py_spy()
    if exe is None:
        raise RuntimeError("py-spy is missing: run scripts/bootstrap (requirements.lock pins it)")
    return subprocess.Popen(
        [exe, "record", "--pid", str(pid), "--subprocesses", "--duration", str(int(seconds)),
         "--rate", str(rate), "--nonblocking", "--format", "raw", "--output", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def parse_collapsed(text: str) -> list[tuple[list[str], int]]:
    stacks = []
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def frame_parts(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame.strip())
    return (match.group("func"), match.group("file")) if match else (frame.strip(), "")


def group_of(frame_file: str) -> str | None:
    for name, needles in GROUPS:
        if any(n in frame_file for n in needles):
            return name
    return None


def summarise(text: str, title: str, top: int = 12,
              rate_note: str = "100 Hz, threads the kernel had running or runnable") -> str:
    """Self time per function and per group, as shares of all CPU samples."""
    stacks = parse_collapsed(text)
    total = sum(count for _, count in stacks)
    if not total:
        return f"{title}: no samples\n"
    leaf, groups = Counter(), Counter()
    for frames, count in stacks:
        func, file = frame_parts(frames[-1])
        short = "/".join(Path(file).parts[-2:]) if file else ""
        leaf[f"{func} ({short})"] += count
        if (func.rsplit(".", 1)[-1], Path(file).name) in WAITING:
            groups[WAITING_GROUP] += count
            continue
        # the leaf's group, else the nearest caller's (C extensions show up as their caller)
        for frame in reversed(frames):
            name = group_of(frame_parts(frame)[1])
            if name:
                groups[name] += count
                break
        else:
            groups["other (interpreter, stdlib)"] += count
    lines = [f"{title}: {total} samples ({rate_note})",
             "  by library (self time of the frames below it):"]
    lines += [f"    {100 * c / total:5.1f} %  {name}" for name, c in groups.most_common()]
    lines.append(f"  top {top} functions (self time):")
    lines += [f"    {100 * c / total:5.1f} %  {name}" for name, c in leaf.most_common(top)]
    return "\n".join(lines) + "\n"
