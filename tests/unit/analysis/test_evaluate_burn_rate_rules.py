"""Evaluation with the spec's own burn-rate rules (``spec.alerting.burnRateRules``).

We test these aspects:
- the windows an evaluation asks its source for are those of the spec's rules (plus drift window and period);
- the spec's rules decide: a burn of 15 pages under the workbook (1h & 5m over 14.4) but not under a
  page at 5 % over 2h & 10m (18), which pages at a burn of 25;
- the custom long window needs history like any window: uncovered, it is no data, never a page;
- a ticket-only rule set never pages; rows longer than the SLO window are left out;
- an explicitly passed policy still wins over the spec (compressed windows of the scenarios);
- fed by a real Recorder on an injected clock, a 5 % error step pages on the custom 30m & 5m rule.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelmonitor.analysis.evaluate import counts_by_window, evaluate, required_windows
from modelmonitor.slo.windows import DAY, HOUR, BudgetPolicy, Severity, rules_for_period, spec_policy
from modelmonitor_proxy.recorder import Recorder
from tests.scenarios.traffic import T0, Traffic, feed, monitor_spec, sidecar_config

AVAILABILITY = {"name": "availability", "sli": "error-rate", "objective": 99.9}
TWO_HOUR_PAGE = [{"severity": "page", "longWindow": "2h", "shortWindow": "10m", "budgetPercent": 5}]
NOW = T0 + 40 * DAY


def uniform(spec: Any, error_percent: float, events: int = 100_000) -> dict[float, Any]:
    """Every window the spec reads, each with the same error ratio (a steady burn)."""
    bad = round(events * error_percent / 100)
    return {w: {"requests": {"2xx": events - bad, "5xx": bad}} for w in required_windows(spec)}


def test_required_windows_follow_the_spec_rules() -> None:
    default = monitor_spec(slos=[AVAILABILITY])
    custom = monitor_spec(slos=[AVAILABILITY], alerting={"burnRateRules": TWO_HOUR_PAGE})
    assert required_windows(default) == (300.0, 1800.0, HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY, 30 * DAY)
    assert required_windows(custom) == (600.0, HOUR, 2 * HOUR, 30 * DAY)  # 1h: the drift window


@pytest.mark.parametrize(
    ("rules", "error_percent", "severity", "long_window"),
    [
        (None, 1.5, Severity.PAGE, HOUR),  # burn 15 > 14.4 over 1h & 5m
        (TWO_HOUR_PAGE, 1.5, None, None),  # burn 15 < 18 over 2h & 10m
        (TWO_HOUR_PAGE, 2.5, Severity.PAGE, 2 * HOUR),  # burn 25 > 18
        (
            [{"severity": "ticket", "longWindow": "12h", "shortWindow": "1h", "budgetPercent": 10}],
            50,
            Severity.TICKET,
            12 * HOUR,
        ),
    ],
)
def test_the_spec_rules_decide_the_severity(
    rules: Any, error_percent: float, severity: Severity | None, long_window: float | None
) -> None:
    spec = monitor_spec(slos=[AVAILABILITY], alerting={} if rules is None else {"burnRateRules": rules})
    result = evaluate(spec, uniform(spec, error_percent), now=NOW, history_s=40 * DAY)
    verdict = result.slos[0]
    assert verdict.rules == rules_for_period(30 * DAY, spec_policy(spec))
    assert verdict.assessment.severity is severity
    assert (verdict.assessment.rule and verdict.assessment.rule.long_window_s) == long_window
    assert verdict.assessment.burn_rates[HOUR if rules is None else verdict.rules[0].long_window_s] == pytest.approx(
        error_percent * 10
    )


def test_an_uncovered_custom_long_window_is_no_data_never_a_page() -> None:
    spec = monitor_spec(slos=[AVAILABILITY], alerting={"burnRateRules": TWO_HOUR_PAGE})
    result = evaluate(spec, uniform(spec, 50), now=NOW, history_s=HOUR)  # an hour of history, 2h window
    assessment = result.slos[0].assessment
    assert assessment.severity is None
    assert assessment.burn_rates[2 * HOUR] is None
    assert 2 * HOUR in assessment.no_data_windows
    assert assessment.burn_rates[600.0] == pytest.approx(500.0)


def test_rows_longer_than_the_slo_window_are_left_out() -> None:
    rules = [*TWO_HOUR_PAGE, {"severity": "ticket", "longWindow": "3d", "shortWindow": "6h", "budgetPercent": 10}]
    slos = [AVAILABILITY, {"name": "daily", "sli": "error-rate", "objective": 99, "window": "1d"}]
    spec = monitor_spec(slos=slos, alerting={"burnRateRules": rules})
    result = evaluate(spec, uniform(spec, 2.5), now=NOW, history_s=40 * DAY)
    monthly, daily = result.slos
    assert [r.long_window_s for r in monthly.rules] == [2 * HOUR, 3 * DAY]
    assert [r.long_window_s for r in daily.rules] == [2 * HOUR]
    assert daily.rules[0].factor == pytest.approx(0.6)  # 5 % of a day over 2h
    assert monthly.assessment.severity is Severity.PAGE
    assert set(monthly.assessment.burn_rates) == {600.0, 2 * HOUR, 6 * HOUR, 3 * DAY}
    # The daily SLO reads neither 3d nor 6h; 2.5 % errors burn its 1 % budget at 2.5 > 0.6.
    assert set(daily.assessment.burn_rates) == {600.0, 2 * HOUR}
    assert daily.assessment.severity is Severity.PAGE
    assert daily.assessment.burn_rates[2 * HOUR] == pytest.approx(2.5)


def test_an_explicit_policy_wins_over_the_spec() -> None:
    spec = monitor_spec(slos=[AVAILABILITY], alerting={"burnRateRules": TWO_HOUR_PAGE})
    policy = (BudgetPolicy(Severity.TICKET, long_window_s=HOUR, short_window_s=300.0, budget_consumed=0.001),)
    counts = {w: uniform(spec, 1.5)[2 * HOUR] for w in required_windows(spec, policy)}
    result = evaluate(spec, counts, now=NOW, history_s=40 * DAY, policy=policy)
    assert required_windows(spec, policy) == (300.0, HOUR, 30 * DAY)
    assert result.slos[0].assessment.severity is Severity.TICKET
    assert result.slos[0].rules[0].long_window_s == HOUR


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_a_recorded_error_step_pages_on_the_custom_short_rule() -> None:
    # Page when 1 % of the budget burns in 30 minutes: factor 14.4 over 30m & 5m, which a 5 % step
    # reaches after ~9 minutes (30m ratio past 1.44 %); the workbook's 1h rule needs ~17.
    rules = [{"severity": "page", "longWindow": "30m", "shortWindow": "5m", "budgetPercent": 1}]
    spec = monitor_spec(slos=[AVAILABILITY], alerting={"burnRateRules": rules})
    clock = Clock()
    recorder = Recorder(sidecar_config(spec, None), clock=clock)
    feed(recorder, Traffic(3, seed=1, error_rate=0.001), 6_000, start=T0, seconds=HOUR)  # 100/min at 0.1 %
    start = T0 + HOUR
    step = Traffic(3, seed=2, error_rate=0.05)
    fired_at = None
    for minute in range(30):
        now = start + (minute + 1) * 60
        feed(recorder, step, 100, start=now - 60, seconds=60)
        counts = counts_by_window(recorder.snapshot(now), required_windows(spec), now)
        result = evaluate(spec, counts, now=now, history_s=now - T0)
        if result.slos[0].assessment.severity is Severity.PAGE:
            fired_at = minute + 1
            assert result.slos[0].assessment.rule == rules_for_period(30 * DAY, spec_policy(spec))[0]
            break
    assert fired_at is not None
    assert 6 <= fired_at <= 12
