"""Burn rate, error ratio and error budget of one window.

We test these aspects:
- burn rate is the error ratio over the budget, for several objectives (table);
- windows without events are "no data" (None), never a ratio of 0;
- error budget remaining is 1 - burn rate, negative when overspent;
- bad input (negative counts, bad > total, objectives outside (0, 100)) is rejected with a message;
- EventCounts adds up and converts between good and bad;
- the modules' doctests hold.
"""

from __future__ import annotations

import doctest

import pytest

from modelmonitor.slo import alerting, burn_rate, sli, windows
from modelmonitor.slo.burn_rate import (
    EventCounts,
    error_budget,
    error_budget_remaining,
    error_ratio,
)
from modelmonitor.slo.burn_rate import burn_rate as compute_burn_rate


@pytest.mark.parametrize(
    ("bad", "total", "objective", "expected"),
    [
        (1, 1000, 99.9, 1.0),
        (144, 10000, 99.9, 14.4),
        (5, 100, 99.0, 5.0),
        (0, 100, 99.0, 0.0),
        (100, 100, 95.0, 20.0),
        (50, 1000, 99.9, 50.0),
    ],
)
def test_burn_rate_is_error_ratio_over_budget(bad: int, total: int, objective: float, expected: float) -> None:
    assert compute_burn_rate(bad, total, objective) == pytest.approx(expected, rel=1e-12)


def test_no_events_is_no_data() -> None:
    assert error_ratio(0, 0) is None
    assert compute_burn_rate(0, 0, 99.9) is None
    assert error_budget_remaining(0, 0, 99.9) is None


@pytest.mark.parametrize(
    ("bad", "total", "expected"),
    [(0, 1000, 1.0), (250, 1_000_000, 0.75), (1000, 1_000_000, 0.0), (3000, 1_000_000, -2.0)],
)
def test_error_budget_remaining(bad: int, total: int, expected: float) -> None:
    assert error_budget_remaining(bad, total, 99.9) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize("objective", [0.0, 100.0, -1.0, 150.0])
def test_objective_outside_open_interval_is_rejected(objective: float) -> None:
    with pytest.raises(ValueError, match="objective"):
        error_budget(objective)


@pytest.mark.parametrize(("bad", "total"), [(-1, 10), (11, 10), (0, -1)])
def test_inconsistent_counts_are_rejected(bad: int, total: int) -> None:
    with pytest.raises(ValueError, match="bad"):
        error_ratio(bad, total)


def test_event_counts() -> None:
    counts = EventCounts(good=90, total=100) + EventCounts.from_bad(5, 50)
    assert counts == EventCounts(good=135, total=150)
    assert counts.bad == 15
    with pytest.raises(ValueError, match="exceed"):
        EventCounts(good=11, total=10)
    with pytest.raises(ValueError, match="negative"):
        EventCounts(good=-1, total=10)
    with pytest.raises(ValueError, match="bad events"):
        EventCounts.from_bad(11, 10)


@pytest.mark.parametrize("module", [burn_rate, windows, alerting, sli])
def test_doctests(module: object) -> None:
    result = doctest.testmod(module)  # type: ignore[arg-type]
    assert result.attempted > 0
    assert result.failed == 0
