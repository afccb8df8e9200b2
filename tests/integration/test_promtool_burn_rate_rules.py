"""The PrometheusRule built from ``spec.alerting.burnRateRules``, against the real Prometheus rule engine.

We test these aspects:
- ``promtool check rules`` accepts custom windows (90m, 45m, 2h, 10m, 12h) for 30d, 7d and 1d SLOs;
- the recorded windows and alert rows are those of the spec's rules, with factors for each SLO period;
- ``promtool test rules``: 1.5 % errors (burn 15) page under the workbook but not under a 5 %-over-2h page
  (factor 18); 2.5 % errors page under it, from the ``slo:sli_error:ratio_rate2h`` and ``..rate10m`` recordings.

Skipped with a reason when promtool is not installed (``apt-get install prometheus``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from modelmonitor.api.validation import parse_spec
from modelmonitor.rules.prometheus_rule import BURN_ALERT_NAME, build_prometheus_rule
from tests.integration.test_promtool import PROMTOOL, alert, groups, promtool, requests, run_rule_tests

pytestmark = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool not installed (apt-get install --no-install-recommends prometheus)"
)

AVAILABILITY = {"name": "availability", "sli": "error-rate", "objective": 99.9}
TWO_HOUR_PAGE = [{"severity": "page", "longWindow": "2h", "shortWindow": "10m", "budgetPercent": 5}]
CUSTOM: dict[str, Any] = {
    "target": {"deployment": "fraud"},
    "slos": [AVAILABILITY],
    "alerting": {"burnRateRules": TWO_HOUR_PAGE},
}
ODD_RULES = [
    {"severity": "page", "longWindow": "90m", "shortWindow": "10m", "budgetPercent": 3},
    {"severity": "page", "longWindow": "2h", "shortWindow": "45m", "budgetPercent": 4},
    {"severity": "ticket", "longWindow": "12h", "shortWindow": "1h", "budgetPercent": 10},
    {"severity": "ticket", "longWindow": "3d", "shortWindow": "6h", "budgetPercent": 10},
]


def rules_of(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return [rule for group in groups(spec) for rule in group["rules"]]


@pytest.mark.parametrize("window", ["30d", "7d", "1d"])
def test_check_rules_with_custom_windows(tmp_path: Path, window: str) -> None:
    slos = [
        {**AVAILABILITY, "window": window},
        {"name": "latency", "sli": "latency", "thresholdSeconds": 0.3, "objective": 99, "window": window},
        {"name": "accuracy", "sli": "accuracy", "objective": 95, "window": window},
    ]
    # A 3d rule with only 1d SLOs would be refused (longer than every SLO window): leave it out there.
    rules = ODD_RULES if window != "1d" else ODD_RULES[:3]
    spec = {**CUSTOM, "slos": slos, "alerting": {"burnRateRules": rules}}
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"groups": groups(spec)}, sort_keys=False))
    result = promtool("check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_recordings_and_alerts_follow_the_spec_rules() -> None:
    spec = {**CUSTOM, "alerting": {"burnRateRules": ODD_RULES}}
    recorded = {r["labels"]["slo_window"] for r in rules_of(spec) if r.get("record", "").startswith("slo:sli_error")}
    assert recorded == {"5m", "10m", "45m", "90m", "1h", "2h", "6h", "12h", "3d", "30d"}
    burn = {r["labels"]["severity"]: r["expr"] for r in rules_of(spec) if r.get("alert") == BURN_ALERT_NAME}
    # Factors for 30 days: 3 % over 90m is 14.4, 4 % over 2h is 14.4, 10 % over 12h is 6, 10 % over 3d is 1.
    assert burn["page"].count("(14.4 * 0.001)") == 4
    assert "ratio_rate90m" in burn["page"]
    assert "ratio_rate45m" in burn["page"]
    assert "(6 * 0.001)" in burn["ticket"]
    assert "(1 * 0.001)" in burn["ticket"]

    daily = {**spec, "slos": [AVAILABILITY, {**AVAILABILITY, "name": "daily", "window": "1d"}]}
    daily_burn = {
        r["labels"]["severity"]: r["expr"]
        for r in rules_of(daily)
        if r.get("alert") == BURN_ALERT_NAME and r["labels"]["slo"] == "daily"
    }
    assert "ratio_rate3d" not in daily_burn["ticket"]  # longer than the period: left out
    assert "(0.2 * 0.001)" in daily_burn["ticket"]  # 10 % of a day over 12h


def test_default_rules_are_unchanged_when_the_field_is_omitted() -> None:
    default = build_prometheus_rule(parse_spec({**CUSTOM, "alerting": {}}), "fraud", "ml")
    written_out = [
        {"severity": "page", "longWindow": "1h", "shortWindow": "5m", "budgetPercent": 2},
        {"severity": "page", "longWindow": "6h", "shortWindow": "30m", "budgetPercent": 5},
        {"severity": "ticket", "longWindow": "1d", "shortWindow": "2h", "budgetPercent": 10},
        {"severity": "ticket", "longWindow": "3d", "shortWindow": "6h", "budgetPercent": 10},
    ]
    explicit = build_prometheus_rule(parse_spec({**CUSTOM, "alerting": {"burnRateRules": written_out}}), "fraud", "ml")
    assert default == explicit


def test_a_burn_of_15_pages_only_under_the_workbook_and_25_pages_under_the_custom_rule(tmp_path: Path) -> None:
    workbook: dict[str, Any] = {**CUSTOM, "alerting": {}}
    page = alert("availability", "error-rate", "page", spec=CUSTOM)
    assert "ratio_rate2h" in rules_of(CUSTOM)[-1]["expr"]
    burn_15 = {"interval": "1m", "input_series": requests(985, 15)}
    burn_25 = {"interval": "1m", "input_series": requests(975, 25)}
    never = [{"eval_time": t, "alertname": BURN_ALERT_NAME, "exp_alerts": []} for t in ("60m", "125m")]
    run_rule_tests(
        tmp_path,
        spec=CUSTOM,
        tests=[
            {**burn_15, "alert_rule_test": never},
            {
                **burn_25,
                "alert_rule_test": [
                    {"eval_time": "125m", "alertname": BURN_ALERT_NAME, "exp_alerts": [page]},
                ],
            },
        ],
    )
    (tmp_path / "workbook").mkdir()
    run_rule_tests(
        tmp_path / "workbook",
        spec=workbook,
        tests=[
            {
                **burn_15,
                "alert_rule_test": [
                    {
                        "eval_time": "125m",
                        "alertname": BURN_ALERT_NAME,
                        "exp_alerts": [
                            alert("availability", "error-rate", "page", spec=workbook),
                            alert("availability", "error-rate", "ticket", spec=workbook),  # 15 > 3 over 1d & 2h
                        ],
                    }
                ],
            }
        ],
    )
