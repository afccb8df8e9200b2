"""Tumbling windows in a ring: bounded memory whatever the traffic.

Time is cut into buckets of ``bucket_seconds`` (bucket ``k`` covers ``[k*b, (k+1)*b)``); the ring
keeps the last ``n_buckets`` of them, each a mergeable sketch. Traffic only ever adds to the current
bucket, so memory is ``n_buckets`` sketches no matter how many rows arrive. A window of ``w``
seconds is the merge of the last ``ceil(w / b)`` buckets (the current, partial one included).
Time is always passed in (``now``, seconds since any fixed origin), never read, so tests and
replays control it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

from modelmonitor.stats.base import SNAPSHOT_VERSION, Mergeable, check_snapshot, count_value, snapshot_field

S = TypeVar("S", bound=Mergeable)

_RING = "window-ring"


class WindowRing(Generic[S]):
    """A ring of ``n_buckets`` tumbling buckets of ``bucket_seconds``, each made by ``factory``.

    Examples
    --------
    >>> from modelmonitor.stats.outcome_sketches import RegressionErrors
    >>> ring = WindowRing(RegressionErrors, bucket_seconds=60, n_buckets=5)
    >>> _ = ring.bucket(now=0).update(1.0, 0.0)
    >>> _ = ring.bucket(now=61).update(2.0, 0.0)
    >>> ring.merged(60, now=100).count, ring.merged(120, now=100).count
    (1, 2)
    >>> ring.merged(120, now=400).count  # both buckets have expired
    0
    """

    def __init__(self, factory: Callable[[], S], bucket_seconds: float, n_buckets: int) -> None:
        if not bucket_seconds > 0 or not math.isfinite(bucket_seconds):
            raise ValueError(f"bucket_seconds must be a positive number, got {bucket_seconds!r}")
        if n_buckets < 1:
            raise ValueError(f"n_buckets must be at least 1, got {n_buckets!r}")
        self.factory = factory
        self.bucket_seconds = float(bucket_seconds)
        self.n_buckets = int(n_buckets)
        self._slots: list[S | None] = [None] * self.n_buckets
        self._ids: list[int] = [-1] * self.n_buckets
        self._latest: int | None = None
        self.dropped = 0  # updates for buckets older than the ring (late clocks), discarded

    def _bucket_id(self, now: float) -> int:
        if not math.isfinite(now):
            raise ValueError(f"now must be a finite number of seconds, got {now!r}")
        return math.floor(now / self.bucket_seconds)

    def bucket(self, now: float) -> S:
        """The bucket covering ``now``; rolling forward replaces expired buckets with fresh ones.

        A ``now`` older than the ring's span (a clock that went back) gets a detached, discarded
        sketch, counted in ``dropped``, so old data never overwrites newer buckets.
        """
        k = self._bucket_id(now)
        if self._latest is not None and k <= self._latest - self.n_buckets:
            self.dropped += 1
            return self.factory()
        slot = k % self.n_buckets
        current = self._slots[slot]
        if current is None or self._ids[slot] != k:
            current = self.factory()
            self._slots[slot] = current
            self._ids[slot] = k
        if self._latest is None or k > self._latest:
            self._latest = k
        return current

    def buckets(self, window_seconds: float, now: float) -> list[tuple[int, S]]:
        """The live ``(bucket id, sketch)`` pairs inside the window ending at ``now``, oldest first."""
        if not window_seconds > 0:
            raise ValueError(f"window_seconds must be positive, got {window_seconds!r}")
        span = math.ceil(window_seconds / self.bucket_seconds - 1e-9)
        if span > self.n_buckets:
            raise ValueError(
                f"a window of {window_seconds}s needs {span} buckets of {self.bucket_seconds}s, "
                f"but the ring keeps only {self.n_buckets}"
            )
        k = self._bucket_id(now)
        live = [
            (bucket_id, sketch)
            for bucket_id, sketch in zip(self._ids, self._slots, strict=True)
            if sketch is not None and k - span < bucket_id <= k
        ]
        return sorted(live, key=lambda item: item[0])

    def merged(self, window_seconds: float, now: float) -> S:
        """A new sketch: the merge of the buckets in the last ``window_seconds`` up to ``now``."""
        out = self.factory()
        for _, sketch in self.buckets(window_seconds, now):
            out.merge(sketch)
        return out

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-safe dict: the ring's geometry and its live buckets, oldest first."""
        live = sorted(
            ((i, s) for i, s in zip(self._ids, self._slots, strict=True) if s is not None), key=lambda item: item[0]
        )
        return {
            "type": _RING,
            "version": SNAPSHOT_VERSION,
            "bucketSeconds": self.bucket_seconds,
            "nBuckets": self.n_buckets,
            "buckets": [{"index": i, "start": i * self.bucket_seconds, "sketch": s.to_snapshot()} for i, s in live],
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any], factory: Callable[[], S]) -> WindowRing[S]:
        """Inverse of :meth:`to_snapshot`; bucket sketches are read with ``type(factory()).from_snapshot``."""
        check_snapshot(data, _RING)
        bucket_seconds = snapshot_field(data, _RING, "bucketSeconds")
        if isinstance(bucket_seconds, bool) or not isinstance(bucket_seconds, int | float):
            raise ValueError(f"{_RING} snapshot field 'bucketSeconds' must be a number")
        ring = cls(factory, float(bucket_seconds), count_value(data, _RING, "nBuckets"))
        kind = type(factory())
        buckets = snapshot_field(data, _RING, "buckets")
        if not isinstance(buckets, list):
            raise ValueError(f"{_RING} snapshot field 'buckets' must be a list")
        for entry in buckets:
            if not isinstance(entry, Mapping) or not isinstance(entry.get("index"), int):
                raise ValueError(f"{_RING} snapshot bucket entries need an integer 'index' and a 'sketch'")
            k = int(entry["index"])
            sketch = kind.from_snapshot(snapshot_field(entry, _RING, "sketch"))
            slot = k % ring.n_buckets
            if ring._ids[slot] < k:
                ring._slots[slot] = sketch
                ring._ids[slot] = k
                ring._latest = k if ring._latest is None else max(ring._latest, k)
        return ring
