"""The report's arithmetic and writers on made-up results: B1's serial ceiling, B4's CPU
outside the hashes, the capacity table of docs/SCALING.md and its marker rewrite, the
charts, the lever notes, and a re-render from the JSON a run writes."""

import json
import math
from dataclasses import asdict

import pytest

from bench import capacity, charts, report
from bench.ceilings import TRIVIAL, HashRate, flow_cpu_outside_hashes, serial_ceiling, serial_ceilings
from bench.flows import FlowRun, Latencies
from bench.load import HttpRun
from bench.pgbench import SqlRun
from bench.run import Plan, Results

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def http(rps: float, p99: float, status: str = "400") -> HttpRun:
    return HttpRun(requests=int(rps * 3), seconds=3.0, rps=rps, p50_ms=p99 / 2, p99_ms=p99,
                   statuses={status: int(rps * 3)}, errors=0, wrapped=0, cpu=0.1)


def sql(tps: float) -> SqlRun:
    return SqlRun(transactions=int(tps * 3), seconds=3.0, tps=tps, p50_ms=1.0, p99_ms=3.0,
                  failed=0, cpu=0.2)


def run_record(work: int, **cpu: float) -> dict:
    return {"work": work, "cpu": cpu, "units": {}}


def made_up() -> Results:
    """Two runs at 32 clients (one at 1), CPU as /proc would give it, a B4 and latencies."""
    results = Results(plan=Plan(runs=2), phases=("b1", "b2", "b3", "b4", "relay"), env={})
    results.meta = {"info": {"cores": 2, "commit": "abc1234", "date": "2026-12-01 13:00 UTC",
                             "cpu": "test CPU", "memory_gib": 8.0,
                             "versions": {"PostgreSQL": "15"}},
                    "state": {"quiet": False, "waited": 0.0, "load": 1.0, "others": [],
                              "load_after": 2.0},
                    "elapsed": 100.0}
    b1 = results.b1
    b1["wrong"] = {1: [http(300, 9)], 32: [http(1000, 40), http(1200, 45)]}
    b1["correct"] = {32: [http(400, 90, "201"), http(420, 120, "201")]}
    b1["sql_wrong"] = {1: [sql(1800)], 32: [sql(6000), sql(6200)]}
    b1["sql_correct"] = {32: [sql(1700), sql(1750)]}
    b1["trivial"] = {1: [http(2200, 1, "200")], 32: [http(5000, 20, "200"),
                                                     http(5200, 22, "200")]}
    cr = results.cpu_runs
    # trivial 0.3 ms a request, SQL 0.45 ms a transaction, Redis 0.05 ms a request: 0.8 ms
    cr["b1-trivial-32"] = [run_record(10000, **{TRIVIAL: 3.0}),
                           run_record(10000, **{TRIVIAL: 3.0})]
    cr["b1-sql_wrong-32"] = [run_record(10000, PostgreSQL=4.5),
                             run_record(10000, PostgreSQL=4.5)]
    cr["b1-wrong-32"] = [run_record(2000, registration=4.0, Redis=0.1, PostgreSQL=1.0),
                         run_record(2000, registration=4.0, Redis=0.1, PostgreSQL=1.0)]
    cr["b1-sql_correct-32"] = [run_record(1000, PostgreSQL=1.2), run_record(1000, PostgreSQL=1.2)]
    cr["b1-correct-32"] = [run_record(1000, registration=2.5), run_record(1000, registration=2.5)]
    # B4: 100 flows a run; 10 s of CPU in all (100 ms a flow), 40 ms of it two hashes
    results.argon2["b4"] = [HashRate(100.0, 2, 20.0), HashRate(100.0, 2, 20.0)]
    results.b4 = [FlowRun(100, 10.0, [], 1.0, []), FlowRun(100, 10.0, [], 1.0, [])]
    b4 = {"registration": 6.0, "PostgreSQL": 2.0, "notifier-worker": 1.5, "code-issuer": 0.5}
    cr["b4"] = [{"work": 100, "cpu": b4, "units": {"flows": 100, "registration requests": 300,
                                                    "code-issuer requests": 100, "mails": 200}}
                for _ in range(2)]
    results.cpu["b4"] = {k: 2 * v for k, v in b4.items()}
    results.work["b4"] = 200
    results.units["b4"] = {"flows": 200, "registration requests": 600,
                           "code-issuer requests": 200, "mails": 400}
    cr["relay"] = [{"work": 2000, "cpu": {"registration-relay": 0.4},
                    "units": {"events relayed": 2000}}]
    results.b2 = {"idle": [Latencies([9.0, 10.0, 11.0, 30.0])],
                  "loaded": [Latencies([8.0, 9.0, 15.0]), Latencies([7.0, 12.0])]}
    results.b3 = [Latencies([5.0, 5.5, 7.0])]
    return results


def test_the_serial_ceiling_is_the_cores_over_the_three_costs():
    ceiling = serial_ceiling(2, 0.3, 0.45, 0.05)
    assert ceiling.cost_ms == pytest.approx(0.8)
    assert ceiling.per_second == pytest.approx(2500.0)
    assert math.isnan(serial_ceiling(2, 0.3, math.nan, 0.0).per_second)
    assert math.isnan(serial_ceiling(2, 0.0, 0.0, 0.0).per_second)


def test_each_serial_ceiling_pairs_the_runs_of_its_parts():
    results = made_up()
    wrong = serial_ceilings(results, "wrong", 32, cores=2)
    assert [round(c.per_second) for c in wrong] == [2500, 2500]
    assert wrong[0].redis_ms == pytest.approx(0.05)
    correct = serial_ceilings(results, "correct", 32, cores=2)
    # no Redis CPU seen in the correct runs (below the tick): counted as 0, not missing
    assert correct[0].cost_ms == pytest.approx(0.3 + 1.2)
    assert serial_ceilings(results, "wrong", 1, cores=2) == []  # no CPU of those runs


def test_b1_is_judged_against_its_serial_ceiling_at_32_clients():
    table = report.b1_rows(made_up())
    wrong_32 = next(r for r in table if "wrong" in r[0] and r[1].startswith("32"))
    assert wrong_32[4].startswith("serial 2,500 (2,500–2,500) req/s; SQL 6,100")
    assert wrong_32[5].startswith("44 %")  # 1,100 of 2,500
    assert wrong_32[6] == "≥ 60 % of the serial ceiling; p99 < 50 ms"
    assert wrong_32[7] == "**not met**"
    correct_32 = next(r for r in table if "correct" in r[0])
    assert correct_32[6] == "≥ 50 % of the serial ceiling; p99 < 100 ms"
    assert correct_32[5].startswith("31 %")  # 410 of 1,333
    one = next(r for r in table if r[1].startswith("1 client"))
    assert one[6] == "(reported)" and one[7] == "n/a"


def test_b4_is_judged_on_its_cpu_outside_the_two_hashes():
    results = made_up()
    assert flow_cpu_outside_hashes(results) == pytest.approx([60.0, 60.0])
    row = report.b4_cpu_row(results)
    assert row[2] == "60.0 (60.0–60.0) ms" and row[6] == "≤ 35 ms" and row[7] == "**not met**"
    flows = next(r for r in report.rows(results)[0] if r[0] == "B4 whole flows")
    assert flows[6] == "≥ 50 % of the argon2 ceiling, no error"
    assert flows[5] == "20 %"  # 10 flows/s of 50


def test_the_capacity_table_divides_each_process_work_by_its_own_cpu():
    results = made_up()
    table = {(r[0], r[1]): r for r in capacity.rows(results)}
    registration = table[("registration API", "B4")]
    assert registration[3] == "50.0 (50.0–50.0)"  # 300 requests over 6 s of CPU
    assert table[("notifier worker", "B4")][3] == "133 (133–133)"  # 200 mails over 1.5 s
    assert table[("registration relay", "relay")][3] == "5,000"
    assert table[("portal", "—")][3] == "not measured"
    assert ("code-issuer API", "B1's seeding") not in table  # that phase did not run


def test_the_worked_example_sizes_cores_and_replicas_from_the_cpu_per_flow():
    sized = {s.process: s for s in capacity.sizing(made_up(), 100)}
    registration = sized["registration"]
    assert registration.ms_per_flow == pytest.approx(60.0)
    assert registration.cores == pytest.approx(6.0)
    assert registration.provisioned == pytest.approx(6.0 / 0.7)
    assert registration.replicas == 5  # 8.6 cores in replicas of 2
    assert sized["code-issuer"].replicas == 1
    assert sized["PostgreSQL"].replicas is None


def test_the_capacity_section_is_replaced_between_its_markers_only():
    text = ("# Scaling\n\nhand-written\n\n<!-- capacity:start -->\nold table\n"
            "<!-- capacity:end -->\n\nafter, by hand\n")
    new = capacity.replace_section(text, "new table")
    assert new == ("# Scaling\n\nhand-written\n\n<!-- capacity:start -->\nnew table\n"
                   "<!-- capacity:end -->\n\nafter, by hand\n")
    assert capacity.replace_section(new, "new table") == new
    with pytest.raises(ValueError):
        capacity.replace_section("no markers here", "x")
    with pytest.raises(ValueError):
        capacity.replace_section("<!-- capacity:end --> <!-- capacity:start -->", "x")


def test_the_committed_scaling_page_has_the_markers():
    text = report.SCALING.read_text(encoding="utf-8")
    assert text.count(capacity.START) == 1 and text.count(capacity.END) == 1


def test_the_charts_are_png_files(tmp_path):
    drawn = charts.write_all(made_up(), tmp_path / "bench")
    assert sorted(p.name for p in drawn) == ["b1.png", "b2.png", "b3.png", "b4.png"]
    for path in drawn:
        assert path.read_bytes()[:8] == PNG_MAGIC and path.stat().st_size > 5000


def test_a_chart_is_left_out_and_removed_when_its_phase_did_not_run(tmp_path):
    charts.write_all(made_up(), tmp_path)
    results = made_up()
    results.b2, results.b3 = {}, []
    assert [p.name for p in charts.write_all(results, tmp_path)] == ["b1.png", "b4.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b1.png", "b4.png"]  # none stale


def test_b4_marks_the_hashes_out_of_registrations_share():
    segments = charts.b4_segments(made_up())
    assert segments[0] == ("registration: 2 argon2id hashes", pytest.approx(40.0), True)
    assert dict((n, ms) for n, ms, _ in segments)["registration: the rest"] == pytest.approx(20.0)
    assert sum(ms for _, ms, _ in segments) == pytest.approx(100.0)


def test_the_lever_notes_come_in_name_order_without_the_readme(tmp_path):
    (tmp_path / "README.md").write_text("what goes here")
    (tmp_path / "b-orjson.md").write_text("### orjson\nkept\n")
    (tmp_path / "a-granian.md").write_text("### granian\ndropped\n")
    text = report.lever_notes(tmp_path)
    assert text.startswith(f"## {report.LEVERS_HEADING}\n")
    assert text.index("granian") < text.index("orjson")
    assert "what goes here" not in text
    assert report.lever_notes(tmp_path / "none") == ""


def test_a_run_is_rendered_again_from_its_json(tmp_path):
    results = made_up()
    path = tmp_path / "results.json"
    path.write_text(json.dumps(asdict(results), default=str))
    again = report.load(path)
    assert report.rows(again) == report.rows(results)
    written = report.write_all(again, tmp_path / "docs")
    doc = (tmp_path / "docs" / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert "![B1: step 2's throughput" in doc and "(bench/b1.png)" in doc
    assert doc.index("(bench/b4.png)") < doc.index("| figure |")
    scaling = (tmp_path / "docs" / "SCALING.md").read_text(encoding="utf-8")
    assert "Worked example: 100 registrations a second" in scaling
    original = report.SCALING.read_text(encoding="utf-8")
    assert scaling.split(capacity.START)[0] == original.split(capacity.START)[0]
    assert scaling.split(capacity.END)[1] == original.split(capacity.END)[1]
    assert all(p.exists() for p in written)
