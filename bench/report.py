"""The table `make bench` prints and docs/BENCHMARKS.md, built from a run's results."""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
from pathlib import Path

from bench import capacity
from bench.ceilings import flow_cpu_outside_hashes, serial_ceilings
from bench.stats import Spread, digits_for, markdown_table, percent, plain_table, ratio, verdict

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
DOC = DOCS / "BENCHMARKS.md"
SCALING = DOCS / "SCALING.md"
CHARTS = "bench"  # docs/bench/*.png, linked from BENCHMARKS.md as bench/<name>.png
ANALYSIS = Path(__file__).resolve().parent / "analysis.md"
PROFILES = Path(__file__).resolve().parent / "profiles"
LEVERS = Path(__file__).resolve().parent / "levers"
LEVERS_HEADING = "Levers of issue 19 (A/B, one sitting each)"
# B1's targets at 32 clients: share of the serial ceiling, and p99 (issue 19)
B1_TARGETS = {"wrong": (0.6, 50.0), "correct": (0.5, 100.0)}
B1_TARGET_CLIENTS = 32
B4_SHARE = 0.5  # flows/s against the argon2 ceiling
B4_OUTSIDE_HASHES_MS = 35.0  # CPU per flow outside its two hashes
KEYCLOAK_LOGINS_PER_VCPU = 15.0  # Keycloak's sizing guide: password logins/s per vCPU

HEADER = ["figure", "load", "result: median (range)", "p50 / p99 ms",
          "ceiling: median (range)", "share of ceiling", "target", "verdict", "load generator CPU"]


def judged(share: float, met: bool | None) -> str:
    """The verdict, unless the figure beat its ceiling: then the ceiling was measured wrong."""
    if not math.isnan(share) and share > 1.0:
        return "ceiling measured too low (noise): no verdict"
    return verdict(met)


def _num(spread: Spread) -> str:
    return spread.text(digits_for(spread.median))


def _med(values: list[float]) -> float:
    clean = [v for v in values if not math.isnan(v)]
    return statistics.median(clean) if clean else math.nan


def _ms(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _core_share(cpu: list[float], seconds: list[float]) -> str:
    share = _med([c / s for c, s in zip(cpu, seconds, strict=True) if s])
    return "n/a" if math.isnan(share) else f"{100 * share:.0f} % of a core"


def cores_of(results) -> int:
    return int((results.meta or {}).get("info", {}).get("cores") or os.cpu_count() or 1)


def b1_rows(results) -> list[list[str]]:
    rows = []
    b1 = results.b1
    cores = cores_of(results)
    for kind, label in (("wrong", "B1 step 2, wrong triple"), ("correct", "B1 step 2, correct triple")):
        for c, runs in b1.get(kind, {}).items():
            rps = Spread.of([r.rps for r in runs])
            sql = Spread.of([r.tps for r in b1.get(f"sql_{kind}", {}).get(c, [])])
            json_ = Spread.of([r.rps for r in b1.get("trivial", {}).get(c, [])])
            serial = Spread.of([s.per_second for s in serial_ceilings(results, kind, c, cores)])
            lower = min(x for x in (sql.median, json_.median) if not math.isnan(x)) \
                if sql.runs or json_.runs else math.nan
            share = ratio(rps.median, serial.median)
            p99 = _med([r.p99_ms for r in runs])
            judged_here = c == B1_TARGET_CLIENTS
            least, p99_max = B1_TARGETS[kind]
            target = (f"≥ {100 * least:.0f} % of the serial ceiling; p99 < {p99_max:g} ms"
                      if judged_here else "(reported)")
            met = (share >= least and p99 < p99_max) if judged_here and not math.isnan(share) \
                else None
            errors = sum(r.errors for r in runs)
            expected = "400" if kind == "wrong" else "201"
            odd = sum(n for r in runs for s, n in r.statuses.items() if s != expected)
            load = f"{c} client{'s' if c > 1 else ''}, {runs[0].seconds:.0f} s × {len(runs)}"
            if errors or odd:
                load += f"; {errors} socket errors, {odd} answers other than {expected}"
            rows.append([
                label, load, f"{_num(rps)} req/s", f"{_ms(_med([r.p50_ms for r in runs]))} / {_ms(p99)}",
                f"serial {_num(serial)} req/s; SQL {_num(sql)} tx/s; JSON {_num(json_)} req/s",
                f"{percent(share)} (of the lower old ceiling {percent(ratio(rps.median, lower))})",
                target, judged(share, met),
                "wrk " + _core_share([r.cpu for r in runs], [r.seconds for r in runs]),
            ])
    return rows


def serial_detail(results) -> str:
    """What each serial ceiling is made of, beside what a step 2 cost in the same runs."""
    cores = cores_of(results)
    lines = []
    for kind in ("wrong", "correct"):
        for c in results.b1.get(kind, {}):
            parts = serial_ceilings(results, kind, c, cores)
            if not parts:
                continue
            measured = [1000 * sum(r["cpu"].values()) / r["work"]
                        for r in results.cpu_runs.get(f"b1-{kind}-{c}", []) if r["work"]]
            lines.append([
                f"{kind} triple", str(c),
                _num(Spread.of([p.trivial_ms for p in parts])),
                _num(Spread.of([p.sql_ms for p in parts])),
                _num(Spread.of([p.redis_ms for p in parts])),
                _num(Spread.of([p.cost_ms for p in parts])),
                _num(Spread.of([p.per_second for p in parts])),
                _num(Spread.of(measured))])
    if not lines:
        return ""
    return markdown_table(
        ["step 2", "clients", "trivial endpoint ms CPU/request", "PostgreSQL ms CPU/transaction",
         "Redis ms CPU/request", "sum ms", f"serial ceiling req/s ({cores} cores ÷ sum)",
         "step 2 measured: ms CPU/request, every process"], lines)


def latency_row(label: str, load: str, runs: list, p50_target: float, p99_target: float | None):
    p50 = Spread.of([r.p50 for r in runs])
    p99 = Spread.of([r.p99 for r in runs])
    errors = sum(len(r.errors) for r in runs)
    met = None
    if p50.runs:
        met = p50.median < p50_target and (p99_target is None or p99.median < p99_target)
        met = met and errors == 0
    target = f"p50 < {p50_target:g} ms" + (f", p99 < {p99_target:g} ms" if p99_target else "")
    samples = sum(len(r.samples) for r in runs)
    return [label, f"{load}; {samples} samples, {errors} errors", f"p50 {_num(p50)} ms",
            f"{_ms(p50.median)} / {_ms(p99.median)} (p99 range {_ms(p99.low)}–{_ms(p99.high)})",
            "—", "—", target, verdict(met),
            f"Python client {_med([r.cpu for r in runs]):.1f} s CPU per run"]


def rows(results) -> tuple[list[list[str]], list[str]]:
    out = b1_rows(results)
    plan = results.plan
    if results.b2:
        out.append(latency_row("B2 auth-key mail, idle", "one step 2 at a time",
                               results.b2["idle"], 100, 500))
        out.append(latency_row("B2 auth-key mail, loaded",
                               f"{plan.b2_rate:g} step-2/s for {plan.b2_seconds:g} s",
                               results.b2["loaded"], 100, 500))
    if results.b3:
        out.append(latency_row("B3 code.issued to usable", "one issue at a time", results.b3,
                               50, None))
    if results.b4:
        hashes = Spread.of([h.per_second for h in results.argon2.get("b4", [])])
        flows = Spread.of([r.per_second for r in results.b4])
        ceiling = Spread.of([h.per_second / 2 for h in results.argon2.get("b4", [])])
        share = ratio(flows.median, ceiling.median)
        errors = sum(len(r.errors) for r in results.b4)
        met = None if math.isnan(share) else share >= B4_SHARE and errors == 0
        out.append([
            "B4 whole flows", f"{plan.b4_clients} people at once, {plan.b4_seconds:g} s × "
            f"{len(results.b4)}; {errors} errors", f"{_num(flows)} flows/s", "—",
            f"{_num(ceiling)} flows/s (argon2id {_num(hashes)} hashes/s ÷ 2; "
            f"{_med([h.cpu_ms for h in results.argon2.get('b4', [])]):.0f} ms CPU a hash)",
            percent(share),
            f"≥ {100 * B4_SHARE:.0f} % of the argon2 ceiling, no error", judged(share, met),
            "Python client " + _core_share([r.cpu for r in results.b4],
                                           [r.seconds for r in results.b4])])
        out.append(b4_cpu_row(results))
    if results.b5:
        cores = os.cpu_count() or 1
        per_core = Spread.of([r.rps / cores for r in results.b5])
        ceiling = Spread.of([h.per_second / h.processes for h in results.argon2.get("b5", [])])
        share = ratio(per_core.median, ceiling.median)
        odd = sum(n for r in results.b5 for s, n in r.statuses.items() if s != "201")
        out.append([
            "B5 logins per core", f"{plan.b5_connections} clients, {results.b5[0].seconds:.0f} s × "
            f"{len(results.b5)}; {cores} cores; {odd} answers other than 201",
            f"{_num(per_core)} logins/s/core",
            f"{_ms(_med([r.p50_ms for r in results.b5]))} / {_ms(_med([r.p99_ms for r in results.b5]))}",
            f"argon2id {_num(ceiling)} hashes/s/core; Keycloak sizing {KEYCLOAK_LOGINS_PER_VCPU:g}/s/vCPU",
            f"{percent(share)} (Keycloak {percent(ratio(per_core.median, KEYCLOAK_LOGINS_PER_VCPU))})",
            "≥ 70 % of the argon2 ceiling", judged(share, None if math.isnan(share) else share >= 0.7),
            "wrk " + _core_share([r.cpu for r in results.b5], [r.seconds for r in results.b5])])
    if results.relay:
        relay = Spread.of(results.relay["relay"])
        kombu = Spread.of(results.relay["kombu"])
        pipelined = Spread.of(results.relay["pipelined"])
        share = ratio(relay.median, max(kombu.median, pipelined.median))
        out.append([
            "Relay publish rate", f"{plan.relay_messages} outbox rows at once × {relay.runs}",
            f"{_num(relay)} msg/s", "—",
            f"kombu with confirms alone: {_num(pipelined)} msg/s confirming each batch of "
            f"200, {_num(kombu)} msg/s confirming each message",
            percent(share), "≥ 50 % of kombu alone (the higher)",
            judged(share, None if math.isnan(share) else share >= 0.5), "(the relay is the system)"])
    return out, HEADER


def b4_cpu_row(results) -> list[str]:
    """CPU per whole flow outside its two argon2id hashes, against its 35 ms target."""
    outside = Spread.of(flow_cpu_outside_hashes(results))
    total = Spread.of([1000 * sum(r["cpu"].values()) / r["work"]
                       for r in results.cpu_runs.get("b4", []) if r["work"]])
    hash_ms = Spread.of([h.cpu_ms for h in results.argon2.get("b4", [])])
    met = None if not outside.runs else outside.median <= B4_OUTSIDE_HASHES_MS
    return ["B4 CPU per flow outside the two hashes", "the B4 runs above",
            f"{_num(outside)} ms", "—",
            f"all processes {_num(total)} ms a flow, less 2 × {_num(hash_ms)} ms (argon2id, "
            "the ceiling's CPU a hash)", "—", f"≤ {B4_OUTSIDE_HASHES_MS:g} ms", verdict(met),
            "(from /proc)"]


def terminal(header: list[str], table: list[list[str]]) -> str:
    return plain_table(header, table)


def b1_detail(results) -> str:
    lines = []
    names = {"trivial": "trivial JSON endpoint (wrk)", "sql_wrong": "pgbench, wrong-triple SQL",
             "sql_correct": "pgbench, correct-triple SQL"}
    for key, name in names.items():
        for c, runs in results.b1.get(key, {}).items():
            rate = Spread.of([getattr(r, "tps", None) or r.rps for r in runs])
            p50 = _med([r.p50_ms for r in runs])
            p99 = _med([r.p99_ms for r in runs])
            secs = [getattr(r, "seconds", 0) for r in runs]
            lines.append([name, str(c), _num(rate), f"{_ms(p50)} / {_ms(p99)}",
                          _core_share([r.cpu for r in runs], secs)])
    if not lines:
        return ""
    return markdown_table(["ceiling", "clients", "per second: median (range)", "p50 / p99 ms",
                           "generator CPU"], lines)


def _cpu_rows(results) -> list[list[str]]:
    rows_ = []
    for phase, used in results.cpu.items():
        total = sum(used.values())
        work = results.work.get(phase, 0)
        per = (f"{1000 * total / work:.1f} ms (registration {1000 * used.get('registration', 0) / work:.1f} ms)"
               if work else "—")
        top = sorted(used.items(), key=lambda kv: -kv[1])[:6]
        rows_.append([phase, f"{total:.1f}", str(work or "—"), per,
                      "; ".join(f"{n} {s:.1f}" for n, s in top)])
    return rows_


CPU_HEADER = ["phase (all runs)", "CPU s", "requests, flows or messages", "CPU per one",
              "largest shares (CPU s)"]


def cpu_table(results) -> str:
    return markdown_table(CPU_HEADER, _cpu_rows(results)) if results.cpu else ""


def cpu_lines(results) -> str:
    return plain_table(CPU_HEADER, _cpu_rows(results)) if results.cpu else ""


def save_profiles(results, info, state) -> None:
    """Keep this run's py-spy summaries in bench/profiles/ (the document quotes them)."""
    settings = "; ".join(f"{k}={v}" for k, v in results.env.items()) or "defaults"
    PROFILES.mkdir(exist_ok=True)
    for name, text in results.profiles.items():
        (PROFILES / f"{name}.txt").write_text(
            f"# {info['date']}, commit {info['commit']}, settings: {settings}, "
            f"load average at start {state['load']:.1f}\n{text}", encoding="utf-8")


CHART_TITLES = {
    "b1": "B1: step 2's throughput and p99 against clients, beside its three ceilings",
    "b4": "B4: CPU per whole flow by process, the two argon2id hashes hatched",
    "b2": "B2: auth-key mail latency, idle and loaded (every sample of every run)",
    "b3": "B3: code.issued to usable (every sample of every run)",
}


def chart_links(charts: list[Path]) -> list[str]:
    """Markdown images, relative to the document: bench/<name>.png."""
    return [f"![{CHART_TITLES.get(path.stem, path.stem)}]({CHARTS}/{path.name})"
            for path in charts]


def lever_notes(folder: Path = LEVERS) -> str:
    """Every bench/levers/*.md but its README, sorted by name, under one heading."""
    notes = sorted(p for p in folder.glob("*.md") if p.name != "README.md") \
        if folder.exists() else []
    if not notes:
        return ""
    parts = [f"## {LEVERS_HEADING}", ""]
    for path in notes:
        parts += [path.read_text(encoding="utf-8").strip(), ""]
    return "\n".join(parts).rstrip()


def write_all(results, out_dir: Path = DOCS) -> list[Path]:
    """The charts (out_dir/bench/*.png), BENCHMARKS.md and SCALING.md's capacity section;
    with `out_dir` other than docs/, docs/SCALING.md is copied there and rewritten there."""
    from bench import charts

    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = charts.write_all(results, out_dir / CHARTS)
    rows_, header = rows(results)
    doc = write_document(results, rows_, header, out_dir / "BENCHMARKS.md", drawn)
    scaling = out_dir / "SCALING.md"
    if scaling.resolve() != SCALING.resolve():
        shutil.copyfile(SCALING, scaling)
    write_capacity(results, scaling)
    return [*drawn, doc, scaling]


def write_capacity(results, path: Path = SCALING) -> Path:
    text = path.read_text(encoding="utf-8")
    path.write_text(capacity.replace_section(text, capacity.section(results)), encoding="utf-8")
    return path


def write_document(results, table, header, path: Path = DOC, charts: list[Path] = ()) -> Path:
    meta = results.meta or {}
    info, state, elapsed = meta["info"], meta["state"], meta.get("elapsed", math.nan)
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items())
    quiet = ("quiet (load average below 0.5, no other test suites)" if state["quiet"] else
             f"**not quiet**: load average {state['load']:.2f} at start, "
             f"{len(state['others'])} processes of other engineers' suites running "
             f"(waited {state['waited']:.0f} s); the figures are lower and noisier than on an "
             "idle machine")
    settings = "; ".join(f"`{k}={v}`" for k, v in results.env.items()) or "none"
    from bench.harness import BENCH_SETTINGS

    raised = ", ".join(f"`{k}`" for k in BENCH_SETTINGS)
    parts = [
        "# Benchmarks",
        "",
        "Rewritten by `make bench` (`python -m bench.run`, code in `bench/`); the tuning notes "
        "come from `bench/analysis.md`, the lever notes from `bench/levers/` and the profiles "
        "from `bench/profiles/`. `python -m bench.run --json FILE` keeps a run's raw results "
        "(the latency samples too); `python -m bench.report FILE --out DIR` draws this page, "
        "its charts and SCALING.md's capacity section from them again.",
        "",
        f"- **Commit:** {info['commit']}; **date:** {info['date']}; whole run {elapsed:.0f} s.",
        f"- **Machine:** {info['cores']} cores ({info['cpu']}), {info['memory_gib']} GiB memory; "
        f"{versions}.",
        f"- **Machine state:** {quiet}; load average after the run {state['load_after']:.2f}.",
        f"- **System under test:** every Procfile process started by `tests-e2e/system.py` as "
        f"the README's `make up` starts them (same commands, default worker counts), with its "
        f"own databases, bus namespace, Redis prefix and SMTP store. Raised for the load "
        f"generator only: {raised} (one generator address would else be throttled, and R9 "
        f"would refuse a code's sixth mail in an hour). Extra settings of this run: {settings}.",
        "",
        "## Figures",
        "",
        *[line for link in chart_links(list(charts)) for line in (link, "")],
        markdown_table(header, table),
        "",
        *[f"- **Failed in this run:** {' '.join(note.split())}" for note in results.notes],
        "",
        "Each figure is run 3 times (or as many as stated) and quoted as the median with the "
        "range of the runs; latencies are the median of the runs' percentiles. "
        "A share above 100 % would mean the ceiling was measured wrong. B1's serial ceiling "
        "is the machine's cores ÷ (the trivial endpoint's CPU per request + PostgreSQL's CPU "
        "per pgbench transaction of the same statements + Redis's CPU per step 2), each run "
        "paired with the ceilings' runs beside it; its parts are below. The capacity per "
        "core of each process is in docs/SCALING.md, from this run.",
        "",
    ]
    levers = lever_notes()
    if levers:
        parts += [levers, ""]
    serial = serial_detail(results)
    if serial:
        parts += ["## B1 serial ceiling in detail", "", serial, ""]
    detail = b1_detail(results)
    if detail:
        parts += ["## B1 ceilings in detail", "", detail, ""]
    cpu = cpu_table(results)
    if cpu:
        parts += ["## Where the CPU went", "",
                  "CPU seconds used during each phase by each Procfile process (with its "
                  "children) and by the servers, from /proc (the load generator is not in it).",
                  "", cpu, ""]
    parts += [METHOD, ""]
    if ANALYSIS.exists():
        parts += [ANALYSIS.read_text(encoding="utf-8").rstrip(), ""]
    saved = sorted(PROFILES.glob("*.txt")) if PROFILES.exists() else []
    if saved:
        parts += ["## Profiles (py-spy)", "",
                  "Taken with `python -m bench.run --profile` (py-spy record, CPU samples "
                  "only, of the process and its children during the first run of the phase).",
                  ""]
        for profile in saved:
            parts += ["```", profile.read_text(encoding="utf-8").rstrip(), "```", ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts).rstrip() + "\n", encoding="utf-8")
    return path


METHOD = """## How each figure was taken

- **B1** — each run of a figure comes right after a run of each of its ceilings, so that a
  busy moment of the shared machine falls on both. `wrk` (Debian's package, one thread) posts `POST /v1/applications` for the run's
  length at 1, 8 and 32 connections, its Lua script (`bench/lua/rotate.lua`) rotating over
  one JSON body per request. *Wrong triple:* the number and birth date of one of 3,000 codes
  issued through code-issuer, with a random code; the bodies pass over every job seeker
  before any gets a second failure, so counters grow as in real use and no code reaches
  R4's tenth failure (the `wrapped` count would say so). *Correct triple:* 400 other codes,
  each opening an application (voiding the previous one, R9) and queuing its auth-key mail;
  after each run the bench waits for the outbox to drain and purges the mail queue, so every
  run starts alike (the mail pipeline under load is B2's subject). p50/p99 are wrk's.
  *Ceilings:* `pgbench -M prepared -j 1` at the same client counts runs the very statements
  of step 2 (`bench/sql/step2_*.sql`, copied from registration's `store/` package and
  `outbox.py`) on a database migrated with registration's migrations
  and seeded with 20,000 codes (more than the HTTP runs use, so that no code meets R4's
  tenth failure within a run; the indexes are as deep); and `wrk` against `bench/trivial.py` (one Flask view
  returning JSON) under the same `deploy/gunicorn.conf.py`. *Serial ceiling:* the machine's
  cores ÷ (the trivial endpoint's CPU per request + PostgreSQL's CPU per pgbench transaction
  + Redis's CPU per step 2), all from /proc over the paired runs: the rate step 2 would reach
  if it cost only an HTTP request, its SQL and its rate-limit round trip. PostgreSQL's CPU
  during a pgbench run counts every `postgres` process of the machine (the system's idle
  ones too), Redis's likewise during the HTTP run. *Targets at 32 clients:* the wrong triple
  ≥ 60 % of its serial ceiling with p99 < 50 ms, the correct triple ≥ 50 % with p99 < 100 ms.
- **B2** — a Python client posts step 2 (a correct triple, a fresh code, its own address);
  the latency runs from the 201 answer to the instant the SMTP server stored the mail (its
  own `received_at`, read from its store). *Idle:* one at a time, 0.1–0.2 s apart after
  each mail. *Loaded:* an open loop sending 20 step-2 requests per second whatever the
  answers take.
- **B3** — a Python client issues a code (`POST /v1/codes`) and from its answer polls
  registration's database every millisecond until the code's row is there (the relay,
  RabbitMQ and registration's consumer in between); a step 2 with it must then answer 201.
- **B4** — 8 Python threads, each a person walking issue → (waiting until registration
  knows the code) → step 2 → reading the key from the mail → step 3 → login, over and over
  for 60 s; flows/s counts completed flows over the time until the last one ended; any
  unexpected answer is an error. *Ceiling:* argon2id hashes/s with registration's
  configured parameters (`argon2-cffi`, one hashing process per core), divided by the two
  hashes a flow costs (step 3's hash, login's verify); one ceiling run just before each
  B4 run; target ≥ 50 % of it. *CPU per flow outside the hashes:* every process's and
  server's CPU during a run (until the flows' last mails are sent) ÷ its flows, less twice
  the CPU the ceiling run spent per hash; target ≤ 35 ms.
- **B5** — `wrk` with 8 connections posts `POST /v1/sessions` rotating over the accounts
  B4 opened (right passwords); logins/s divided by the machine's cores. *Ceilings:* the
  argon2id hashes/s of one core (one run just before each B5 run), and Keycloak's published sizing figure of 15 password
  logins per second per vCPU.
- **Relay** — 2,000 outbox rows committed at once in registration's database (one
  NOTIFY) are published by the running `registration-relay`; the rate runs from the commit
  to the last row marked published (and every message must be in the queue). *Ceiling:*
  kombu alone on the same broker, exchange and quorum queue, publishing the same messages
  with `Producer.publish` and publisher confirms and nothing else, two ways: waiting for
  each message's confirm (kombu's `confirm_publish`), and publishing a batch of 200 on a
  channel in confirm mode before awaiting their confirms (what the relay does, without its
  database); the higher is the ceiling.
- **Load generator CPU** — wrk's and pgbench's own CPU time from the kernel (`wait4`
  rusage) over the run's length; the Python clients' CPU from `time.process_time()`."""


def load(path: Path):
    """A run's results as `python -m bench.run --json` wrote them, as the report reads them
    (its runs as the dataclasses they were, client counts as numbers)."""
    from bench.ceilings import HashRate
    from bench.flows import FlowRun, Latencies
    from bench.load import HttpRun
    from bench.pgbench import SqlRun
    from bench.run import Plan, Results

    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    plan = raw["plan"]
    plan = Plan(**{**plan, "concurrencies": tuple(plan["concurrencies"]),
                   "b1_parts": tuple(plan["b1_parts"])})
    b1 = {kind: {int(c): [(SqlRun if kind.startswith("sql_") else HttpRun)(**r) for r in runs]
                 for c, runs in by_clients.items()}
          for kind, by_clients in raw.get("b1", {}).items()}
    return Results(
        plan=plan, phases=tuple(raw["phases"]), env=raw.get("env", {}), b1=b1,
        b2={k: [Latencies(**r) for r in runs] for k, runs in raw.get("b2", {}).items()},
        b3=[Latencies(**r) for r in raw.get("b3", [])],
        b4=[FlowRun(**{**r, "accounts": [tuple(a) for a in r["accounts"]]})
            for r in raw.get("b4", [])],
        b5=[HttpRun(**r) for r in raw.get("b5", [])],
        argon2={k: [HashRate(**r) for r in runs] for k, runs in raw.get("argon2", {}).items()},
        relay=raw.get("relay", {}), cpu=raw.get("cpu", {}), work=raw.get("work", {}),
        cpu_runs=raw.get("cpu_runs", {}), units=raw.get("units", {}),
        profiles=raw.get("profiles", {}), notes=raw.get("notes", []), meta=raw.get("meta", {}))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.report",
        description="Render BENCHMARKS.md, SCALING.md (its capacity section) and the charts "
                    "again from the results `python -m bench.run --json` wrote.")
    parser.add_argument("results", type=Path, help="the JSON of a run")
    parser.add_argument("--out", type=Path, required=True,
                        help="folder to write into (docs/ to replace the committed ones)")
    args = parser.parse_args(argv)
    results = load(args.results)
    if not results.meta:
        parser.error(f"{args.results} has no machine description (written before --json "
                     "kept it): run the bench again")
    for path in write_all(results, args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
