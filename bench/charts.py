"""The PNG charts of docs/BENCHMARKS.md, drawn from a run's results with matplotlib (Agg):
B1 against its three ceilings, B4's CPU per flow by process, and the latency distributions
of B2 and B3. Each chart is drawn only when its phase ran; `write_all` returns the paths.
"""

from __future__ import annotations

import math
import os
import statistics
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: files only

import matplotlib.pyplot as plt  # noqa: E402

from bench.ceilings import flow_cpu_outside_hashes, serial_ceilings  # noqa: E402
from bench.pgbench import percentile  # noqa: E402
from bench.stats import Spread  # noqa: E402

# fixed metadata, so that a chart redrawn from the same figures is the same file
PNG_METADATA = {"Software": None}
KINDS = (("wrong", "wrong triple", 0.6, 50.0), ("correct", "correct triple", 0.5, 100.0))
TARGET_CLIENTS = 32
OTHER = "other processes"
REGISTRATION_REST = "registration: the rest"


def _median(values: list[float]) -> float:
    clean = [v for v in values if not math.isnan(v)]
    return statistics.median(clean) if clean else math.nan


def cores_of(results) -> int:
    return int((results.meta or {}).get("info", {}).get("cores") or os.cpu_count() or 1)


def b1_series(results, kind: str) -> dict[str, list[float]]:
    """Per client count (ascending): throughput median, low and high, p99 median, and the
    medians of the three ceilings (serial, SQL by pgbench, trivial JSON endpoint)."""
    runs_by_c = results.b1.get(kind, {})
    cores = cores_of(results)
    out: dict[str, list[float]] = {k: [] for k in (
        "clients", "rps", "low", "high", "p99", "serial", "sql", "json")}
    for c in sorted(runs_by_c):
        rps = Spread.of([r.rps for r in runs_by_c[c]])
        out["clients"].append(c)
        out["rps"].append(rps.median)
        out["low"].append(rps.low)
        out["high"].append(rps.high)
        out["p99"].append(_median([r.p99_ms for r in runs_by_c[c]]))
        out["serial"].append(_median([s.per_second for s in
                                      serial_ceilings(results, kind, c, cores)]))
        out["sql"].append(_median([r.tps for r in results.b1.get(f"sql_{kind}", {}).get(c, [])]))
        out["json"].append(_median([r.rps for r in results.b1.get("trivial", {}).get(c, [])]))
    return out


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", dpi=100, metadata=PNG_METADATA)
    plt.close(fig)
    return path


def b1(results, out: Path) -> Path | None:
    """Throughput (top) and p99 (bottom) against clients, a column per triple, with the
    three ceilings and the targets at 32 clients."""
    kinds = [k for k in KINDS if results.b1.get(k[0])]
    if not kinds:
        return None
    fig, axes = plt.subplots(2, len(kinds), figsize=(6 * len(kinds), 7.5), squeeze=False)
    for col, (kind, label, share, p99_target) in enumerate(kinds):
        s = b1_series(results, kind)
        x = s["clients"]
        top, bottom = axes[0][col], axes[1][col]
        errors = [[m - lo for m, lo in zip(s["rps"], s["low"], strict=True)],
                  [hi - m for m, hi in zip(s["rps"], s["high"], strict=True)]]
        top.errorbar(x, s["rps"], yerr=errors, marker="o", color="black", capsize=4,
                     label=f"step 2, {label} (median, range)")
        for key, name, style in (("serial", "serial ceiling", "-"),
                                 ("sql", "SQL ceiling (pgbench)", "--"),
                                 ("json", "trivial JSON endpoint", ":")):
            if any(not math.isnan(v) for v in s[key]):
                top.plot(x, s[key], style, marker=".", label=name)
        if TARGET_CLIENTS in x:
            serial = s["serial"][x.index(TARGET_CLIENTS)]
            if not math.isnan(serial):
                top.plot([TARGET_CLIENTS], [share * serial], "v", color="tab:red", markersize=9,
                         label=f"target: {100 * share:.0f} % of the serial ceiling")
        top.set_title(f"B1 {label}: requests per second")
        top.set_ylabel("per second")
        top.set_ylim(bottom=0)
        top.legend(fontsize=8)
        bottom.plot(x, s["p99"], marker="o", color="black", label="p99 (median of runs)")
        bottom.axhline(p99_target, color="tab:red", linestyle="--",
                       label=f"target at {TARGET_CLIENTS} clients: p99 < {p99_target:g} ms")
        bottom.set_title(f"B1 {label}: p99 latency")
        bottom.set_ylabel("ms")
        bottom.set_ylim(bottom=0)
        bottom.legend(fontsize=8)
        for ax in (top, bottom):
            ax.set_xscale("log", base=2)
            ax.set_xticks(x, [str(c) for c in x])
            ax.set_xlabel("clients (connections)")
            ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, out / "b1.png")


def b4_segments(results, top: int = 7) -> list[tuple[str, float, bool]]:
    """B4's CPU per flow in ms by process (largest first, the rest as one), registration's
    split into its two argon2id hashes and the rest: (name, ms, is the hashes)."""
    used = results.cpu.get("b4", {})
    flows = results.work.get("b4", 0)
    hashes = [h.cpu_ms for h in results.argon2.get("b4", [])]
    if not flows or not used:
        return []
    per = {name: 1000 * seconds / flows for name, seconds in used.items()}
    hash_ms = min(2 * _median(hashes), per.get("registration", 0.0)) if hashes else 0.0
    out: list[tuple[str, float, bool]] = []
    if hash_ms > 0:  # registration's two parts side by side, the hashes first
        out.append(("registration: 2 argon2id hashes", hash_ms, True))
        out.append((REGISTRATION_REST, per.pop("registration") - hash_ms, False))
    ranked = sorted(per.items(), key=lambda kv: -kv[1])
    out += [(name, ms, False) for name, ms in ranked[:top]]
    rest = sum(ms for _, ms in ranked[top:])
    if rest > 0:
        out.append((OTHER, rest, False))
    return out


def b4(results, out: Path) -> Path | None:
    """One stacked bar of CPU per flow by process, the hashes hatched, the 35 ms target of
    the CPU outside them marked above the hashes."""
    segments = b4_segments(results)
    if not segments:
        return None
    fig, ax = plt.subplots(figsize=(10, 3.8))
    left = 0.0
    others = iter(plt.get_cmap("tab10").colors[1:] * 2)
    for name, ms, is_hash in segments:
        colour = ("tab:blue" if is_hash else "lightsteelblue" if name == REGISTRATION_REST
                  else next(others))
        ax.barh([0], [ms], left=left, color=colour, edgecolor="black",
                hatch="//" if is_hash else None, label=f"{name}: {ms:.1f} ms")
        left += ms
    hash_ms = sum(ms for _, ms, h in segments if h)
    ax.axvline(hash_ms + 35, color="tab:red", linestyle="--",
               label="target: 35 ms outside the hashes")
    outside = _median(flow_cpu_outside_hashes(results))
    ax.set_title(f"B4: CPU per whole flow {left:.0f} ms, outside the two hashes "
                 f"{outside:.0f} ms (median of runs)")
    ax.set_xlabel("ms of CPU per flow (every process of the system and the servers)")
    ax.set_yticks([])
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=3)
    fig.tight_layout()
    return _save(fig, out / "b4.png")


def _distribution(ax, runs: list, title: str, p50_target: float, p99_target: float | None):
    samples = sorted(v for r in runs for v in r.samples)
    if not samples:
        ax.set_title(f"{title}: no samples")
        return
    ax.hist(samples, bins=min(40, max(5, len(samples) // 4)), color="tab:blue", alpha=0.8)
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    ax.axvline(p50, color="black", label=f"p50 of all samples {p50:.1f} ms")
    ax.axvline(p99, color="black", linestyle=":", label=f"p99 of all samples {p99:.1f} ms")
    # a target far right of every sample would squeeze the distribution into a bar: the
    # title names it instead
    for target, name, style in ((p50_target, "p50", "--"), (p99_target, "p99", "-.")):
        if target is not None and target < 1.5 * samples[-1]:
            ax.axvline(target, color="tab:red", linestyle=style,
                       label=f"{name} target {target:g} ms")
    targets = f"p50 < {p50_target:g} ms" + (f", p99 < {p99_target:g} ms" if p99_target else "")
    ax.set_title(f"{title} ({len(samples)} samples, all runs)\ntargets: {targets}",
                 fontsize=10)
    ax.set_xlabel("ms")
    ax.set_ylabel("samples")
    ax.legend(fontsize=8)


def b2(results, out: Path) -> Path | None:
    if not results.b2:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    _distribution(axes[0], results.b2.get("idle", []), "B2 auth-key mail, idle", 100, 500)
    _distribution(axes[1], results.b2.get("loaded", []), "B2 auth-key mail, loaded", 100, 500)
    fig.tight_layout()
    return _save(fig, out / "b2.png")


def b3(results, out: Path) -> Path | None:
    if not results.b3:
        return None
    fig, ax = plt.subplots(figsize=(6, 4))
    _distribution(ax, results.b3, "B3 code.issued to usable", 50, None)
    fig.tight_layout()
    return _save(fig, out / "b3.png")


def write_all(results, out: Path) -> list[Path]:
    """Every chart the results allow, into `out` (docs/bench/ for `make bench`); a chart of
    a phase this run left out is removed, so that no figure of an older run lingers."""
    drawn = []
    for draw in (b1, b4, b2, b3):
        path = draw(results, out)
        if path is None:
            (out / f"{draw.__name__}.png").unlink(missing_ok=True)
        else:
            drawn.append(path)
    return drawn
