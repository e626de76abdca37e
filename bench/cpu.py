"""CPU time by process group, read from /proc: where a run's CPU went."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
SERVERS = {"postgres": "PostgreSQL", "beam.smp": "RabbitMQ", "redis-server": "Redis"}


def _stat(pid: str) -> tuple[str, int, float] | None:
    """(command name, session id, CPU seconds) of a live process, with the CPU of its
    children that have ended (cutime, cstime): a PostgreSQL backend lives only as long as
    its connection (pgbench's, a test's), and when it ends its CPU moves into the
    postmaster's children's time. Counted so, a group's total never goes back when one of
    its processes ends, and the CPU of processes that lived between two snapshots is not
    lost."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    session = int(fields[3])
    cpu = sum(int(f) for f in fields[11:15]) / TICK  # utime, stime, cutime, cstime
    return name, session, cpu


def snapshot(sessions: dict[int, str]) -> Counter:
    """CPU seconds so far of each named session (a system process and its children) and
    of the servers (PostgreSQL, RabbitMQ, Redis: every process of theirs)."""
    totals: Counter = Counter()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        stat = _stat(entry)
        if stat is None:
            continue
        name, session, cpu = stat
        if session in sessions:
            totals[sessions[session]] += cpu
        elif name in SERVERS:
            totals[SERVERS[name]] += cpu
    return totals


def used_between(before: Counter, after: Counter) -> dict[str, float]:
    return {name: after[name] - before.get(name, 0.0) for name in after
            if after[name] - before.get(name, 0.0) > 0}


def sessions_of(system) -> dict[int, str]:
    """Each Procfile process was started in a session of its own (start_new_session)."""
    return {proc.pid: name for name, proc in system.processes.items()}
