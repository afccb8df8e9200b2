"""The PrometheusRule built from a ModelMonitor spec (structure; the rule engine's verdicts are in
tests/integration/test_promtool.py).

We test these aspects:
- the manifest shape (apiVersion, kind, metadata, labels) and one trio of groups per non-drift SLO;
- Sloth-style record names: ratio_rate for every policy window and the period, objective, budget, period,
  current/period burn rate and budget remaining; no duplicate record when the period is an alerting window;
- alert factors follow the period (14.4/6/3/1 for 30d, 13.44/5.6/2.8/0.9333333333 for 28d) and the budget is
  an exact decimal;
- SLI queries: 5xx over all requests, latency bucket at the threshold over the count, incorrect over labelled
  feedback; selectors and escaping;
- le labels formatted as prometheus_client formats them;
- drift SLOs are skipped and reported.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.api.validation import parse_spec
from modelmonitor.rules.prometheus_rule import (
    BUCKET_ALERT_NAME,
    BURN_ALERT_NAME,
    build_prometheus_rule,
    error_budget_text,
    go_float,
    unsupported_slos,
)


def spec(*slos: dict[str, Any], model: str | None = None) -> ModelMonitorSpec:
    raw: dict[str, Any] = {"target": {"deployment": "fraud"}, "slos": list(slos)}
    if model:
        raw["model"] = {"name": model}
    return parse_spec(raw)


AVAILABILITY = {"name": "availability", "sli": "error-rate", "objective": 99.9}


def rules_of(rule: dict[str, Any], suffix: str) -> list[dict[str, Any]]:
    return [r for g in rule["spec"]["groups"] if g["name"].endswith(suffix) for r in g["rules"]]


def test_manifest_shape() -> None:
    rule = build_prometheus_rule(spec(AVAILABILITY), "fraud", "ml", labels={"release": "prom"})
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    assert rule["kind"] == "PrometheusRule"
    assert rule["metadata"]["name"] == "fraud-slos"
    assert rule["metadata"]["namespace"] == "ml"
    assert rule["metadata"]["labels"]["release"] == "prom"
    assert [g["name"] for g in rule["spec"]["groups"]] == [
        "modelmonitor-ml-fraud-availability-sli-recordings",
        "modelmonitor-ml-fraud-availability-meta-recordings",
        "modelmonitor-ml-fraud-availability-alerts",
    ]


def test_record_names() -> None:
    rule = build_prometheus_rule(spec(AVAILABILITY), "fraud", "ml")
    assert [r["record"] for r in rules_of(rule, "sli-recordings")] == [
        "slo:sli_bad_events:rate5m",
        "slo:sli_events:rate5m",
        *(f"slo:sli_error:ratio_rate{w}" for w in ("5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d")),
    ]
    assert [r["record"] for r in rules_of(rule, "meta-recordings")] == [
        "slo:objective:ratio",
        "slo:error_budget:ratio",
        "slo:time_period:days",
        "slo:current_burn_rate:ratio",
        "slo:period_burn_rate:ratio",
        "slo:period_error_budget_remaining:ratio",
    ]
    meta = {r["record"]: r["expr"] for r in rules_of(rule, "meta-recordings")}
    assert meta["slo:objective:ratio"] == "vector(0.999)"
    assert meta["slo:error_budget:ratio"] == "vector(0.001)"
    assert meta["slo:time_period:days"] == "vector(30)"
    for record in rules_of(rule, "recordings"):
        assert record["labels"]["slo_id"] == "ml-fraud-availability"


def test_period_that_is_an_alerting_window_is_recorded_once() -> None:
    rule = build_prometheus_rule(spec(AVAILABILITY | {"window": "3d"}), "fraud", "ml")
    records = [r["record"] for r in rules_of(rule, "sli-recordings")]
    assert len(records) == len(set(records))
    assert records[-1] == "slo:sli_error:ratio_rate3d"


@pytest.mark.parametrize(
    ("window", "page", "ticket"),
    [
        ("30d", ["14.4", "6"], ["3", "1"]),
        ("28d", ["13.44", "5.6"], ["2.8", "0.9333333333"]),
        ("2d", ["0.96", "0.4"], ["0.2"]),
    ],
)
def test_alert_factors_follow_the_period(window: str, page: list[str], ticket: list[str]) -> None:
    rule = build_prometheus_rule(spec(AVAILABILITY | {"window": window}), "fraud", "ml")
    alerts = {r["labels"]["severity"]: r for r in rules_of(rule, "alerts")}
    for severity, factors in (("page", page), ("ticket", ticket)):
        expr = alerts[severity]["expr"]
        assert alerts[severity]["alert"] == BURN_ALERT_NAME
        for factor in factors:
            assert expr.count(f"> ({factor} * 0.001)") == 2
        assert expr.count("\n  and\n") == len(factors)
        assert expr.count("\nor\n") == len(factors) - 1


@pytest.mark.parametrize(
    ("objective", "budget"), [(99.9, "0.001"), (99.99, "0.0001"), (99.999, "0.00001"), (95, "0.05"), (99.5, "0.005")]
)
def test_error_budget_is_exact(objective: float, budget: str) -> None:
    assert error_budget_text(objective) == budget


@pytest.mark.parametrize(
    ("value", "text"), [(0.3, "0.3"), (1, "1.0"), (2.5, "2.5"), (0.005, "0.005"), (1e7, "1e+07"), (30, "30.0")]
)
def test_go_float(value: float, text: str) -> None:
    assert go_float(value) == text


def test_sli_queries_and_selectors() -> None:
    monitor = spec(
        AVAILABILITY,
        {"name": "latency", "sli": "latency", "thresholdSeconds": 0.25, "objective": 99},
        {"name": "accuracy", "sli": "accuracy", "objective": 95},
        model='we"ird',
    )
    rule = build_prometheus_rule(monitor, "fraud", "ml", selector={"namespace": "ml"})
    exprs = {
        (r["labels"]["slo"], r["record"]): r["expr"]
        for r in rules_of(rule, "sli-recordings")
        if r["labels"]["slo_window"] == "1h"
    }
    sel = 'model="we\\"ird",namespace="ml"'
    assert exprs["availability", "slo:sli_error:ratio_rate1h"] == (
        f'(sum(rate(modelmonitor_requests_total{{{sel},code="5xx"}}[1h])) or vector(0))\n/\n'
        f"sum(rate(modelmonitor_requests_total{{{sel}}}[1h]))\n"
    )
    total = f"sum(rate(modelmonitor_request_duration_seconds_count{{{sel}}}[1h]))"
    good = f'sum(rate(modelmonitor_request_duration_seconds_bucket{{{sel},le="0.25"}}[1h]))'
    assert exprs["latency", "slo:sli_error:ratio_rate1h"] == f"({total} - {good})\n/\n{total}\n"
    assert exprs["accuracy", "slo:sli_error:ratio_rate1h"] == (
        f'(sum(rate(modelmonitor_feedback_predictions_total{{{sel},outcome="incorrect"}}[1h])) or vector(0))\n/\n'
        f'sum(rate(modelmonitor_feedback_predictions_total{{{sel},outcome=~"correct|incorrect"}}[1h]))\n'
    )
    bucket_alerts = [r for r in rules_of(rule, "alerts") if r["alert"] == BUCKET_ALERT_NAME]
    assert len(bucket_alerts) == 1
    assert 'le="0.25"' in bucket_alerts[0]["expr"]
    assert {r["labels"]["model"] for r in rules_of(rule, "alerts")} == {'we"ird'}


def test_drift_slos_are_skipped_and_reported() -> None:
    monitor = spec(AVAILABILITY, {"name": "stability", "sli": "drift", "objective": 90})
    rule = build_prometheus_rule(monitor, "fraud", "ml")
    assert {g["name"].split("-")[3] for g in rule["spec"]["groups"]} == {"availability"}
    assert [name for name, _ in unsupported_slos(monitor)] == ["stability"]
    assert unsupported_slos(spec(AVAILABILITY)) == []
