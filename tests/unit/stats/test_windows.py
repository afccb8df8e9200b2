"""Tumbling-window ring.

We test these aspects:
- buckets tumble on bucket boundaries; windows merge the right buckets, the partial current one included;
- expired buckets are cleared when the ring rolls forward, and windows past the ring's span are refused;
- a clock that goes back past the ring is discarded (counted), never overwriting newer buckets;
- memory stays bounded after 10^6 updates (number of live buckets and snapshot size);
- snapshots survive a JSON round trip;
- bad geometry is rejected with a clear message.
"""

from __future__ import annotations

import json
import math

import pytest

from modelmonitor.stats.binning import NumericBins
from modelmonitor.stats.outcome_sketches import RegressionErrors
from modelmonitor.stats.sketches import NumericSketch
from modelmonitor.stats.windows import WindowRing

BINS = NumericBins((0.0, 0.5, 1.0))


def ring() -> WindowRing[NumericSketch]:
    return WindowRing(lambda: NumericSketch(BINS), bucket_seconds=10, n_buckets=6)


def test_buckets_tumble_and_windows_merge() -> None:
    r = ring()
    for t in range(60):  # one value per second, value = bucket number / 10
        r.bucket(float(t)).update((t // 10) / 10)
    assert r.bucket(59.0).total == 10
    assert r.merged(10, now=59.0).total == 10
    assert r.merged(25, now=59.0).total == 30  # ceil(25/10) = 3 buckets
    assert r.merged(60, now=59.0).total == 60
    assert [k for k, _ in r.buckets(30, now=59.0)] == [3, 4, 5]


def test_rolling_forward_clears_expired_buckets() -> None:
    r = ring()
    r.bucket(0.0).update(0.1)
    r.bucket(65.0).update(0.2)  # bucket 6 reuses bucket 0's slot
    assert r.merged(60, now=65.0).total == 1
    assert r.merged(60, now=200.0).total == 0
    assert sum(1 for _ in r.buckets(60, now=65.0)) == 1


def test_late_clock_is_discarded() -> None:
    r = ring()
    r.bucket(100.0).update(0.1)
    r.bucket(35.0).update(0.2)  # 6.5 buckets back: older than the ring
    assert r.dropped == 1
    assert r.merged(60, now=100.0).total == 1
    r.bucket(95.0).update(0.3)  # same bucket, still fine
    assert r.merged(60, now=100.0).total == 2


def test_window_longer_than_ring_refused() -> None:
    with pytest.raises(ValueError, match="keeps only 6"):
        ring().merged(61, now=0.0)


@pytest.mark.parametrize(("seconds", "n"), [(0, 5), (-1, 5), (math.inf, 5), (10, 0)])
def test_bad_geometry(seconds: float, n: int) -> None:
    with pytest.raises(ValueError, match=r"bucket_seconds|n_buckets"):
        WindowRing(RegressionErrors, bucket_seconds=seconds, n_buckets=n)


def test_memory_bounded_after_a_million_updates() -> None:
    r = WindowRing(lambda: NumericSketch(BINS), bucket_seconds=1.0, n_buckets=4)
    sizes = []
    for block in range(10):
        for i in range(100_000):
            # 10^6 updates spread over 1,000 seconds: the ring turns over ~250 times.
            r.bucket(block * 100.0 + i * 0.001).update(i * 1e-5)
        sizes.append(len(json.dumps(r.to_snapshot())))
    assert sum(1 for s in r._slots if s is not None) <= 4
    assert len(r.to_snapshot()["buckets"]) <= 4
    assert max(sizes) < 2 * min(sizes)  # the snapshot does not grow with traffic
    assert r.merged(4, now=999.999).total == 4000


def test_snapshot_round_trip() -> None:
    r = ring()
    for t in (0.0, 12.0, 13.0, 41.0):
        r.bucket(t).update(t / 50)
    wire = json.loads(json.dumps(r.to_snapshot()))
    back = WindowRing.from_snapshot(wire, lambda: NumericSketch(BINS))
    assert back.merged(60, now=41.0) == r.merged(60, now=41.0)
    assert back.merged(10, now=41.0).total == 1
    with pytest.raises(ValueError, match="window-ring"):
        WindowRing.from_snapshot({"type": "x", "version": 1}, RegressionErrors)
