"""Mergeable distribution sketches: counts per reference bin, per-bin sums, nulls.

These are what a sidecar keeps per feature (and per prediction output, and for latency): additive
counters over frozen bins, so a fleet's sketch is the sum of its pods' sketches.

Performance choice: the per-row path keeps counts and sums in plain Python lists and finds the bin
with :func:`bisect.bisect_right`. At 10-20 bins, one numpy call per value costs more than the whole
Python update (research/anchors-performance.md §3: 4.5 µs/row for 20 features with bisect, 11-14 µs
with per-row numpy). The batch path (:meth:`NumericSketch.update_batch`) uses numpy and then folds
the result into the lists. ``benchmarks/bench_sketch_update.py`` measures both.

The outcome sketches (confusion counts, calibration bins, regression errors) live in
:mod:`modelmonitor.stats.outcome_sketches` and are re-exported here.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from modelmonitor.api.profile import CategoricalProfile, NumericProfile
from modelmonitor.stats.base import (
    SNAPSHOT_VERSION,
    MergeOperators,
    check_snapshot,
    count_value,
    float_list,
    float_value,
    int_list,
    json_float,
    snapshot_field,
)
from modelmonitor.stats.binning import CategoryBins, NumericBins
from modelmonitor.stats.outcome_sketches import (
    CalibrationBins,
    ConfusionCounts,
    GroupedConfusion,
    RegressionErrors,
)

__all__ = [
    "CalibrationBins",
    "CategoricalSketch",
    "ConfusionCounts",
    "GroupedConfusion",
    "NumericSketch",
    "RegressionErrors",
]

_NUMERIC = "numeric-sketch"
_CATEGORICAL = "categorical-sketch"


def _add_into(target: list[Any], values: list[Any]) -> None:
    """Element-wise ``target += values`` in place: list identity is kept for bound fast paths."""
    for i, v in enumerate(values):
        target[i] += v


class NumericSketch(MergeOperators):
    """Counts, value sums and nulls of a numeric stream over frozen :class:`NumericBins`.

    Attributes
    ----------
    counts
        Non-null values per bin (underflow, inner bins, overflow).
    sums
        Sum of the values in each bin; infinities count at the nearest edge (so sums stay finite).
    sumsq
        Sum of squared finite values (for the standard deviation that normalises Wasserstein).
    nulls
        ``None`` and NaN values.
    invalid
        Values that are not numbers (a string that does not parse as one, a list...): counted here,
        never raised, because they come from live traffic. Numeric strings ("3.5") are parsed.

    ``counts`` and ``sums`` are mutated in place, never rebound, so fast paths that hold a reference
    to them (:class:`~modelmonitor.stats.features.FeatureSketches`) stay valid; assign with
    ``sketch.counts[:] = ...`` if you must.

    Examples
    --------
    >>> s = NumericSketch(NumericBins((0.0, 1.0)))
    >>> _ = s.update(0.5).update(None).update(7.0)
    >>> s.counts, s.sums, s.nulls, s.total, s.count
    ([0, 1, 1], [0.0, 0.5, 7.0], 1, 2, 3)
    """

    __slots__ = ("_lo", "_overflow", "_search", "_top", "bins", "counts", "invalid", "nulls", "sums", "sumsq")

    def __init__(self, bins: NumericBins) -> None:
        self.bins = bins
        n = bins.n_bins
        self.counts: list[int] = [0] * n
        self.sums: list[float] = [0.0] * n
        self.sumsq = 0.0
        self.nulls = 0
        self.invalid = 0
        self._search = bins.search_edges
        self._overflow = n - 1
        self._lo = bins.edges[0]
        self._top = bins.edges[-1]

    # -- updates ------------------------------------------------------------------------------

    def update(self, value: float | None) -> Self:
        """Count one value: ``None``/NaN are nulls, ``±inf`` go to under/overflow."""
        if value is None or value != value:
            self.nulls += 1
            return self
        try:
            i = bisect_right(self._search, value)
        except TypeError:
            return self._update_odd(value)
        self.counts[i] += 1
        if (i == 0 or i == self._overflow) and math.isinf(value):
            # An infinity counts as a value at the nearest edge, so sums stay finite and JSON-safe.
            value = self._lo if i == 0 else self._top
        self.sums[i] += value
        self.sumsq += value * value
        return self

    def _update_odd(self, value: object) -> Self:
        """A value ``bisect`` cannot compare: parse a numeric string, count anything else as invalid."""
        if isinstance(value, str | bytes):
            try:
                return self.update(float(value))
            except ValueError:
                pass
        self.invalid += 1
        return self

    def update_batch(self, values: npt.ArrayLike) -> Self:
        """Count many values at once (numpy); NaN are nulls, ``±inf`` go to under/overflow.

        ``values`` must convert to a float array; ``ValueError`` otherwise (use :meth:`update` for
        untrusted mixed input, which counts odd values as ``invalid``).
        """
        try:
            data = np.asarray(values, dtype=np.float64).ravel()
        except (TypeError, ValueError) as err:
            raise ValueError(f"numeric sketch batch needs numbers (NaN for null): {err}") from None
        null = np.isnan(data)
        n_null = int(null.sum())
        if n_null:
            data = data[~null]
        if data.size:
            idx = self.bins.indices(data)
            infinite = np.isinf(data)
            if infinite.any():
                data = np.where(infinite, np.clip(data, self._lo, self._top), data)
            n = self.bins.n_bins
            _add_into(self.counts, np.bincount(idx, minlength=n).tolist())
            _add_into(self.sums, np.bincount(idx, weights=data, minlength=n).tolist())
            self.sumsq += float(np.dot(data, data))
        self.nulls += n_null
        return self

    # -- algebra ------------------------------------------------------------------------------

    def _check_compatible(self, other: NumericSketch) -> None:
        if not isinstance(other, NumericSketch):
            raise TypeError(f"cannot merge NumericSketch with {type(other).__name__}")
        if other.bins.edges != self.bins.edges:
            raise ValueError(
                "cannot merge numeric sketches with different bin edges "
                f"({len(self.bins.edges)} edges {self.bins.edges[:3]}... vs "
                f"{len(other.bins.edges)} edges {other.bins.edges[:3]}...): were they fitted on different references?"
            )

    def merge(self, other: NumericSketch) -> Self:
        """Add ``other`` into this sketch (exact); ``ValueError`` if the edges differ."""
        self._check_compatible(other)
        _add_into(self.counts, other.counts)
        _add_into(self.sums, other.sums)
        self.sumsq += other.sumsq
        self.nulls += other.nulls
        self.invalid += other.invalid
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NumericSketch):
            return NotImplemented
        return (
            self.bins == other.bins
            and self.counts == other.counts
            and self.sums == other.sums
            and self.sumsq == other.sumsq
            and self.nulls == other.nulls
            and self.invalid == other.invalid
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"NumericSketch(n_bins={self.bins.n_bins}, total={self.total}, nulls={self.nulls})"

    def copy(self) -> Self:
        """An independent copy."""
        twin = self.empty_like()
        twin.counts[:] = self.counts
        twin.sums[:] = self.sums
        twin.sumsq = self.sumsq
        twin.nulls = self.nulls
        twin.invalid = self.invalid
        return twin

    def empty_like(self) -> Self:
        """A zeroed sketch over the same bins."""
        return type(self)(self.bins)

    # -- summaries ----------------------------------------------------------------------------

    @property
    def total(self) -> int:
        """Non-null values counted."""
        return sum(self.counts)

    @property
    def count(self) -> int:
        """All values counted, nulls included."""
        return sum(self.counts) + self.nulls

    @property
    def mean(self) -> float:
        """Mean of the non-null values (NaN when empty)."""
        n = self.total
        return sum(self.sums) / n if n else math.nan

    @property
    def std(self) -> float:
        """Population standard deviation of the non-null values (NaN when empty).

        Computed as ``sqrt(sumsq/n - mean^2)``; loses precision when ``|mean| >> std`` (about
        ``1e-8 * |mean|`` absolute), which does not matter for normalising a distance.
        """
        n = self.total
        if not n:
            return math.nan
        mean = sum(self.sums) / n
        return math.sqrt(max(self.sumsq / n - mean * mean, 0.0))

    def quantile(self, q: float) -> float:
        """Approximate ``q``-quantile of the non-null values (NaN when empty).

        Linear interpolation inside the inner bin holding the quantile, so the error is at most that
        bin's width. In underflow or overflow the bin's mean is returned (the only value known there).

        Examples
        --------
        >>> s = NumericSketch(NumericBins((0.0, 1.0, 2.0))).update_batch([0.25, 0.75, 1.5, 1.5])
        >>> s.quantile(0.5), s.quantile(0.75)
        (1.0, 1.5)
        """
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile needs 0 <= q <= 1, got {q!r}")
        n = self.total
        if not n:
            return math.nan
        target = q * n
        below = 0
        for i, c in enumerate(self.counts):
            if c and below + c >= target:
                if i == 0 or i == self._overflow:
                    return self.sums[i] / c
                lo, hi = self.bins.edges[i - 1], self.bins.edges[i]
                return lo + (hi - lo) * max(target - below, 0.0) / c
            below += c
        return self.sums[self._overflow] / self.counts[self._overflow] if self.counts[self._overflow] else self._top

    # -- wire format --------------------------------------------------------------------------

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-safe dict: ``type``, ``version``, ``edges``, ``counts``, ``sums``, ``sumsq``, ``nulls``, ``invalid``."""
        return {
            "type": _NUMERIC,
            "version": SNAPSHOT_VERSION,
            "edges": list(self.bins.edges),
            "counts": list(self.counts),
            "sums": [json_float(s) for s in self.sums],
            "sumsq": json_float(self.sumsq),
            "nulls": self.nulls,
            "invalid": self.invalid,
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_snapshot`; ``ValueError`` naming the bad field."""
        check_snapshot(data, _NUMERIC)
        try:
            bins = NumericBins(tuple(float_list(data, _NUMERIC, "edges")))
        except (TypeError, ValueError) as err:
            raise ValueError(f"{_NUMERIC} snapshot has bad edges: {err}") from None
        sketch = cls(bins)
        sketch.counts = int_list(data, _NUMERIC, "counts", bins.n_bins)
        sketch.sums = float_list(data, _NUMERIC, "sums", bins.n_bins)
        sketch.sumsq = float_value(snapshot_field(data, _NUMERIC, "sumsq"), _NUMERIC, "sumsq")
        sketch.nulls = count_value(data, _NUMERIC, "nulls")
        sketch.invalid = count_value(data, _NUMERIC, "invalid") if "invalid" in data else 0
        return sketch

    # -- reference profiles -------------------------------------------------------------------

    def to_profile(self, name: str, mean: float | None = None, std: float | None = None) -> NumericProfile:
        """The reference profile of this sketch (mean/std default to the sketch's own)."""
        mean = self.mean if mean is None else mean
        std = self.std if std is None else std
        return NumericProfile(
            name=name,
            edges=list(self.bins.edges),
            counts=list(self.counts),
            sums=list(self.sums),
            nulls=self.nulls,
            mean=0.0 if math.isnan(mean) else mean,
            std=0.0 if math.isnan(std) else std,
        )

    @classmethod
    def from_profile(cls, profile: NumericProfile) -> Self:
        """A sketch holding the profile's counts; ``sumsq`` is rebuilt from its mean and std."""
        sketch = cls(NumericBins(tuple(profile.edges)))
        sketch.counts = list(profile.counts)
        sketch.sums = [float(s) for s in profile.sums]
        sketch.nulls = profile.nulls
        n = sum(profile.counts)
        sketch.sumsq = n * (profile.std**2 + profile.mean**2)
        return sketch

    @classmethod
    def from_values(cls, bins: NumericBins, values: npt.ArrayLike) -> Self:
        """A sketch of ``values`` (NaN as null) over ``bins``."""
        return cls(bins).update_batch(values)


class CategoricalSketch(MergeOperators):
    """Counts per category (the last bin is "other", unseen values included) and nulls.

    Examples
    --------
    >>> s = CategoricalSketch(CategoryBins(("a", "b")))
    >>> _ = s.update("a").update("z").update(None).update("a")
    >>> s.counts, s.nulls
    ([2, 0, 1], 1)
    """

    __slots__ = ("_lookup", "_other", "bins", "counts", "nulls")

    def __init__(self, bins: CategoryBins) -> None:
        self.bins = bins
        self.counts: list[int] = [0] * bins.n_bins
        self.nulls = 0
        self._lookup = bins.lookup
        self._other = bins.other

    def update(self, value: str | None) -> Self:
        """Count one value; ``None`` (or float NaN) is a null, anything unknown is "other"."""
        try:
            i = self._lookup.get(value)  # type: ignore[arg-type]
        except TypeError:  # unhashable (a list or dict where a category was expected)
            i = self._other
        if i is None:
            if value is None or value != value:
                self.nulls += 1
                return self
            i = self.bins.index(value)
        self.counts[i] += 1
        return self

    def update_batch(self, values: Iterable[object]) -> Self:
        """Count many values (an iterable or object array); counts each distinct value once."""
        if isinstance(values, np.ndarray):
            values = values.ravel().tolist()
        try:
            tally = Counter(values)
        except TypeError:  # unhashable items: fall back to one at a time
            for v in values:
                self.update(v)  # type: ignore[arg-type]
            return self
        for value, n in tally.items():
            i = self._lookup.get(value)
            if i is None:
                if value is None or value != value:
                    self.nulls += n
                    continue
                i = self.bins.index(value)
            self.counts[i] += n
        return self

    def merge(self, other: CategoricalSketch) -> Self:
        """Add ``other`` into this sketch; ``ValueError`` if the category lists differ."""
        if not isinstance(other, CategoricalSketch):
            raise TypeError(f"cannot merge CategoricalSketch with {type(other).__name__}")
        if other.bins.categories != self.bins.categories:
            raise ValueError(
                "cannot merge categorical sketches with different categories "
                f"({self.bins.categories[:5]}... vs {other.bins.categories[:5]}...)"
            )
        _add_into(self.counts, other.counts)
        self.nulls += other.nulls
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CategoricalSketch):
            return NotImplemented
        return self.bins == other.bins and self.counts == other.counts and self.nulls == other.nulls

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CategoricalSketch(n_bins={self.bins.n_bins}, total={self.total}, nulls={self.nulls})"

    def copy(self) -> Self:
        """An independent copy."""
        twin = self.empty_like()
        twin.counts[:] = self.counts
        twin.nulls = self.nulls
        return twin

    def empty_like(self) -> Self:
        """A zeroed sketch over the same categories."""
        return type(self)(self.bins)

    @property
    def total(self) -> int:
        """Non-null values counted."""
        return sum(self.counts)

    @property
    def count(self) -> int:
        """All values counted, nulls included."""
        return sum(self.counts) + self.nulls

    @property
    def other(self) -> int:
        """Values outside the category list (unseen in the reference, or beyond its top K)."""
        return self.counts[self._other]

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-safe dict: ``type``, ``version``, ``categories``, ``counts``, ``nulls``."""
        return {
            "type": _CATEGORICAL,
            "version": SNAPSHOT_VERSION,
            "categories": list(self.bins.categories),
            "counts": list(self.counts),
            "nulls": self.nulls,
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_snapshot`; ``ValueError`` naming the bad field."""
        check_snapshot(data, _CATEGORICAL)
        categories = snapshot_field(data, _CATEGORICAL, "categories")
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise ValueError(f"{_CATEGORICAL} snapshot field 'categories' must be a list of strings")
        try:
            bins = CategoryBins(tuple(categories))
        except ValueError as err:
            raise ValueError(f"{_CATEGORICAL} snapshot has bad categories: {err}") from None
        sketch = cls(bins)
        sketch.counts = int_list(data, _CATEGORICAL, "counts", bins.n_bins)
        sketch.nulls = count_value(data, _CATEGORICAL, "nulls")
        return sketch

    def to_profile(self, name: str) -> CategoricalProfile:
        """The reference profile of this sketch."""
        return CategoricalProfile(
            name=name, categories=list(self.bins.categories), counts=list(self.counts), nulls=self.nulls
        )

    @classmethod
    def from_profile(cls, profile: CategoricalProfile) -> Self:
        """A sketch holding the profile's counts."""
        sketch = cls(CategoryBins(tuple(profile.categories)))
        sketch.counts = list(profile.counts)
        sketch.nulls = profile.nulls
        return sketch

    @classmethod
    def from_values(cls, bins: CategoryBins, values: Iterable[object]) -> Self:
        """A sketch of ``values`` (``None``/NaN as null) over ``bins``."""
        return cls(bins).update_batch(values)
