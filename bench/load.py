"""Running the load tools (wrk, pgbench) and counting the CPU they used themselves."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Measured:
    """A finished child process: its output, wall time and CPU time (user + system)."""

    stdout: str
    stderr: str
    returncode: int
    wall: float
    cpu: float


def run_measured(argv: list[str], env: dict[str, str] | None = None,
                 cwd: str | Path | None = None, timeout: float = 300) -> Measured:
    """Run `argv` to its end; the CPU it used comes from the kernel (wait4's rusage)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd=cwd)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        wall = time.monotonic() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
    return Measured(stdout, stderr, proc.returncode, wall, usage.ru_utime + usage.ru_stime)


def ensure_wrk() -> str:
    """wrk from Debian's packages, installed once if missing (idempotent)."""
    found = shutil.which("wrk")
    if found:
        return found
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        subprocess.run(["apt-get", "update", "-qq"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return shutil.which("wrk") or "wrk"


@dataclass(frozen=True)
class HttpRun:
    """One wrk run: throughput, latency and what the server answered."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[str, int]
    errors: int
    wrapped: int
    cpu: float  # CPU seconds wrk itself used


def wrk(url: str, *, connections: int, seconds: float, script: str,
        bodies: Path | None = None, offset: int = 0, threads: int = 1,
        xff: str = "203.0.113.7") -> HttpRun:
    """Closed-loop load: `connections` clients, each sending its next request at once."""
    env = {**os.environ, "BENCH_OFFSET": str(offset), "BENCH_THREADS": str(threads),
           "BENCH_XFF": xff}
    if bodies is not None:
        env["BENCH_BODIES"] = str(bodies)
    threads = min(threads, connections)
    argv = [ensure_wrk(), "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
            "--timeout", "10s", "-s", str(HERE / "lua" / script), url]
    done = run_measured(argv, env=env, timeout=seconds + 60)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {done.stdout[-500:]} {done.stderr[-500:]}")
    data = json.loads(line.removeprefix("BENCHJSON "))
    seconds_run = data["duration_us"] / 1e6
    return HttpRun(
        requests=data["requests"], seconds=seconds_run, rps=data["requests"] / seconds_run,
        p50_ms=data["p50_us"] / 1000, p99_ms=data["p99_us"] / 1000, statuses=data["statuses"],
        errors=sum(data["errors"].values()), wrapped=data["wrapped"], cpu=done.cpu)


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path
