"""Debian's Prometheus against the running system (issue 16): every process is scraped and
up; a stopped relay's backlog makes OutboxBacklogOld go pending, then firing, and clear
when the relay is back; and every metric the dashboard and the rules read is one the
system exports.

The rules are deploy/prometheus/rules as they are, but for their `for:`, shortened so the
test waits seconds rather than minutes; the backlog's age comes from the system's movable
clock (the consumers read the outbox's age by the service's clock)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
import yaml
from conftest import OFFICE
from prometheus_client.parser import text_string_to_metric_families

from testsupport import eventually, free_port

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "deploy" / "prometheus" / "rules"
DASHBOARD = ROOT / "deploy" / "grafana" / "jobportal.json"
SCRAPE_SECONDS = 1


def ensure_prometheus() -> str:
    if shutil.which("prometheus") is None:
        subprocess.run([str(ROOT / "scripts" / "ensure-prometheus")], check=True, timeout=900)
    return shutil.which("prometheus") or "/usr/bin/prometheus"


def rules_copy(tmp: Path) -> list[str]:
    """deploy/prometheus/rules with every `for:` at 2 s; returns the files written."""
    written = []
    for source in sorted(RULES.glob("*.yml")):
        rules = yaml.safe_load(source.read_text())
        for group in rules["groups"]:
            group["interval"] = f"{SCRAPE_SECONDS}s"
            for rule in group["rules"]:
                if "alert" in rule and "for" in rule:
                    rule["for"] = "2s"
        target = tmp / source.name
        target.write_text(yaml.safe_dump(rules))
        written.append(str(target))
    return written



@pytest.fixture(scope="module")
def prometheus(system, tmp_path_factory):
    """Prometheus scraping every process of the e2e system each second, with the rules."""
    binary = ensure_prometheus()
    tmp = tmp_path_factory.mktemp("prometheus")
    config = {
        "global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "scrape_timeout": "1s",
                   "evaluation_interval": f"{SCRAPE_SECONDS}s"},
        "rule_files": rules_copy(tmp),
        "scrape_configs": [
            {"job_name": process, "static_configs": [{"targets": [target]}]}
            for process, target in sorted(system.metrics_targets().items())
        ],
    }
    (tmp / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = open(tmp / "prometheus.log", "wb")  # noqa: SIM115 - lives with the process
    process = subprocess.Popen(
        [binary, f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/-/ready", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert process.poll() is None, (tmp / "prometheus.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "Prometheus did not become ready"
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def targets(url: str) -> dict[str, str]:
    active = requests.get(f"{url}/api/v1/targets", timeout=5).json()["data"]["activeTargets"]
    return {t["labels"]["job"]: t["health"] for t in active}


def alert_states(url: str, name: str, **labels) -> set[str]:
    alerts = requests.get(f"{url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return {a["state"] for a in alerts if a["labels"].get("alertname") == name
            and all(a["labels"].get(k) == v for k, v in labels.items())}


def test_every_process_is_scraped_and_up(system, prometheus):
    expected = set(system.metrics_targets())
    assert {"portal", "code-issuer", "registration", "notifier-worker", "notifier-beat",
            "code-issuer-relay", "code-issuer-consumer", "registration-relay",
            "registration-consumer", "notifier-relay", "notifier-consumer"} <= expected
    seen = eventually(lambda: (t := targets(prometheus)) and set(t) == expected
                 and all(h == "up" for h in t.values()) and t, timeout=60, interval=0.5)
    assert set(seen) == expected


def exported_names(system) -> set[str]:
    """Every metric family name the system's processes expose right now."""
    names = set()
    for target in system.metrics_targets().values():
        text = requests.get(f"http://{target}/metrics", timeout=5).text
        names |= {family.name for family in text_string_to_metric_families(text)}
    # a counter family is named without `_total`, a histogram's series add suffixes
    return names | {f"{name}_total" for name in names} | {
        f"{name}{suffix}" for name in names for suffix in ("_bucket", "_sum", "_count")}


PROMQL_WORDS = {"sum", "rate", "irate", "increase", "by", "without", "max", "min", "avg",
                "count", "histogram_quantile", "le", "on", "ignoring", "group_left",
                "group_right", "and", "or", "unless", "offset", "bool", "time", "vector",
                "clamp_min", "clamp_max", "abs", "absent", "label_replace", "topk", "bottomk",
                "delta", "deriv", "max_over_time", "min_over_time", "avg_over_time",
                "sum_over_time", "count_over_time", "last_over_time", "scalar", "sort",
                "sort_desc", "round", "ceil", "floor", "changes", "resets", "inf", "nan"}


def metric_names(expr: str, recorded: dict[str, str]) -> set[str]:
    """The metric names a PromQL expression reads, recording rules followed to their own."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values are not names
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr)) - PROMQL_WORDS
    names = set()
    for word in words:
        if word in recorded:
            names |= metric_names(recorded[word], recorded)
        elif not re.fullmatch(r"\d+(e\d+)?|[smhdwy]", word):
            names.add(word)
    return names


def rules_and_recordings() -> tuple[list[str], dict[str, str]]:
    exprs, recorded = [], {}
    for source in sorted(RULES.glob("*.yml")):
        for group in yaml.safe_load(source.read_text())["groups"]:
            for rule in group["rules"]:
                exprs.append(str(rule["expr"]))
                if "record" in rule:
                    recorded[rule["record"]] = str(rule["expr"])
    return exprs, recorded


def dashboard_exprs() -> list[str]:
    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                yield node["expr"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    return list(walk(json.loads(DASHBOARD.read_text())))


def test_every_metric_the_dashboard_and_rules_read_is_exported(system, flow, prometheus):
    flow.issue()  # a little traffic, so labelled series exist beside their families
    exprs, recorded = rules_and_recordings()
    dashboard = dashboard_exprs()
    assert dashboard, "the dashboard has no queries"
    wanted = set()
    for expr in exprs + dashboard:
        wanted |= metric_names(expr, recorded)
    wanted -= {"up"}  # Prometheus' own
    exported = exported_names(system)
    assert sorted(wanted - exported) == []


def backlog_alert(url: str) -> set[str]:
    """The states of code-issuer's OutboxBacklogOld alert (empty: not active)."""
    return alert_states(url, "OutboxBacklogOld", service="code-issuer")


def test_a_stopped_relays_backlog_fires_the_alert_and_clears_when_it_is_back(system, flow,
                                                                             prometheus):
    system.kill("code-issuer-relay")
    try:
        issued = requests.post(f"{system.code_issuer_url}/v1/codes", headers=OFFICE,
                               json={"job_seeker_number": flow.number,
                                     "birth_date": flow.birth_date}, timeout=10)
        assert issued.status_code == 201, issued.text
        # The row waits in code-issuer's outbox; five minutes on, it is far past the rule's
        # 60 s (the consumers age the backlog by the service's clock).
        system.move_clock(datetime.now(UTC) + timedelta(minutes=5))
        eventually(lambda: backlog_alert(prometheus) & {"pending", "firing"},
                   timeout=30, interval=0.5)
        eventually(lambda: "firing" in backlog_alert(prometheus), timeout=30, interval=0.5)
    finally:
        system.start_process("code-issuer-relay")
    eventually(lambda: not backlog_alert(prometheus), timeout=60, interval=0.5)
