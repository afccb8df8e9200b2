"""The generated PrometheusRule against the real Prometheus rule engine (``promtool`` from Debian's prometheus).

We test these aspects:
- ``promtool check rules`` accepts the generated groups for every SLI kind and for 28d and 30d periods;
- ``promtool test rules`` on synthetic series:
  - a 5% error rate fires the page alert (and the ticket alert) of a 99.9% availability SLO; 0.05% fires nothing;
  - the recorded ratios, burn rate and budget remaining have the expected values;
  - requests without any 5xx series give an error ratio of 0 (not "no data"); no requests give no series
    and no alert;
  - a latency SLO burning at 2× fires only its ticket; accuracy at 10% errors on a 95% SLO fires a ticket;
  - a latency threshold that is not a bucket bound raises the bucket-missing alert;
  - Prometheus and the operator's own evaluation (evaluate_burn) agree on the severities for a range of
    steady error rates, for 30d and 28d periods.
Skipped with a reason when promtool is not installed (``apt-get install prometheus``).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from modelmonitor.api.validation import parse_spec
from modelmonitor.rules.prometheus_rule import BUCKET_ALERT_NAME, BURN_ALERT_NAME, build_prometheus_rule
from modelmonitor.slo.alerting import evaluate_burn
from modelmonitor.slo.burn_rate import EventCounts
from modelmonitor.slo.windows import DAY, rules_for_period, windows_of

PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (apt-get install --no-install-recommends prometheus)"
)

SPEC: dict[str, Any] = {
    "target": {"deployment": "fraud"},
    "slos": [
        {"name": "availability", "sli": "error-rate", "objective": 99.9},
        {"name": "latency", "sli": "latency", "thresholdSeconds": 0.3, "objective": 99},
        {"name": "accuracy", "sli": "accuracy", "objective": 95},
        {"name": "stability", "sli": "drift", "objective": 90},
    ],
}
AVAILABILITY_SLO = {"name": "availability", "sli": "error-rate", "objective": 99.9}
# Each rule test loads only the SLOs it judges: promtool evaluates every rule at every step.
AVAILABILITY_ONLY: dict[str, Any] = {**SPEC, "slos": SPEC["slos"][:1]}
LATENCY_AND_ACCURACY: dict[str, Any] = {**SPEC, "slos": SPEC["slos"][1:3]}
SERIES = '{model="fraud",version="v1",cohort="stable"'


def groups(spec: dict[str, Any] = SPEC) -> list[dict[str, Any]]:
    rule = build_prometheus_rule(parse_spec(spec), "fraud", "ml")
    return list(rule["spec"]["groups"])


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    assert PROMTOOL is not None
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False)


def alert(
    slo: str, sli: str, severity: str, name: str = BURN_ALERT_NAME, spec: dict[str, Any] = SPEC
) -> dict[str, Any]:
    """The expected alert, labels and annotations taken from the generated rule of that name and severity."""
    for group in groups(spec):
        for rule in group["rules"]:
            labels = rule.get("labels", {})
            if rule.get("alert") == name and labels.get("slo") == slo and labels.get("severity") == severity:
                assert labels["sli"] == sli
                return {"exp_labels": dict(labels), "exp_annotations": dict(rule["annotations"])}
    raise AssertionError(f"no {name} rule for {slo}/{severity}")


def requests(good_per_minute: int, bad_per_minute: int, minutes: int = 125) -> list[dict[str, str]]:
    series = [
        {"series": f'modelmonitor_requests_total{SERIES},code="2xx"}}', "values": f"0+{good_per_minute}x{minutes}"}
    ]
    if bad_per_minute:
        series.append(
            {"series": f'modelmonitor_requests_total{SERIES},code="5xx"}}', "values": f"0+{bad_per_minute}x{minutes}"}
        )
    return series


def latency(per_bound: dict[str, int], minutes: int = 125) -> list[dict[str, str]]:
    name = "modelmonitor_request_duration_seconds"
    series = [
        {"series": f'{name}_bucket{SERIES},le="{le}"}}', "values": f"0+{count}x{minutes}"}
        for le, count in per_bound.items()
    ]
    series.append({"series": f"{name}_count{SERIES}}}", "values": f"0+{per_bound['+Inf']}x{minutes}"})
    return series


def run_rule_tests(tmp_path: Path, tests: list[dict[str, Any]], spec: dict[str, Any] = SPEC) -> None:
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump({"groups": groups(spec)}, sort_keys=False))
    test_file = tmp_path / "test.yaml"
    test_file.write_text(
        yaml.safe_dump({"rule_files": [str(rules_file)], "evaluation_interval": "5m", "tests": tests}, sort_keys=False)
    )
    result = promtool("test", "rules", str(test_file))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("window", ["30d", "28d", "7d"])
def test_check_rules(tmp_path: Path, window: str) -> None:
    spec = {**SPEC, "slos": [{**slo, "window": window} for slo in SPEC["slos"]]}
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups(spec)}, sort_keys=False))
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_five_percent_errors_page_and_a_twentieth_of_a_percent_does_not(tmp_path: Path) -> None:
    ids = '{slo_id="ml-fraud-availability"}'
    run_rule_tests(
        tmp_path,
        spec=AVAILABILITY_ONLY,
        tests=[
            {
                "interval": "1m",
                "input_series": requests(95, 5),
                "alert_rule_test": [
                    {
                        "eval_time": "120m",
                        "alertname": BURN_ALERT_NAME,
                        "exp_alerts": [
                            alert("availability", "error-rate", "page", spec=AVAILABILITY_ONLY),
                            alert("availability", "error-rate", "ticket", spec=AVAILABILITY_ONLY),
                        ],
                    },
                ],
                "promql_expr_test": [
                    {
                        "expr": f"round(slo:sli_error:ratio_rate1h{ids}, 0.000001)",
                        "eval_time": "120m",
                        "exp_samples": [
                            {
                                "labels": "{model='fraud',monitor='fraud',namespace='ml',slo='availability',"
                                "slo_id='ml-fraud-availability',slo_window='1h'}".replace("'", '"'),
                                "value": 0.05,
                            }
                        ],
                    },
                    {
                        "expr": f"round(slo:current_burn_rate:ratio{ids}, 0.000001)",
                        "eval_time": "120m",
                        "exp_samples": [
                            {
                                "labels": '{model="fraud",monitor="fraud",namespace="ml",slo="availability",'
                                'slo_id="ml-fraud-availability"}',
                                "value": 50,
                            }
                        ],
                    },
                    {
                        "expr": f"round(slo:period_error_budget_remaining:ratio{ids}, 0.000001)",
                        "eval_time": "120m",
                        "exp_samples": [
                            {
                                "labels": '{model="fraud",monitor="fraud",namespace="ml",slo="availability",'
                                'slo_id="ml-fraud-availability"}',
                                "value": -49,
                            }
                        ],
                    },
                ],
            },
            {
                "interval": "1m",
                "input_series": requests(9995, 5),
                "alert_rule_test": [
                    {"eval_time": t, "alertname": BURN_ALERT_NAME, "exp_alerts": []} for t in ("30m", "60m", "120m")
                ],
                "promql_expr_test": [
                    {
                        "expr": f"round(slo:current_burn_rate:ratio{ids}, 0.000001)",
                        "eval_time": "120m",
                        "exp_samples": [
                            {
                                "labels": '{model="fraud",monitor="fraud",namespace="ml",slo="availability",'
                                'slo_id="ml-fraud-availability"}',
                                "value": 0.5,
                            }
                        ],
                    },
                ],
            },
        ],
    )


def test_no_5xx_series_is_zero_errors_and_no_traffic_is_no_data(tmp_path: Path) -> None:
    ids = '{slo_id="ml-fraud-availability"}'
    labels = '{model="fraud",monitor="fraud",namespace="ml",slo="availability",slo_id="ml-fraud-availability"'
    run_rule_tests(
        tmp_path,
        spec=AVAILABILITY_ONLY,
        tests=[
            {
                "interval": "1m",
                "input_series": requests(100, 0),
                "promql_expr_test": [
                    {
                        "expr": f"slo:sli_error:ratio_rate1h{ids}",
                        "eval_time": "120m",
                        "exp_samples": [
                            {"labels": "slo:sli_error:ratio_rate1h" + labels + ',slo_window="1h"}', "value": 0}
                        ],
                    },
                ],
                "alert_rule_test": [{"eval_time": "120m", "alertname": BURN_ALERT_NAME, "exp_alerts": []}],
            },
            {
                "interval": "1m",
                "input_series": [{"series": 'unrelated_total{job="x"}', "values": "0+1x180"}],
                "promql_expr_test": [
                    {"expr": f"slo:sli_error:ratio_rate1h{ids}", "eval_time": "120m", "exp_samples": []},
                    {"expr": f"slo:current_burn_rate:ratio{ids}", "eval_time": "120m", "exp_samples": []},
                ],
                "alert_rule_test": [{"eval_time": "120m", "alertname": BURN_ALERT_NAME, "exp_alerts": []}],
            },
        ],
    )


def test_latency_and_accuracy_burn_tickets(tmp_path: Path) -> None:
    feedback = "modelmonitor_feedback_predictions_total"
    run_rule_tests(
        tmp_path,
        spec=LATENCY_AND_ACCURACY,
        tests=[
            {
                "interval": "1m",
                # 2% of requests slower than 0.3 s against a 99% objective: burn rate 2, ticket only.
                "input_series": latency({"0.1": 50, "0.3": 98, "1.0": 99, "+Inf": 100}),
                "alert_rule_test": [
                    {
                        "eval_time": "120m",
                        "alertname": BURN_ALERT_NAME,
                        "exp_alerts": [alert("latency", "latency", "ticket", spec=LATENCY_AND_ACCURACY)],
                    },
                    {"eval_time": "120m", "alertname": BUCKET_ALERT_NAME, "exp_alerts": []},
                ],
            },
            {
                "interval": "1m",
                # 10% wrong against a 95% objective: burn rate 2, ticket only.
                "input_series": [
                    {"series": f'{feedback}{SERIES},outcome="correct"}}', "values": "0+90x180"},
                    {"series": f'{feedback}{SERIES},outcome="incorrect"}}', "values": "0+10x180"},
                ],
                "alert_rule_test": [
                    {
                        "eval_time": "120m",
                        "alertname": BURN_ALERT_NAME,
                        "exp_alerts": [alert("accuracy", "accuracy", "ticket", spec=LATENCY_AND_ACCURACY)],
                    },
                ],
            },
            {
                "interval": "1m",
                # The histogram has no 0.3 bound: the SLO has no data, and a ticket says why.
                "input_series": latency({"0.25": 98, "0.5": 99, "+Inf": 100}),
                "alert_rule_test": [
                    {"eval_time": "120m", "alertname": BURN_ALERT_NAME, "exp_alerts": []},
                    {
                        "eval_time": "120m",
                        "alertname": BUCKET_ALERT_NAME,
                        "exp_alerts": [
                            alert("latency", "latency", "ticket", name=BUCKET_ALERT_NAME, spec=LATENCY_AND_ACCURACY)
                        ],
                    },
                ],
            },
        ],
    )


@pytest.mark.parametrize("window", ["30d", "28d"])
def test_prometheus_agrees_with_evaluate_burn(tmp_path: Path, window: str) -> None:
    spec = {"target": {"deployment": "fraud"}, "slos": [AVAILABILITY_SLO | {"window": window}]}
    rules = rules_for_period({"30d": 30, "28d": 28}[window] * DAY)
    tests = []
    for bad_per_10000 in (5, 15, 40, 100, 200):
        counts = EventCounts.from_bad(bad_per_10000, 10000)
        verdict = evaluate_burn(rules, dict.fromkeys(windows_of(rules), counts), 99.9)
        expected = [alert("availability", "error-rate", s.value, spec=spec) for s in sorted(verdict.severities)]
        tests.append(
            {
                "interval": "1m",
                "input_series": requests(10000 - bad_per_10000, bad_per_10000, minutes=125),
                "alert_rule_test": [{"eval_time": "120m", "alertname": BURN_ALERT_NAME, "exp_alerts": expected}],
            }
        )
    run_rule_tests(tmp_path, tests, spec)
