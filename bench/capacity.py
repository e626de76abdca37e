"""The capacity table of docs/SCALING.md: what one core of each process type does per second
(work done ÷ that process's own CPU seconds in a phase), and a worked example of sizing the
replicas for a target rate of registrations, from the same `make bench` run.

Only the section between the two marker comments is rewritten; the rest of the file is
written by hand and kept as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bench.stats import Spread, digits_for, markdown_table

START = "<!-- capacity:start -->"
END = "<!-- capacity:end -->"
HEADROOM = 0.7  # the autoscalers add replicas above 70 % CPU (deploy/kubernetes)
# CPU limit of one replica in deploy/kubernetes/base (registration hashes on 2 cores)
REPLICA_CORES = {"registration": 2.0}
DEFAULT_REPLICA_CORES = 1.0
SERVERS = ("PostgreSQL", "RabbitMQ", "Redis")


@dataclass(frozen=True)
class Measure:
    """One capacity row: a process, the phase that drives it, and its unit of work."""

    label: str
    process: str  # the session name in the results' CPU tables (a Procfile process)
    phase: str
    unit: str  # a key of the phase's units, or "" for the phase's requests (work)
    what: str  # the unit as the table says it


MEASURES = (
    Measure("registration API", "registration", "b4", "registration requests",
            "requests of whole flows (step 2, step 3, login: two argon2id hashes in three)"),
    Measure("registration API", "registration", "b1-wrong-32", "", "wrong step 2s (32 clients)"),
    Measure("registration API", "registration", "b1-correct-32", "",
            "correct step 2s (32 clients)"),
    Measure("registration API", "registration", "b5", "", "logins (one argon2id verify each)"),
    Measure("code-issuer API", "code-issuer", "seed", "codes issued", "codes issued (requests)"),
    Measure("code-issuer API", "code-issuer", "b4", "code-issuer requests",
            "codes issued in whole flows"),
    Measure("portal", "portal", "", "", "pages (no phase drives the portal yet)"),
    Measure("notifier worker", "notifier-worker", "b2-loaded", "mails",
            "auth-key mails sent (B2 at its rate)"),
    Measure("notifier worker", "notifier-worker", "b4", "mails", "mails of whole flows"),
    Measure("registration relay", "registration-relay", "relay", "events relayed",
            "outbox rows published"),
    Measure("code-issuer relay", "code-issuer-relay", "seed", "codes issued",
            "code.issued events published"),
    Measure("registration consumer", "registration-consumer", "seed", "codes issued",
            "code.issued events consumed"),
    Measure("notifier consumer", "notifier-consumer", "seed", "codes issued",
            "code.issued events consumed"),
)

PHASE_NAMES = {"b4": "B4", "b5": "B5", "b2-loaded": "B2 loaded", "relay": "relay",
               "seed": "B1's seeding", "b1-wrong-32": "B1 wrong, 32", "b1-correct-32":
               "B1 correct, 32"}


def _work(run: dict, unit: str) -> int:
    return run.get("units", {}).get(unit, 0) if unit else run.get("work", 0)


def per_core(results, measure: Measure) -> tuple[Spread, int, float]:
    """Work per CPU second of the process, one value per run (runs whose CPU stayed below
    /proc's 10 ms tick give none), with the work and CPU seconds of all runs."""
    runs = results.cpu_runs.get(measure.phase, []) if measure.phase else []
    rates, work, seconds = [], 0, 0.0
    for run in runs:
        done, used = _work(run, measure.unit), run.get("cpu", {}).get(measure.process, 0.0)
        work, seconds = work + done, seconds + used
        if done and used > 0:
            rates.append(done / used)
    return Spread.of(rates), work, seconds


def rows(results) -> list[list[str]]:
    out = []
    for m in MEASURES:
        rate, work, seconds = per_core(results, m)
        if not m.phase:
            out.append([m.label, "—", m.what, "not measured", "—"])
            continue
        if not results.cpu_runs.get(m.phase):
            continue
        text = (f"{rate.text(digits_for(rate.median))}" if rate.runs else
                "n/a (no work, or CPU below /proc's tick)")
        each = f"{1000 * seconds / work:.2f} ms" if work and seconds else "—"
        out.append([m.label, PHASE_NAMES.get(m.phase, m.phase), m.what, text, each])
    return out


@dataclass(frozen=True)
class Sizing:
    process: str
    ms_per_flow: float
    cores: float  # busy cores at the target rate
    provisioned: float  # cores at HEADROOM
    replicas: int | None  # None for the servers and the development SMTP server
    replica_cores: float | None


def sizing(results, per_second: float) -> list[Sizing]:
    """Cores and replicas of each process for `per_second` whole registrations (B4's flow:
    issue, step 2, mail, step 3, login), from the CPU each process spent per flow."""
    used = results.cpu.get("b4", {})
    flows = results.units.get("b4", {}).get("flows") or results.work.get("b4", 0)
    if not flows:
        return []
    out = []
    for name, seconds in sorted(used.items(), key=lambda kv: -kv[1]):
        ms = 1000 * seconds / flows
        cores = per_second * ms / 1000
        provisioned = cores / HEADROOM
        deployed = name not in SERVERS and name != "smtp"
        size = REPLICA_CORES.get(name, DEFAULT_REPLICA_CORES) if deployed else None
        replicas = max(1, math.ceil(provisioned / size - 1e-9)) if size else None
        out.append(Sizing(name, ms, cores, provisioned, replicas, size))
    return out


def sizing_rows(results, per_second: float) -> list[list[str]]:
    out = []
    for s in sizing(results, per_second):
        replicas = (f"{s.replicas} of {s.replica_cores:g} core{'s' if s.replica_cores > 1 else ''}"
                    if s.replicas else "— (a server: see its section above)" if s.process in SERVERS
                    else "— (development server; a real relay is outside)")
        out.append([s.process, f"{s.ms_per_flow:.1f} ms", f"{s.cores:.1f}",
                    f"{s.provisioned:.1f}", replicas])
    return out


def section(results, per_second: float = 100.0) -> str:
    """The markdown between the markers."""
    meta = results.meta or {}
    info, state = meta.get("info", {}), meta.get("state", {})
    where = (f"commit {info.get('commit', '?')}, {info.get('date', '?')}, "
             f"{info.get('cores', '?')} cores, "
             f"{'a quiet machine' if state.get('quiet') else 'a machine that was not quiet'}")
    parts = [
        "### Capacity per core, measured",
        "",
        f"Rewritten by `make bench` ({where}; docs/BENCHMARKS.md has the run). Each row "
        "divides the work a process did in one phase by that process's own CPU seconds "
        "(from /proc, with its children): the rate one fully busy core of it sustains. "
        "Median of the runs (range); every process ran on one machine beside the others.",
        "",
    ]
    table = rows(results)
    parts += [markdown_table(["process", "phase", "work", "per second per core: median (range)",
                              "CPU per unit (all runs)"], table) if table else
              "No phase of this run measured a process.", ""]
    sized = sizing_rows(results, per_second)
    if sized:
        parts += [
            f"#### Worked example: {per_second:g} registrations a second at peak",
            "",
            "A registration is B4's whole flow (issue, step 2, auth-key mail, step 3, login, "
            "and the notices they send). Cores = rate × CPU per flow; provisioned at "
            f"{100 * HEADROOM:.0f} % busy, the autoscalers' threshold; a replica has the CPU "
            "limit of its Deployment in `deploy/kubernetes/base` (registration 2 cores, the "
            "others 1). The servers' rows count every process of theirs on the machine (on a "
            "shared machine, other suites' work too).",
            "",
            markdown_table(["process", "CPU per flow", f"busy cores at {per_second:g}/s",
                            f"cores at {100 * HEADROOM:.0f} %", "replicas"], sized),
            "",
        ]
    return "\n".join(parts).rstrip()


def replace_section(text: str, body: str) -> str:
    """`text` with what lies between the markers replaced by `body`; the markers and
    everything outside them are kept byte for byte."""
    start = text.find(START)
    end = text.find(END)
    if start < 0 or end < 0 or end < start:
        raise ValueError(f"docs/SCALING.md lacks the markers {START} … {END} in that order")
    head = text[: start + len(START)]
    return f"{head}\n{body.strip()}\n{text[end:]}"
