"""`make bench`: start the whole system, measure B1-B5 and the relays beside their ceilings,
print one table and rewrite docs/BENCHMARKS.md with its charts (docs/bench/*.png) and the
capacity section of docs/SCALING.md (see BENCHMARKS.md for what each figure is).

Options let one phase run alone while tuning, e.g.
`python -m bench.run --only b1 --env WEB_CONCURRENCY=4 --no-doc`; `--doc-dir DIR` writes
the documents and charts into DIR instead of docs/, and `--json FILE` keeps the raw results,
which `python -m bench.report FILE --out DIR` renders again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

from kombu import Connection
from registration.config import Config as RegistrationConfig

from bench import ceilings, cpu, flows, harness, load, machine, pgbench, profile, report, seed
from shared.outbox import task_queue
from shared.tokens import random_crockford
from testsupport import BROKER

PHASES = ("b1", "b2", "b3", "b4", "b5", "relay")


@dataclass
class Plan:
    runs: int = 3
    b1_seconds: float = 3.0
    concurrencies: tuple[int, ...] = (1, 8, 32)
    wrong_codes: int = 3000
    correct_codes: int = 400
    b2_idle_samples: int = 15
    b2_rate: float = 20.0
    b2_seconds: float = 8.0
    b3_samples: int = 15
    b4_seconds: float = 60.0
    b4_clients: int = 8
    b5_seconds: float = 5.0
    b5_connections: int = 8
    relay_messages: int = 2000
    argon2_seconds: float = 3.0
    b1_parts: tuple[str, ...] = ("trivial", "wrong", "correct", "sql")


@dataclass
class Results:
    plan: Plan
    phases: tuple[str, ...]
    env: dict[str, str]
    b1: dict = field(default_factory=dict)
    b2: dict = field(default_factory=dict)
    b3: list = field(default_factory=list)
    b4: list = field(default_factory=list)
    b5: list = field(default_factory=list)
    argon2: dict = field(default_factory=dict)  # "b4"/"b5" -> the ceiling's paired runs
    relay: dict = field(default_factory=dict)
    cpu: dict = field(default_factory=dict)  # phase -> {process group: CPU seconds}
    work: dict = field(default_factory=dict)  # phase -> requests or flows done
    # phase -> one {"work", "cpu", "units"} per run: the serial ceiling pairs the runs of
    # its parts, and the capacity table divides each process's work by its own CPU
    cpu_runs: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)  # phase -> {unit of work: count}, all runs
    meta: dict = field(default_factory=dict)  # machine, its state, the run's length
    profiles: dict = field(default_factory=dict)  # name -> summary text
    notes: list = field(default_factory=list)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, system, plan: Plan, results: Results, profiling: bool, workdir: Path):
        self.system = system
        self.plan = plan
        self.results = results
        self.profiling = profiling
        self.workdir = workdir
        self.sessions = cpu.sessions_of(system)
        self.config = RegistrationConfig.from_env({})

    # --- helpers ----------------------------------------------------------------------
    def account(self, phase: str, before: Counter, work: int = 0,
                units: dict[str, int] | None = None) -> None:
        """Add the CPU used since `before` to `phase`, with the requests or flows done and
        the other units of work (mails, events) the capacity table divides by."""
        used = cpu.used_between(before, cpu.snapshot(self.sessions))
        self.results.work[phase] = self.results.work.get(phase, 0) + work
        into = self.results.cpu.setdefault(phase, {})
        for name, seconds in used.items():
            into[name] = into.get(name, 0.0) + seconds
        units = units or {}
        totals = self.results.units.setdefault(phase, {})
        for unit, count in units.items():
            totals[unit] = totals.get(unit, 0) + count
        self.results.cpu_runs.setdefault(phase, []).append(
            {"work": work, "cpu": used, "units": units})

    def profiled(self, name: str, pid: int, seconds: float):
        """py-spy on `pid` for the next `seconds` (only with --profile)."""
        if not self.profiling:
            return None
        out = self.workdir / f"{name}.raw"
        return (name, out, profile.start_recording(pid, out, seconds))

    def finish_profile(self, recording) -> None:
        if recording is None:
            return
        name, out, proc = recording
        proc.wait(timeout=120)
        if out.exists():
            self.results.profiles[name] = profile.summarise(out.read_text(), name)
            log(self.results.profiles[name])

    def purge_mail(self) -> None:
        """Drop the auth-key mails B1's correct triples queued: each run starts alike."""
        harness.wait_outbox_drained(self.system)
        with Connection(BROKER) as conn:
            task_queue(f"{self.system.namespace}.mail")(conn.default_channel).purge()
        time.sleep(1.0)  # the worker finishes what it had prefetched
        harness.clear_mail(self.system)

    # --- B1 -----------------------------------------------------------------------------
    def b1(self) -> None:
        plan, system = self.plan, self.system
        log(f"B1: seeding {plan.wrong_codes + plan.correct_codes} codes through code-issuer")
        # measured too: code-issuer's API, its relay and the consumers of code.issued
        # (registration's and notifier's) each handle one request or event per code
        before = cpu.snapshot(self.sessions)
        codes = seed.issue_many(system.code_issuer_url, plan.wrong_codes + plan.correct_codes,
                                prefix=10001, threads=8)
        harness.wait_codes_known(system, len(codes))
        self.account("seed", before, len(codes), {"codes issued": len(codes)})
        terms = harness.terms_versions(system)
        wrong_codes, correct_codes = codes[:plan.wrong_codes], codes[plan.wrong_codes:]
        # R4: a code takes nine wrong triples before the tenth invalidates it; the bodies
        # pass over every seeded job seeker once before any gets a second failure.
        wrong = [json.dumps(harness.application_body(terms, f"w{i}@example.jp", c.number,
                                                     random_crockford(10)))
                 for _ in range(9) for i, c in enumerate(wrong_codes)]
        correct = [json.dumps(harness.application_body(terms, f"r{i}@example.jp", c.number,
                                                       c.code))
                   for i, c in enumerate(correct_codes)]
        wrong_file = load.write_lines(self.workdir / "wrong.jsonl", wrong)
        correct_file = load.write_lines(self.workdir / "correct.jsonl", correct)
        url = f"{system.registration_url}/v1/applications"
        registration_pid = system.processes["registration"].pid

        # Each figure's runs alternate with its ceilings' runs, so that a busy moment on the
        # shared machine falls on both alike.
        parts = plan.b1_parts
        trivial = self.start_trivial() if "trivial" in parts else None
        sql = pgbench.SqlCeiling(max(20000, len(codes))) if "sql" in parts else None
        if trivial:
            self.sessions[self._trivial.pid] = ceilings.TRIVIAL
        b1 = self.results.b1
        offsets = {"wrong": 0, "correct": 0}
        try:
            for c in plan.concurrencies:
                for n in range(plan.runs):
                    if trivial:
                        log(f"B1 trivial JSON endpoint, {c} clients, run {n + 1}")
                        before = cpu.snapshot(self.sessions)
                        run = load.wrk(trivial, connections=c, seconds=plan.b1_seconds,
                                       script="get.lua")
                        self.account(f"b1-trivial-{c}", before, run.requests)
                        b1.setdefault("trivial", {}).setdefault(c, []).append(run)
                    for kind, bodies in (("wrong", wrong_file), ("correct", correct_file)):
                        if kind not in parts:
                            continue
                        if sql:
                            log(f"B1 pgbench {kind} triple SQL, {c} clients, run {n + 1}")
                            before = cpu.snapshot(self.sessions)
                            done = sql.run(f"step2_{kind}.sql", c, plan.b1_seconds)
                            # PostgreSQL's CPU per transaction: the serial ceiling's SQL part
                            self.account(f"b1-sql_{kind}-{c}", before, done.transactions)
                            b1.setdefault(f"sql_{kind}", {}).setdefault(c, []).append(done)
                        log(f"B1 {kind} triple, {c} clients, run {n + 1}")
                        before = cpu.snapshot(self.sessions)
                        recording = (self.profiled(f"b1-{kind}-{c}", registration_pid,
                                                   plan.b1_seconds)
                                     if n == 0 and c == max(plan.concurrencies) else None)
                        run = load.wrk(url, connections=c, seconds=plan.b1_seconds,
                                       script="rotate.lua", bodies=bodies,
                                       offset=offsets[kind])
                        self.finish_profile(recording)
                        self.account(f"b1-{kind}-{c}", before, run.requests)
                        offsets[kind] += run.requests
                        b1.setdefault(kind, {}).setdefault(c, []).append(run)
                        if kind == "correct":
                            self.purge_mail()
        finally:
            if trivial:
                self.stop_trivial()
                del self.sessions[self._trivial.pid]
            if sql:
                sql.close()

    def start_trivial(self) -> str:
        port = harness.free_port()
        # the same process server as the services (scripts/serve, HTTP_SERVER)
        command = f"exec scripts/serve 127.0.0.1:{port} bench.trivial:app"
        self._trivial = subprocess.Popen(["bash", "-c", command], cwd=harness.ROOT,
                                         env=self.system.env, start_new_session=True,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 30
        import requests

        while True:
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return url
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the trivial endpoint did not start")
            time.sleep(0.2)

    def stop_trivial(self) -> None:
        os.killpg(self._trivial.pid, signal.SIGTERM)
        self._trivial.wait(timeout=30)

    # --- B2, B3 -------------------------------------------------------------------------
    def b2(self) -> None:
        plan, system = self.plan, self.system
        per_run = plan.b2_idle_samples + int(plan.b2_rate * plan.b2_seconds)
        log(f"B2: seeding {per_run * plan.runs} codes")
        known = self.known_before()
        codes = seed.issue_many(system.code_issuer_url, per_run * plan.runs, prefix=20002,
                                threads=8)
        harness.wait_codes_known(system, len(codes) + known)
        harness.clear_mail(system)
        people = flows.People(codes, "b2-")
        idle, loaded = [], []
        for n in range(plan.runs):
            log(f"B2 idle, run {n + 1}")
            before = cpu.snapshot(self.sessions)
            idle.append(flows.mail_latency_idle(system, people, plan.b2_idle_samples))
            self.account("b2-idle", before)
            log(f"B2 at {plan.b2_rate:g} applications/s, run {n + 1}")
            before = cpu.snapshot(self.sessions)
            loaded.append(flows.mail_latency_at_rate(system, people, plan.b2_rate,
                                                     plan.b2_seconds))
            mails = len(loaded[-1].samples)
            self.account("b2-loaded", before, mails, {"mails": mails, "step-2 requests": mails})
            harness.clear_mail(system)
        self.results.b2 = {"idle": idle, "loaded": loaded}

    def known_before(self) -> int:
        with harness.registration_db(self.system) as conn:
            return conn.execute(
                "SELECT count(*) FROM codes WHERE code_digest IS NOT NULL").fetchone()[0]

    def b3(self) -> None:
        for n in range(self.plan.runs):
            log(f"B3 run {n + 1}")
            before = cpu.snapshot(self.sessions)
            self.results.b3.append(flows.event_latency(self.system, self.plan.b3_samples,
                                                       prefix=30003))
            self.account("b3", before)

    # --- B4, B5 and the argon2 ceiling ---------------------------------------------------
    def argon2(self, paired_with: str) -> None:
        """One run of the argon2id ceiling, taken just before a run of B4 or B5."""
        c = self.config
        log(f"argon2id ceiling before {paired_with}")
        self.results.argon2.setdefault(paired_with, []).append(ceilings.argon2_rate(
            self.plan.argon2_seconds, c.argon2_memory_kib, c.argon2_time_cost,
            c.argon2_parallelism))

    def b4(self) -> None:
        for n in range(self.plan.runs):
            self.argon2("b4")
            log(f"B4 whole flows for {self.plan.b4_seconds:g} s, run {n + 1}")
            harness.clear_mail(self.system)
            before = cpu.snapshot(self.sessions)
            recording = (self.profiled("b4-registration", self.system.processes[
                "registration"].pid, self.plan.b4_seconds) if n == 0 else None)
            self.results.b4.append(flows.whole_flows(self.system, 40004 + n,
                                                     self.plan.b4_clients, self.plan.b4_seconds))
            self.finish_profile(recording)
            # the flows' last mails (step 3's notice) are their work too: counted in
            self.wait_mail_delivered()
            done = self.results.b4[-1].flows
            self.account("b4", before, done, {
                "flows": done, "registration requests": 3 * done,
                "code-issuer requests": done, "mails": len(harness.mail_index(self.system))})
        harness.clear_mail(self.system)

    def wait_mail_delivered(self, timeout: float = 120) -> None:
        """Until the outboxes are published and the mail queue is empty: the notices of the
        accounts just opened (issue 17's registration-complete mail) are sent before a
        phase that does not cause them is measured."""
        harness.wait_outbox_drained(self.system)
        deadline = time.monotonic() + timeout
        with Connection(BROKER) as conn:
            queue = task_queue(f"{self.system.namespace}.mail")(conn.default_channel)
            while queue.queue_declare(passive=True).message_count:
                if time.monotonic() > deadline:
                    raise RuntimeError("mail queue not drained")
                time.sleep(0.2)
        time.sleep(1.0)  # the worker finishes what it had prefetched

    def b5(self) -> None:
        accounts = [a for run in self.results.b4 for a in run.accounts]
        if not accounts:
            log("B5: no accounts from B4; opening some")
            accounts = flows.whole_flows(self.system, 50005, self.plan.b4_clients, 10).accounts
        self.wait_mail_delivered()
        bodies = load.write_lines(self.workdir / "logins.jsonl", [
            json.dumps({"email": email, "password": password}) for email, password in accounts])
        url = f"{self.system.registration_url}/v1/sessions"
        offset = 0
        for n in range(self.plan.runs):
            self.argon2("b5")
            log(f"B5 logins, run {n + 1}")
            before = cpu.snapshot(self.sessions)
            recording = self.profiled("b5-registration", self.system.processes[
                "registration"].pid, self.plan.b5_seconds) if n == 0 else None
            run = load.wrk(url, connections=self.plan.b5_connections,
                           seconds=self.plan.b5_seconds, script="rotate.lua", bodies=bodies,
                           offset=offset)
            self.finish_profile(recording)
            self.account("b5", before, run.requests)
            offset += run.requests
            self.results.b5.append(run)

    # --- relays -------------------------------------------------------------------------
    def relay(self) -> None:
        bench = ceilings.RelayBench(BROKER, self.system.namespace)
        kombu_rates, pipelined_rates, relay_rates = [], [], []
        try:
            for n in range(self.plan.runs):
                log(f"relay vs kombu alone, run {n + 1}")
                kombu_rates.append(bench.kombu_alone(self.plan.relay_messages))
                pipelined_rates.append(bench.kombu_pipelined(self.plan.relay_messages))
                before = cpu.snapshot(self.sessions)
                relay_rates.append(bench.through_relay(self.system.databases["registration"],
                                                       self.plan.relay_messages))
                self.account("relay", before, self.plan.relay_messages,
                             {"events relayed": self.plan.relay_messages})
        finally:
            bench.close()
        self.results.relay = {"kombu": kombu_rates, "pipelined": pipelined_rates,
                              "relay": relay_rates}


def parse_env(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--env wants NAME=VALUE, got {pair!r}")
        out[name] = value
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument("--only", default=",".join(PHASES),
                        help=f"comma-separated phases of {', '.join(PHASES)}")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--b1-seconds", type=float, default=3.0)
    parser.add_argument("--b4-seconds", type=float, default=60.0)
    parser.add_argument("--b1-parts", default="trivial,wrong,correct,sql",
                        help="which of B1's measurements to take (trivial,wrong,correct,sql)")
    parser.add_argument("--clients", default="1,8,32", help="B1's client counts")
    parser.add_argument("--env", action="append", default=[],
                        help="NAME=VALUE for every process of the system (tuning trials)")
    parser.add_argument("--wait-quiet", type=float,
                        default=float(os.environ.get("BENCH_WAIT_QUIET", "0")),
                        help="wait up to this many seconds for a quiet machine first "
                             "(default: $BENCH_WAIT_QUIET, else 0)")
    parser.add_argument("--profile", action="store_true", help="py-spy the busiest phases")
    parser.add_argument("--no-doc", action="store_true", help="print only; keep the document")
    parser.add_argument("--doc-dir", type=Path, default=None,
                        help="write BENCHMARKS.md, SCALING.md and the charts (bench/*.png) "
                             "into this folder instead of docs/ (trials on a noisy machine)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args(argv)
    phases = tuple(p for p in args.only.split(",") if p)
    unknown = set(phases) - set(PHASES)
    if unknown:
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")
    plan = Plan(runs=args.runs, b1_seconds=args.b1_seconds, b4_seconds=args.b4_seconds,
                b1_parts=tuple(args.b1_parts.split(",")),
                concurrencies=tuple(int(c) for c in args.clients.split(",")))
    env = parse_env(args.env)
    results = Results(plan=plan, phases=phases, env=env)
    started = time.monotonic()

    load.ensure_wrk()
    if args.wait_quiet:
        log(f"waiting up to {args.wait_quiet:g} s for a quiet machine")
    quiet, waited = machine.wait_quiet(args.wait_quiet)
    state = {"quiet": quiet, "waited": waited, "load": machine.load_average(),
             "others": machine.others_running()}
    info = machine.describe()

    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    log(f"starting the system (work files in {workdir})")
    system = harness.start(workdir, env)
    try:
        bench = Bench(system, plan, results, args.profile, workdir)
        for phase in PHASES:
            if phase in phases:
                try:
                    getattr(bench, phase)()
                except Exception as exc:  # noqa: BLE001 - the other phases still run
                    log(f"{phase} failed: {exc!r}")
                    traceback.print_exc(file=sys.stderr)
                    results.notes.append(f"{phase} failed: {str(exc)[:300]}")
    finally:
        log("stopping the system")
        system.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    state["load_after"] = machine.load_average()
    elapsed = time.monotonic() - started
    results.meta = {"info": info, "state": state, "elapsed": elapsed}
    rows, header = report.rows(results)
    print(report.terminal(header, rows))
    print(report.cpu_lines(results))
    for note in results.notes:
        print(f"FAILED: {note}")
    print(f"\n{elapsed:.0f} s; load average at start {state['load']:.2f}"
          f"{'' if quiet else ' (the machine was not quiet: see the document)'}")
    if results.profiles:
        report.save_profiles(results, info, state)
    if args.json:
        args.json.write_text(json.dumps(asdict(results), default=str, indent=1))
    if args.doc_dir is not None or not args.no_doc:
        for path in report.write_all(results, args.doc_dir or report.DOCS):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
