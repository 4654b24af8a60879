"""The operators' files in deploy/: Prometheus rules (checked and unit-tested by promtool), the
Prometheus and Alertmanager configurations, and the Grafana dashboard, all over metrics that the
service really exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
RULES = DEPLOY / "prometheus" / "rules.yml"
PROMTOOL = shutil.which("promtool")
AMTOOL = shutil.which("amtool")

needs_promtool = pytest.mark.skipif(
    PROMTOOL is None,
    reason="promtool not installed (Debian: apt-get install prometheus; scripts/test installs it "
    "when run as root)",
)


def _run(*args: str, cwd: Path = DEPLOY) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=cwd, check=False)


def _exported_metrics() -> set[str]:
    """Every series name a worker's /metrics can carry (counters' ``_total``, histograms'
    ``_bucket``/``_sum``/``_count``)."""
    from service.api.metrics import Metrics

    names: set[str] = set()
    for family in Metrics().registry.collect():
        names.add(family.name)
        suffixes = {
            "counter": ("_total", "_created"),
            "histogram": ("_bucket", "_sum", "_count", "_created"),
        }.get(family.type, ())
        names |= {family.name + s for s in suffixes}
    return names | {"up"}


def _metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (identifiers followed by ``{`` or ``[``)."""
    return set(re.findall(r"\b([a-z_][a-z0-9_]*)\s*[{\[]", expr)) - {"by", "without"}


@needs_promtool
def test_promtool_checks_the_rules():
    done = _run(str(PROMTOOL), "check", "rules", str(RULES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 7 rules found" in done.stdout


@needs_promtool
def test_promtool_unit_tests_of_the_rules_pass():
    done = _run(str(PROMTOOL), "test", "rules", "rules_test.yml", cwd=DEPLOY / "prometheus")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@needs_promtool
def test_every_rule_has_a_unit_test():
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    names = {r["alert"] for g in rules["groups"] for r in g["rules"]}
    tests = yaml.safe_load((DEPLOY / "prometheus" / "rules_test.yml").read_text(encoding="utf-8"))
    fired = {
        case["alertname"]
        for test in tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert names == fired, names ^ fired


@needs_promtool
def test_prometheus_config_is_valid(tmp_path):
    rules = tmp_path / "rules.yml"
    rules.write_text(RULES.read_text(encoding="utf-8"), encoding="utf-8")
    config = (DEPLOY / "prometheus" / "prometheus.yml").read_text(encoding="utf-8")
    assert "/etc/prometheus/rules.yml" in config
    (tmp_path / "prometheus.yml").write_text(
        config.replace("/etc/prometheus/rules.yml", str(rules)), encoding="utf-8"
    )
    done = _run(str(PROMTOOL), "check", "config", str(tmp_path / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(AMTOOL is None, reason="amtool not installed (Debian: prometheus-alertmanager)")
def test_alertmanager_config_is_valid_and_groups_commitments_by_dyad():
    path = DEPLOY / "alertmanager" / "alertmanager.yml"
    done = _run(str(AMTOOL), "check-config", str(path))
    assert done.returncode == 0, done.stdout + done.stderr
    labels = "alertname=CommitmentReversed dyad=CA-IN commitment_id=x severity=critical"
    routed = _run(str(AMTOOL), "config", "routes", "test", f"--config.file={path}", *labels.split())
    assert routed.returncode == 0 and routed.stdout.strip() == "analysts", routed.stdout
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    commitment_route = next(
        r for r in config["route"]["routes"] if "Commitment" in " ".join(r["matchers"])
    )
    assert commitment_route["group_by"] == ["dyad"]


def test_rules_and_dashboard_use_only_exported_metrics():
    exported = _exported_metrics()
    rules = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    board = json.loads((DEPLOY / "grafana" / "dashboards" / "bilateral-monitor.json").read_text())
    exprs += [t["expr"] for p in board["panels"] for t in p["targets"]]
    used = set().union(*(_metric_names(e) for e in exprs))
    assert used and used <= exported, used - exported
    # every metric of the service is on the dashboard
    panels = " ".join(t["expr"] for p in board["panels"] for t in p["targets"])
    from service.api.metrics import Metrics

    missing = [f.name for f in Metrics().registry.collect() if f.name not in panels]
    assert missing == [], missing


def test_dashboard_is_provisioned_from_prometheus():
    board = json.loads((DEPLOY / "grafana" / "dashboards" / "bilateral-monitor.json").read_text())
    source = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"][0]
    assert {p["datasource"]["uid"] for p in board["panels"]} == {source["uid"]}
    assert len({p["id"] for p in board["panels"]}) == len(board["panels"])
    assert board["uid"] and board["title"]
