"""The multi-window multi-burn-rate policy and its factors.

We test these aspects:
- factor = budget consumed · period / long window reproduces the SRE workbook table for 30 days
  (14.4, 6, 3, 1 from 2%, 5%, 10%, 10% over 1h, 6h, 1d, 3d) and Sloth's 28-day factors (13.44, 5.6, 2.8, 0.93);
- the inverse holds: burning at a rule's factor for its long window spends exactly its budget share;
- the windows the rules read are the workbook's seven, shortest first;
- custom policies work, rows longer than the period are left out, impossible rows (short > long) are rejected;
- coverage: a window with too little history is "no data".
"""

from __future__ import annotations

import pytest

from modelmonitor.slo.burn_rate import EventCounts
from modelmonitor.slo.windows import (
    DAY,
    HOUR,
    SRE_WORKBOOK_POLICY,
    SRE_WORKBOOK_RULES,
    BudgetPolicy,
    BurnRateRule,
    Severity,
    burn_rate_factor,
    covered_counts,
    rules_for_period,
    windows_of,
)

Row = tuple[Severity, float, float, float, float, float]

WORKBOOK_TABLE: list[Row] = [
    # severity, long window, short window, budget consumed, 30d factor, Sloth 28d factor
    (Severity.PAGE, 1 * HOUR, 300.0, 0.02, 14.4, 13.44),
    (Severity.PAGE, 6 * HOUR, 1800.0, 0.05, 6.0, 5.6),
    (Severity.TICKET, 1 * DAY, 2 * HOUR, 0.10, 3.0, 2.8),
    (Severity.TICKET, 3 * DAY, 6 * HOUR, 0.10, 1.0, 0.9333),
]


@pytest.mark.parametrize(("index", "row"), list(enumerate(WORKBOOK_TABLE)))
def test_30d_rules_reproduce_the_workbook_table(index: int, row: Row) -> None:
    severity, long_window, short_window, _, factor_30d, _ = row
    rule = SRE_WORKBOOK_RULES[index]
    assert (rule.severity, rule.long_window_s, rule.short_window_s) == (severity, long_window, short_window)
    assert rule.factor == pytest.approx(factor_30d, rel=1e-12)


@pytest.mark.parametrize(("index", "row"), list(enumerate(WORKBOOK_TABLE)))
def test_28d_rules_reproduce_sloth(index: int, row: Row) -> None:
    rule = rules_for_period(28 * DAY)[index]
    assert rule.factor == pytest.approx(row[5], abs=5e-5)


@pytest.mark.parametrize("row", WORKBOOK_TABLE)
def test_factor_inverts_to_budget_share(row: Row) -> None:
    _, long_window, _, budget_consumed, factor_30d, _ = row
    period = 30 * DAY
    assert burn_rate_factor(budget_consumed, period, long_window) == pytest.approx(factor_30d)
    # Burning at the factor for the long window spends exactly the budget share.
    assert factor_30d * long_window / period == pytest.approx(budget_consumed)


def test_policy_rows_match_the_table() -> None:
    assert [(p.severity, p.long_window_s, p.short_window_s, p.budget_consumed) for p in SRE_WORKBOOK_POLICY] == [
        row[:4] for row in WORKBOOK_TABLE
    ]


def test_windows_of_workbook_rules() -> None:
    minutes = [w / 60 for w in windows_of(SRE_WORKBOOK_RULES)]
    assert minutes == [5, 30, 60, 120, 360, 1440, 4320]


def test_custom_policy() -> None:
    policy = [BudgetPolicy(Severity.PAGE, long_window_s=2 * HOUR, short_window_s=600, budget_consumed=0.05)]
    (rule,) = rules_for_period(7 * DAY, policy)
    assert (rule.severity, rule.long_window_s, rule.short_window_s) == (Severity.PAGE, 2 * HOUR, 600)
    assert rule.factor == pytest.approx(0.05 * 7 * 24 / 2)


def test_rows_longer_than_the_period_are_left_out() -> None:
    assert [r.long_window_s for r in rules_for_period(2 * DAY)] == [HOUR, 6 * HOUR, DAY]
    assert [r.factor for r in rules_for_period(2 * DAY)] == pytest.approx([0.96, 0.4, 0.2])
    with pytest.raises(ValueError, match="period must be positive"):
        rules_for_period(0)


@pytest.mark.parametrize(
    "make",
    [
        lambda: BudgetPolicy(Severity.PAGE, long_window_s=60, short_window_s=600, budget_consumed=0.1),
        lambda: BudgetPolicy(Severity.PAGE, long_window_s=600, short_window_s=60, budget_consumed=0),
        lambda: BurnRateRule(Severity.PAGE, long_window_s=600, short_window_s=60, factor=0),
        lambda: BurnRateRule(Severity.PAGE, long_window_s=60, short_window_s=0, factor=1),
    ],
)
def test_impossible_rules_are_rejected(make: object) -> None:
    with pytest.raises(ValueError, match=r"must|need"):
        make()  # type: ignore[operator]


def test_coverage() -> None:
    counts = EventCounts(good=10, total=10)
    assert covered_counts(counts, observed_s=600, window_s=HOUR) is None
    assert covered_counts(counts, observed_s=0.9 * HOUR, window_s=HOUR) is counts
    assert covered_counts(counts, observed_s=1800, window_s=HOUR, min_coverage=0.5) is counts
    assert covered_counts(None, observed_s=2 * HOUR, window_s=HOUR) is None
    with pytest.raises(ValueError, match="min_coverage"):
        covered_counts(counts, observed_s=1, window_s=1, min_coverage=0)
