"""Turning neutral counts into good/total events, one function per SLI kind.

Inputs are plain numbers, not the sidecar's snapshot format, so the same functions serve the sidecar
snapshots and Prometheus query results.

- error-rate: 5xx responses and proxy failures are bad; 1xx-4xx are good (a 4xx is the client's fault).
- latency: requests at or below the threshold are good, read from a cumulative histogram.
- accuracy: labelled predictions that were correct are good.
- drift: analysis intervals without drift are good; intervals that could not be judged are not counted.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from modelmonitor.slo.burn_rate import EventCounts

STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")


def _status_class(key: str) -> str:
    if key in STATUS_CLASSES:
        return key
    if len(key) == 3 and key.isdigit() and key[0] in "12345":
        return f"{key[0]}xx"
    raise ValueError(f"unknown status {key!r}: expected one of {', '.join(STATUS_CLASSES)} or a 3-digit code")


def _check_count(name: str, value: int) -> int:
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")
    return value


def error_rate_events(counts_by_status: Mapping[str, int], proxy_errors: int = 0) -> EventCounts:
    """Events of an error-rate SLI from response counts by status class (``"5xx"``) or code (``"503"``).

    ``proxy_errors`` are requests the proxy could not forward and that carry no upstream status (they
    are not in ``counts_by_status``); they are bad, as the client saw a failure.

    >>> error_rate_events({"2xx": 990, "4xx": 5, "5xx": 5}, proxy_errors=1)
    EventCounts(good=995, total=1001)
    """
    bad = _check_count("proxy_errors", proxy_errors)
    total = bad
    for key, count in counts_by_status.items():
        _check_count(f"count of {key}", count)
        total += count
        if _status_class(key) == "5xx":
            bad += count
    return EventCounts.from_bad(bad, total)


def latency_events(bounds: Sequence[float], cumulative: Sequence[int], threshold_s: float) -> EventCounts:
    """Events of a latency SLI: requests at or below ``threshold_s`` are good.

    Parameters
    ----------
    bounds
        Upper bounds of a cumulative (Prometheus ``le``) histogram, increasing, the last one ``inf``.
    cumulative
        Requests at or below each bound; the last entry is the total.
    threshold_s
        The SLO's latency threshold, in seconds.

    Notes
    -----
    When the threshold is a bucket bound, the count is exact. Otherwise the good count is interpolated
    linearly inside the bucket that holds the threshold (the assumption ``histogram_quantile`` makes),
    rounded down, so the error is at most that bucket's count and leans towards reporting too many slow
    requests rather than too few. Above the last finite bound nothing can be interpolated, so only the
    requests under that bound are good. Give the sidecar the threshold as a bucket bound to be exact
    (the generated Prometheus rules require it).

    >>> latency_events([0.1, 0.3, 1.0, math.inf], [50, 90, 99, 100], 0.3)
    EventCounts(good=90, total=100)
    >>> latency_events([0.1, 0.3, 1.0, math.inf], [50, 90, 99, 100], 0.2)
    EventCounts(good=70, total=100)
    """
    if len(bounds) != len(cumulative) or not bounds:
        raise ValueError(f"need as many bounds as counts (and at least one), got {len(bounds)} and {len(cumulative)}")
    if not math.isinf(bounds[-1]):
        raise ValueError(f"the last bucket bound must be +Inf, got {bounds[-1]}")
    if any(b <= a for a, b in itertools.pairwise(bounds)):
        raise ValueError(f"bucket bounds must increase strictly, got {list(bounds)}")
    if any(c < 0 for c in cumulative) or any(b < a for a, b in itertools.pairwise(cumulative)):
        raise ValueError(f"cumulative counts must be non-negative and non-decreasing, got {list(cumulative)}")
    if not threshold_s > 0:
        raise ValueError(f"latency threshold must be positive, got {threshold_s}")
    total = cumulative[-1]
    lower_bound, lower_count = 0.0, 0
    for bound, count in zip(bounds, cumulative, strict=True):
        if threshold_s == bound:
            return EventCounts(good=count, total=total)
        if threshold_s < bound:
            if math.isinf(bound):
                return EventCounts(good=lower_count, total=total)
            fraction = (threshold_s - lower_bound) / (bound - lower_bound)
            good = lower_count + math.floor(fraction * (count - lower_count))
            return EventCounts(good=good, total=total)
        lower_bound, lower_count = bound, count
    raise AssertionError("unreachable: the last bound is +Inf")  # pragma: no cover


def accuracy_events(correct: int, incorrect: int) -> EventCounts:
    """Events of an accuracy SLI from labelled predictions (those whose label arrived).

    >>> accuracy_events(correct=95, incorrect=5)
    EventCounts(good=95, total=100)
    """
    _check_count("correct", correct)
    _check_count("incorrect", incorrect)
    return EventCounts(good=correct, total=correct + incorrect)


def drift_events(clean_intervals: int, drifted_intervals: int) -> EventCounts:
    """Events of a drift SLI: each judged analysis interval is an event, bad when any feature drifted.

    Intervals with too few samples to judge drift are left out by the caller: they are neither good nor bad.

    >>> drift_events(clean_intervals=110, drifted_intervals=10)
    EventCounts(good=110, total=120)
    """
    _check_count("clean_intervals", clean_intervals)
    _check_count("drifted_intervals", drifted_intervals)
    return EventCounts(good=clean_intervals, total=clean_intervals + drifted_intervals)
