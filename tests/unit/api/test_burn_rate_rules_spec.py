"""``spec.alerting.burnRateRules``: the configurable multi-window burn-rate rules.

We test these aspects:
- omitted rules are the SRE workbook's; given rules become policy rows with budget fractions;
- bad rules are rejected with a message naming the field: short window not shorter than the long one,
  a window under 1m, budgetPercent outside (0, 100], an empty list, a repeated rule, an unknown field;
- rules must fit the SLOs: a longWindow longer than every SLO window, or an SLO window shorter than
  every longWindow, is an error naming the field; a rule longer than only some SLOs is left out for them.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelmonitor.api.validation import SpecError, parse_spec
from modelmonitor.slo.windows import SRE_WORKBOOK_POLICY, BudgetPolicy, Severity, rules_for_period, spec_policy

HOUR = 3600.0
DAY = 86400.0
AVAILABILITY = {"name": "availability", "sli": "error-rate", "objective": 99.9}


def spec(rules: Any, slos: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "target": {"deployment": "fraud"},
        "slos": [AVAILABILITY] if slos is None else slos,
        "alerting": {"burnRateRules": rules},
    }


def rule(severity: str = "page", long: str = "1h", short: str = "5m", percent: float = 2) -> dict[str, Any]:
    return {"severity": severity, "longWindow": long, "shortWindow": short, "budgetPercent": percent}


def test_omitted_rules_are_the_workbook_policy() -> None:
    parsed = parse_spec({"target": {"deployment": "fraud"}, "slos": [AVAILABILITY]})
    assert parsed.alerting.burn_rate_rules is None
    assert spec_policy(parsed) == SRE_WORKBOOK_POLICY


def test_given_rules_become_policy_rows_with_budget_fractions() -> None:
    parsed = parse_spec(spec([rule("page", "2h", "10m", 5), rule("ticket", "1d", "2h", 12.5)]))
    assert spec_policy(parsed) == (
        BudgetPolicy(Severity.PAGE, long_window_s=2 * HOUR, short_window_s=600.0, budget_consumed=0.05),
        BudgetPolicy(Severity.TICKET, long_window_s=DAY, short_window_s=2 * HOUR, budget_consumed=0.125),
    )
    # 5 % over 2h of 30 days is a factor of 18; 12.5 % over 1d is 3.75.
    assert [r.factor for r in rules_for_period(30 * DAY, spec_policy(parsed))] == pytest.approx([18.0, 3.75])


def test_the_workbook_table_written_out_equals_the_default() -> None:
    table = [
        rule("page", "1h", "5m", 2),
        rule("page", "6h", "30m", 5),
        rule("ticket", "1d", "2h", 10),
        rule("ticket", "3d", "6h", 10),
    ]
    assert spec_policy(parse_spec(spec(table))) == SRE_WORKBOOK_POLICY


@pytest.mark.parametrize(
    ("rules", "field", "message"),
    [
        ([rule(long="1h", short="1h")], "spec.alerting.burnRateRules[0]", "shortWindow 1h must be shorter"),
        ([rule(), rule(long="30m", short="2h")], "spec.alerting.burnRateRules[1]", "must be shorter than longWindow"),
        ([rule(short="30s")], "spec.alerting.burnRateRules[0]", "shorter than 1m"),
        ([rule(percent=0)], "spec.alerting.burnRateRules[0].budgetPercent", "greater than 0"),
        ([rule(percent=150)], "spec.alerting.burnRateRules[0].budgetPercent", "less than or equal to 100"),
        ([rule(long="1 hour")], "spec.alerting.burnRateRules[0].longWindow", "should match pattern"),
        ([], "spec.alerting.burnRateRules", "at least 1 item"),
        ([rule(), rule()], "spec.alerting", "burnRateRules[1]: repeats severity page with windows 1h & 5m"),
        ([{**rule(), "factor": 14.4}], "spec.alerting.burnRateRules[0].factor", "unknown field"),
        (
            [{"severity": "sms", "longWindow": "1h", "shortWindow": "5m", "budgetPercent": 2}],
            "spec.alerting.burnRateRules[0].severity",
            "'page' or 'ticket'",
        ),
    ],
)
def test_bad_rules_are_rejected_naming_the_field(rules: list[dict[str, Any]], field: str, message: str) -> None:
    with pytest.raises(SpecError) as error:
        parse_spec(spec(rules))
    assert any(p.startswith(f"{field}: ") and message in p for p in error.value.problems), error.value.problems


def test_a_long_window_longer_than_every_slo_window_is_rejected() -> None:
    slos = [{**AVAILABILITY, "window": "7d"}]
    with pytest.raises(SpecError, match=r"alerting\.burnRateRules\[1\]\.longWindow 14d is longer than every SLO"):
        parse_spec(spec([rule(), rule("ticket", "14d", "1d", 10)], slos))


def test_an_slo_window_shorter_than_every_long_window_is_rejected() -> None:
    slos = [AVAILABILITY, {"name": "short", "sli": "error-rate", "objective": 99, "window": "1d"}]
    with pytest.raises(SpecError, match=r"slos\[1\]\.window 1d is shorter than every alerting\.burnRateRules"):
        parse_spec(spec([rule("page", "2d", "4h", 5)], slos))


def test_a_rule_longer_than_some_slo_windows_is_left_out_for_them() -> None:
    slos = [AVAILABILITY, {"name": "daily", "sli": "error-rate", "objective": 99, "window": "2d"}]
    parsed = parse_spec(spec([rule(), rule("ticket", "3d", "6h", 10)], slos))
    policy = spec_policy(parsed)
    assert [r.long_window_s for r in rules_for_period(30 * DAY, policy)] == [HOUR, 3 * DAY]
    assert [r.long_window_s for r in rules_for_period(2 * DAY, policy)] == [HOUR]


def test_rules_without_slos_are_accepted() -> None:
    parsed = parse_spec(spec([rule("page", "90m", "10m", 3)], slos=[]))
    assert spec_policy(parsed)[0].long_window_s == 90 * 60
