"""SLI events from neutral counts.

We test these aspects:
- error rate: 5xx (by class or by code) and proxy errors are bad, 1xx-4xx good; unknown keys and negative
  counts are rejected with a message naming them;
- latency: exact at bucket bounds, linear interpolation inside a bucket (rounded down, bounded by the
  bucket's counts), only finite buckets above the last finite bound, below the first bound from 0;
  malformed histograms are rejected;
- accuracy and drift: good/total from their two counts.
"""

from __future__ import annotations

import math

import pytest

from modelmonitor.slo.burn_rate import EventCounts
from modelmonitor.slo.sli import accuracy_events, drift_events, error_rate_events, latency_events

INF = math.inf
BOUNDS = [0.05, 0.1, 0.3, 1.0, INF]
CUMULATIVE = [10, 50, 90, 99, 100]


@pytest.mark.parametrize(
    ("counts", "proxy_errors", "expected"),
    [
        ({"2xx": 990, "4xx": 5, "5xx": 5}, 0, EventCounts(good=995, total=1000)),
        ({"200": 90, "503": 4, "500": 1, "404": 5}, 2, EventCounts(good=95, total=102)),
        ({"1xx": 1, "3xx": 2}, 0, EventCounts(good=3, total=3)),
        ({}, 0, EventCounts(good=0, total=0)),
        ({}, 3, EventCounts(good=0, total=3)),
    ],
)
def test_error_rate_events(counts: dict[str, int], proxy_errors: int, expected: EventCounts) -> None:
    assert error_rate_events(counts, proxy_errors) == expected


@pytest.mark.parametrize(
    ("counts", "proxy_errors", "message"),
    [
        ({"6xx": 1}, 0, "unknown status '6xx'"),
        ({"ok": 1}, 0, "unknown status 'ok'"),
        ({"2xx": -1}, 0, "count of 2xx must not be negative"),
        ({}, -1, "proxy_errors must not be negative"),
    ],
)
def test_error_rate_rejects_bad_input(counts: dict[str, int], proxy_errors: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        error_rate_events(counts, proxy_errors)


@pytest.mark.parametrize(
    ("threshold", "good"),
    [
        (0.05, 10),
        (0.1, 50),
        (0.3, 90),
        (1.0, 99),
        (0.2, 70),  # halfway between 0.1 (50) and 0.3 (90)
        (0.025, 5),  # below the first bound: interpolated from 0 at 0 s
        (0.65, 94),  # 90 + floor(0.5 * 9)
        (5.0, 99),  # above the last finite bound: only what is known to be fast
    ],
)
def test_latency_events(threshold: float, good: int) -> None:
    assert latency_events(BOUNDS, CUMULATIVE, threshold) == EventCounts(good=good, total=100)


@pytest.mark.parametrize("threshold", [0.01, 0.07, 0.12, 0.29, 0.31, 0.9])
def test_interpolation_stays_within_its_bucket(threshold: float) -> None:
    good = latency_events(BOUNDS, CUMULATIVE, threshold).good
    index = next(i for i, bound in enumerate(BOUNDS) if threshold < bound)
    lower = CUMULATIVE[index - 1] if index else 0
    assert lower <= good <= CUMULATIVE[index]


@pytest.mark.parametrize(
    ("bounds", "cumulative", "threshold", "message"),
    [
        ([0.1, INF], [1], 0.1, "as many bounds as counts"),
        ([], [], 0.1, "as many bounds as counts"),
        ([0.1, 1.0], [1, 2], 0.1, "last bucket bound must be \\+Inf"),
        ([0.3, 0.1, INF], [1, 2, 3], 0.1, "increase strictly"),
        ([0.1, INF], [5, 3], 0.1, "non-decreasing"),
        ([0.1, INF], [-1, 3], 0.1, "non-negative"),
        ([0.1, INF], [1, 3], 0.0, "threshold must be positive"),
    ],
)
def test_latency_rejects_malformed_histograms(
    bounds: list[float], cumulative: list[int], threshold: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        latency_events(bounds, cumulative, threshold)


def test_accuracy_and_drift_events() -> None:
    assert accuracy_events(correct=95, incorrect=5) == EventCounts(good=95, total=100)
    assert accuracy_events(0, 0) == EventCounts(good=0, total=0)
    assert drift_events(clean_intervals=110, drifted_intervals=10) == EventCounts(good=110, total=120)
    with pytest.raises(ValueError, match="incorrect must not be negative"):
        accuracy_events(1, -1)
    with pytest.raises(ValueError, match="drifted_intervals"):
        drift_events(1, -2)
