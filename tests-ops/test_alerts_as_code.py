"""Alerts as code (issue 16): the Prometheus configuration, its rules and their unit tests
run through Debian's promtool (installed by scripts/ensure-prometheus: never skipped), and
the three documents kept in step with them:

- every alert has a runbook section in docs/OPERATIONS.md, and every section an alert;
- every alert has a firing and a silent case in tests-ops/rules/*.test.yml;
- every metric a rule or the Grafana dashboard reads is in docs/METRICS.md's catalog, with
  its labels, and every metric the code defines is listed there.

No server is needed: `make test-ops` (or `make test`) runs it in a few seconds.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from functools import cache
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PROMETHEUS = ROOT / "deploy" / "prometheus"
CONFIG = PROMETHEUS / "prometheus.yml"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
RULE_TESTS = sorted((Path(__file__).parent / "rules").glob("*.test.yml"))
DASHBOARD = ROOT / "deploy" / "grafana" / "jobportal.json"
METRICS_DOC = ROOT / "docs" / "METRICS.md"
OPERATIONS_DOC = ROOT / "docs" / "OPERATIONS.md"
SEVERITIES = {"critical", "warning"}


# --- promtool ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def promtool() -> str:
    """Debian's promtool, installed where missing (a missing promtool is a failure, never a
    skip: these tests are the only proof the alerts work)."""
    subprocess.run([str(ROOT / "scripts" / "ensure-prometheus")], check=True)
    path = shutil.which("promtool")
    assert path, "scripts/ensure-prometheus ran but promtool is not on PATH"
    return path


def test_ensure_prometheus_is_quick_and_silent_once_installed_and_leaves_no_service(promtool):
    started = time.monotonic()
    result = subprocess.run([str(ROOT / "scripts" / "ensure-prometheus")], capture_output=True,
                            text=True, timeout=60)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert time.monotonic() - started < 5
    if Path("/etc/init.d/prometheus").exists():  # the package's service holds no port
        status = subprocess.run(["/etc/init.d/prometheus", "status"], capture_output=True)
        assert status.returncode != 0, "the packaged prometheus service runs (port 9090)"


def run_promtool(promtool: str, *args: str | Path) -> str:
    result = subprocess.run([promtool, *map(str, args)], cwd=ROOT, capture_output=True,
                            text=True, timeout=120)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"promtool {' '.join(map(str, args))} failed:\n{output}"
    return output


def test_the_scrape_configuration_and_its_rule_files_are_valid(promtool):
    output = run_promtool(promtool, "check", "config", CONFIG)
    assert f"{len(RULE_FILES)} rule files found" in output, output


def test_the_rules_are_valid(promtool):
    assert RULE_FILES, "no rule files in deploy/prometheus/rules"
    run_promtool(promtool, "check", "rules", *RULE_FILES)


def test_the_rules_pass_their_unit_tests(promtool):
    assert RULE_TESTS, "no promtool tests in tests-ops/rules"
    run_promtool(promtool, "test", "rules", *RULE_TESTS)


def test_every_dashboard_query_is_valid_promql(promtool, tmp_path):
    """Each query as a recording rule (Grafana's $__rate_interval as 5m): promtool parses it."""
    rules = [{"record": f"dashboard:query_{i}:check", "expr": grafana_to_promql(expr)}
             for i, (_title, expr) in enumerate(dashboard_queries())]
    path = tmp_path / "dashboard.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    run_promtool(promtool, "check", "rules", path)


# --- the rules ---------------------------------------------------------------------------
@cache
def rules() -> list[dict]:
    found = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            found += group["rules"]
    return found


def alerts() -> list[dict]:
    return [rule for rule in rules() if "alert" in rule]


def recordings() -> list[dict]:
    return [rule for rule in rules() if "record" in rule]


def runbook_anchor(alert: str) -> str:
    return alert.lower()  # the anchor of the heading "### <Alert>" (GitHub's and others')


def test_every_alert_has_a_severity_a_summary_a_description_and_its_runbook():
    assert alerts()
    for alert in alerts():
        name = alert["alert"]
        assert alert.get("labels", {}).get("severity") in SEVERITIES, name
        annotations = alert.get("annotations", {})
        assert annotations.get("summary") and annotations.get("description"), name
        assert annotations.get("runbook_url") == f"docs/OPERATIONS.md#{runbook_anchor(name)}", name


def test_alert_names_are_unique():
    names = [alert["alert"] for alert in alerts()]
    assert len(names) == len(set(names))


def test_every_alert_has_a_firing_and_a_silent_unit_test():
    firing: set[str] = set()
    silent: set[str] = set()
    for path in RULE_TESTS:
        spec = yaml.safe_load(path.read_text())
        tested_files = {(path.parent / name).resolve() for name in spec["rule_files"]}
        assert {p.resolve() for p in RULE_FILES} <= tested_files, \
            f"{path.name} does not load every rule file"
        for case in spec["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    names = {alert["alert"] for alert in alerts()}
    assert names - firing == set(), "alerts without a firing case"
    assert names - silent == set(), "alerts without a silent case"
    assert (firing | silent) - names == set(), "tests of alerts that do not exist"


# --- docs/OPERATIONS.md ------------------------------------------------------------------
def runbook_sections() -> dict[str, str]:
    """`### <Name>` sections under `## Alerts`: name -> text."""
    text = OPERATIONS_DOC.read_text()
    assert "\n## Alerts\n" in text, "docs/OPERATIONS.md has no '## Alerts' section"
    part = text.split("\n## Alerts\n", 1)[1].split("\n## ", 1)[0]
    sections = re.split(r"^### +(.+?) *$", part, flags=re.MULTILINE)
    return {sections[i]: sections[i + 1] for i in range(1, len(sections), 2)}


def test_every_alert_has_a_runbook_section_and_every_section_an_alert():
    sections = runbook_sections()
    names = {alert["alert"] for alert in alerts()}
    assert names - set(sections) == set(), "alerts without a runbook section in OPERATIONS.md"
    assert set(sections) - names == set(), "runbook sections of no alert in OPERATIONS.md"


def test_every_runbook_says_what_it_means_how_to_confirm_and_what_to_do():
    for name, text in runbook_sections().items():
        for part in ("**Means:**", "**Confirm:**", "**Do:**"):
            assert part in text, f"{name}: no {part}"


# --- docs/METRICS.md ---------------------------------------------------------------------
@cache
def catalog() -> dict[str, dict[str, str]]:
    """The catalog's metrics: name -> {type, labels, today} (the tables' first columns)."""
    text = METRICS_DOC.read_text()
    part = text.split("\n## The catalog\n", 1)[1].split("\n## ", 1)[0]
    metrics = {}
    for line in part.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and re.fullmatch(r"`[a-z_:][a-z0-9_:]*`", cells[0]):
            metrics[cells[0].strip("`")] = {"type": cells[1], "labels": cells[2],
                                            "today": cells[4]}
    return metrics


@cache
def catalog_recordings() -> set[str]:
    text = METRICS_DOC.read_text()
    part = text.split("\n## Recording rules\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_:][a-z0-9_:]*)` \|", part, flags=re.MULTILINE))


def test_the_catalog_follows_prometheus_naming():
    assert len(catalog()) > 20
    for name, row in catalog().items():
        assert row["type"] in {"counter", "gauge", "histogram", "summary"}, name
        assert row["today"] in {"yes", "no"}, f"{name}: exported today must be yes or no"
        assert (row["type"] == "counter") == name.endswith("_total"), \
            f"{name}: counters, and only counters, end in _total"
        assert not re.search(r"_(milliseconds|ms|minutes|hours|kib|kb|mb)(_|$)", name), \
            f"{name}: base units (seconds, bytes)"


def test_the_metrics_exported_today_are_defined_in_the_code():
    """A metric marked exported today is named in shared/ or services/ (prometheus_client's
    own process_* metrics and Prometheus' up aside)."""
    code = "\n".join(path.read_text() for folder in ("shared", "services")
                     for path in (ROOT / folder).rglob("*.py") if "tests" not in path.parts)
    for name, row in catalog().items():
        if row["today"] == "yes" and not name.startswith("process_") and name != "up":
            assert f'"{name}"' in code, f"{name} is marked exported today but the code never names it"


DEFINITION = re.compile(
    r"\b(?:Counter|Gauge|Histogram|Summary|Info|Enum)(?:MetricFamily)?\(\s*\"([a-z_:][a-z0-9_:]*)\"")


def test_every_metric_the_code_defines_is_in_the_catalog():
    """prometheus_client's metrics and collector families named in shared/ and services/."""
    defined = set()
    for folder in ("shared", "services"):
        for path in (ROOT / folder).rglob("*.py"):
            if "tests" not in path.parts:
                defined |= set(re.findall(DEFINITION, path.read_text()))
    assert len(defined) > 15
    # a Counter is exposed with `_total` whether or not its definition says so
    missing = {name for name in defined
               if name not in catalog() and f"{name}_total" not in catalog()}
    assert missing == set(), "metrics the code exports that docs/METRICS.md does not list"


def test_every_recording_rule_is_in_the_catalog_and_every_catalog_recording_a_rule():
    recorded = {rule["record"] for rule in recordings()}
    assert recorded == catalog_recordings()


def test_every_metric_a_rule_reads_is_in_the_catalog():
    for rule in rules():
        name = rule.get("alert") or rule.get("record")
        assert uncatalogued(rule["expr"]) == set(), f"{name} reads metrics not in docs/METRICS.md"


def test_every_metric_the_dashboard_reads_is_in_the_catalog():
    queries = dashboard_queries()
    assert len(queries) >= 10
    for title, expr in queries:
        assert uncatalogued(expr) == set(), f"dashboard panel {title!r}: metrics not in docs/METRICS.md"


def test_the_dashboard_shows_what_the_issue_asks_for():
    read = set().union(*(metric_names(expr) for _title, expr in dashboard_queries()))
    for wanted in ("http_request_duration_seconds_count", "http_request_duration_seconds_bucket",
                   "service:outbox_oldest_age_seconds:max", "dead_letter_messages",
                   "mails_sent_total", "mails_failed_total", "argon2_hash_seconds_bucket"):
        assert wanted in read, wanted


TARGET_LABELS = {"job", "instance", "component"}  # added by Prometheus and the scrape config


def catalog_labels(name: str) -> set[str] | None:
    """The labels the catalog gives a metric (a histogram's series: plus `le`); None for a
    recording rule (its labels are its expression's)."""
    row = catalog().get(name) or catalog().get(re.sub(r"_(bucket|count|sum)$", "", name))
    if row is None:
        return None
    labels = set(re.findall(r"`([a-z_]+)`", re.sub(r"\([^)]*\)", "", row["labels"])))
    return labels | TARGET_LABELS | ({"le"} if name.endswith("_bucket") else set())


def unknown_labels(expr: str) -> set[str]:
    """Labels a selector matches or an aggregation keeps that none of the expression's
    catalogued metrics has."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    unknown: set[str] = set()
    known_here: set[str] = set(TARGET_LABELS)
    for name, matchers in re.findall(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*\{([^}]*)\}", text):
        labels = catalog_labels(name)
        used = set(re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matchers))
        if labels is not None:
            unknown |= used - labels
    for name in metric_names(expr):
        labels = catalog_labels(name)
        known_here |= labels if labels is not None else {"service", "job"}
    for group in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", text):
        unknown |= {label.strip() for label in group.split(",") if label.strip()} - known_here
    return unknown


def test_the_rules_and_the_dashboard_use_only_the_catalogs_labels():
    exprs = [(rule.get("alert") or rule.get("record"), rule["expr"]) for rule in rules()]
    exprs += dashboard_queries()
    for name, expr in exprs:
        assert unknown_labels(expr) == set(), f"{name}: labels not in docs/METRICS.md"


def uncatalogued(expr: str) -> set[str]:
    known = set(catalog()) | catalog_recordings()
    histograms = {name for name, row in catalog().items() if row["type"] in {"histogram", "summary"}}
    missing = set()
    for name in metric_names(expr):
        base = re.sub(r"_(bucket|count|sum)$", "", name)
        if name not in known and not (base != name and base in histograms):
            missing.add(name)
    return missing


# --- the Grafana dashboard ---------------------------------------------------------------
@cache
def dashboard_queries() -> list[tuple[str, str]]:
    dashboard = json.loads(DASHBOARD.read_text())
    queries = []

    def walk(panels):
        for panel in panels:
            for target in panel.get("targets", []):
                queries.append((panel.get("title", "?"), target["expr"]))
            walk(panel.get("panels", []))

    walk(dashboard["panels"])
    return queries


def grafana_to_promql(expr: str) -> str:
    return re.sub(r"\$__(rate_)?interval|\$__range", "5m", expr)


def test_every_dashboard_panel_reads_the_prometheus_data_source_variable():
    dashboard = json.loads(DASHBOARD.read_text())
    assert [v["name"] for v in dashboard["templating"]["list"] if v["type"] == "datasource"] == \
        ["datasource"]
    for panel in dashboard["panels"]:
        if panel["type"] != "row":
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]


# --- the scrape configuration ------------------------------------------------------------
def test_the_scrape_configuration_covers_every_process_of_make_up_at_its_port():
    """Every Procfile process but the development SMTP server, at its default port."""
    from shared.probes import DEFAULT_PORTS

    procfile = (ROOT / "Procfile").read_text()
    processes = {}
    for line in procfile.splitlines():
        if line and not line.startswith("#"):
            name, command = line.split(":", 1)
            # gunicorn's `--bind ADDRESS` or scripts/serve's first argument
            bind = re.search(r"(?:--bind |scripts/serve )127\.0\.0\.1:\$\{\w+:-(\d+)\}",
                             command)
            processes[name] = int(bind.group(1)) if bind else DEFAULT_PORTS.get(name)
    processes.pop("smtp")
    config = yaml.safe_load(CONFIG.read_text())
    scraped = {}
    for job in config["scrape_configs"]:
        (static,) = job["static_configs"]
        (target,) = static["targets"]
        scraped[job["job_name"]] = int(target.rsplit(":", 1)[1])
        assert static["labels"]["component"] in {"web", "relay", "consumer", "worker", "beat"}
    assert scraped == processes


# --- the PromQL reader these checks use ---------------------------------------------------
KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or",
            "unless", "bool", "offset", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric (and recording rule) names a PromQL expression reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)  # strings
    text = re.sub(r"\{[^}]*\}", " ", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)  # ranges and subqueries
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.$])[A-Za-z_:][A-Za-z0-9_:]*", text):
        if text[match.end():].lstrip().startswith("("):
            continue  # a function or an aggregation
        if match.group(0).lower() not in KEYWORDS:
            names.add(match.group(0))
    return names


@pytest.mark.parametrize(("expr", "names"), [
    ('sum by (service) (rate(http_requests_total{status=~"5.."}[5m]))', {"http_requests_total"}),
    ("service:a:rate5m / on (service) group_left (x) b_total > 0.05 and c offset 5m",
     {"service:a:rate5m", "b_total", "c"}),
    ("histogram_quantile(0.99, sum without (instance) (rate(h_bucket[$__rate_interval])))",
     {"h_bucket"}),
    ('up == 0 or absent(up{job="x"}) unless bool 1e3', {"up"}),
    ('label_replace(m, "dst", "$1", "src", "(.*)")', {"m"}),
    ("max_over_time(g[1h:5m]) > 3", {"g"}),
])
def test_metric_names_reads_what_an_expression_reads(expr, names):
    assert metric_names(expr) == names
