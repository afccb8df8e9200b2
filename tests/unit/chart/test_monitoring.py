"""The chart's monitoring integrations: dashboards, alert rules, ServiceMonitor and PodMonitor.

We test these aspects:
- the three dashboards (executive, on-call, debug) are valid JSON with unique uids and unique panel ids, and
  carry the panels the reference guide asks of each (e.g. on-call: active alerts, p95 latency, null rates);
- every metric a dashboard or rule queries is one the sidecar (docs/sidecar-metrics.md) or the operator
  (modelmonitor.metrics) exports: no panel is silently empty because of a typo;
- the dashboard ConfigMaps carry each file unchanged and the Grafana sidecar label; nothing renders when off;
- the PrometheusRule passes ``promtool check rules`` (when promtool is installed) and uses the thresholds given;
- the ServiceMonitor scrapes the Service's metrics port, and the PodMonitor the port the injected sidecar declares.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from modelmonitor.config import OperatorConfig
from modelmonitor.injection.mutate import mutate
from modelmonitor.metrics import OperatorMetrics
from modelmonitor.wiring import keys
from tests.unit.chart.rendering import CHART, FULLNAME, NO_HELM, ROOT, find, find_helm, one, render

DASHBOARDS = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in (CHART / "dashboards").glob("*.json")}
needs_helm = pytest.mark.skipif(find_helm() is None, reason=NO_HELM)


def known_metrics() -> set[str]:
    sidecar = set(re.findall(r"^\| `(modelmonitor_[a-z_]+)`", (ROOT / "docs" / "sidecar-metrics.md").read_text(), re.M))
    registry = CollectorRegistry()
    OperatorMetrics(registry)
    operator = {family.name for family in registry.collect()}
    names = sidecar | operator
    histograms = {name + suffix for name in names for suffix in ("_bucket", "_sum", "_count")}
    counters = {name + "_total" for name in operator}  # prometheus_client strips _total from family names
    return names | histograms | counters | {"ALERTS", "up"}


KNOWN = known_metrics()


def queried_metrics(expr: str) -> set[str]:
    """Metric names in a PromQL expression (our prefix, plus the two built-ins the rules use)."""
    return set(re.findall(r"(?<![:\w])(modelmonitor_[a-z_]+|ALERTS|up)\b", expr))  # not recording-rule names


def expressions(dashboard: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
    exprs += [a["expr"] for a in dashboard["annotations"]["list"] if "expr" in a]
    exprs += [v["definition"] for v in dashboard["templating"]["list"] if v.get("definition")]
    return exprs


def test_the_three_dashboards() -> None:
    assert set(DASHBOARDS) == {"executive", "on-call", "debug"}
    assert len({d["uid"] for d in DASHBOARDS.values()}) == 3
    for dashboard in DASHBOARDS.values():
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids))
        assert all(panel["description"] for panel in dashboard["panels"])


@pytest.mark.parametrize(
    ("name", "wanted"),
    [
        ("executive", ["Monitored models", "Open incidents", "Quality trend"]),
        ("on-call", ["Active alerts", "p95 latency", "Versions serving", "null rate", "violations"]),
        ("debug", ["Input histogram", "Failed inferences", "Label backlog", "Cohort performance"]),
    ],
)
def test_guide_panels(name: str, wanted: list[str]) -> None:
    titles = " | ".join(panel["title"] for panel in DASHBOARDS[name]["panels"])
    for piece in wanted:
        assert piece in titles


@pytest.mark.parametrize("name", sorted(DASHBOARDS))
def test_dashboards_query_exported_metrics(name: str) -> None:
    used = set().union(*(queried_metrics(e) for e in expressions(DASHBOARDS[name])))
    assert used, "a dashboard without queries"
    assert used <= KNOWN, f"unknown metrics: {sorted(used - KNOWN)}"


def test_metric_scan_sees_a_typo() -> None:
    assert queried_metrics('rate(modelmonitor_request_totl{code="5xx"}[5m])') - KNOWN == {"modelmonitor_request_totl"}


@needs_helm
def test_dashboard_config_maps() -> None:
    assert find(render({}), "ConfigMap") == []
    docs = render({"dashboards": {"enabled": True, "namespace": "grafana"}})
    maps = find(docs, "ConfigMap")
    assert len(maps) == 3
    for config_map in maps:
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert config_map["metadata"]["namespace"] == "grafana"
        ((key, text),) = config_map["data"].items()
        stem = key.removeprefix("model-monitor-").removesuffix(".json")
        assert json.loads(text) == DASHBOARDS[stem]


def rule_groups(values: dict[str, Any]) -> list[dict[str, Any]]:
    rule = one(render({"prometheusRule": {"enabled": True, **values}}), "PrometheusRule")
    groups: list[dict[str, Any]] = rule["spec"]["groups"]
    return groups


@needs_helm
def test_rules_query_exported_metrics_and_use_thresholds() -> None:
    groups = rule_groups({"errorRateThreshold": 0.02, "additionalAlertLabels": {"team": "ml"}})
    rules = [r for group in groups for r in group["rules"]]
    used = set().union(*(queried_metrics(r["expr"]) for r in rules))
    assert used <= KNOWN, f"unknown metrics: {sorted(used - KNOWN)}"
    (error_rate,) = [r for r in rules if r.get("alert") == "ModelHighErrorRate"]
    assert error_rate["expr"].endswith("> 0.02")
    assert all(r["labels"]["team"] == "ml" for r in rules if "alert" in r)


@needs_helm
@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool not installed (Debian package prometheus)")
def test_rules_pass_promtool(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": rule_groups({})}), encoding="utf-8")
    done = subprocess.run(["promtool", "check", "rules", str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


@needs_helm
def test_service_monitor_scrapes_the_metrics_port() -> None:
    docs = render({"serviceMonitor": {"enabled": True}})
    (endpoint,) = one(docs, "ServiceMonitor")["spec"]["endpoints"]
    ports = {p["name"]: p for p in one(docs, "Service", FULLNAME)["spec"]["ports"]}
    assert ports[endpoint["port"]]["port"] == 8080


@needs_helm
def test_pod_monitor_scrapes_the_injected_port() -> None:
    spec = {"containers": [{"name": "model", "image": "model:1"}]}
    pod = {"metadata": {"name": "p", "labels": {keys.INJECT_LABEL: keys.INJECT_VALUE}}, "spec": spec}
    ops = mutate(pod, OperatorConfig().injection())
    (container,) = [op["value"] for op in ops if op["path"].startswith("/spec/containers")]
    monitor = one(render({"podMonitor": {"enabled": True}}), "PodMonitor")
    assert monitor["spec"]["selector"]["matchLabels"] == {keys.INJECT_LABEL: keys.INJECT_VALUE}
    assert [e["port"] for e in monitor["spec"]["podMetricsEndpoints"]] == [p["name"] for p in container["ports"]]
