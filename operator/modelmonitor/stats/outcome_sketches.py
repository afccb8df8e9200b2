"""Mergeable sketches of outcomes, once labels arrive: confusion counts, calibration bins, regression errors.

Each keeps only sums and counts, so quality metrics computed from merged sketches equal the metrics
on the pooled rows (accuracy of a fleet is not the mean of per-pod accuracies). Invalid inputs
(NaN, probabilities outside [0, 1], unknown classes) are counted, never raised, because they arrive
from live traffic.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Self

import numpy as np
import numpy.typing as npt

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

OTHER_GROUP = "__other__"

_CONFUSION = "confusion-counts"
_GROUPED = "grouped-confusion"
_CALIBRATION = "calibration-bins"
_REGRESSION = "regression-errors"


def _string_tuple(data: Mapping[str, Any], kind: str, name: str) -> tuple[str, ...]:
    raw = snapshot_field(data, kind, name)
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        raise ValueError(f"{kind} snapshot field {name!r} must be a list of strings")
    return tuple(raw)


class ConfusionCounts(MergeOperators):
    """``counts[actual][predicted]`` over a fixed tuple of class labels.

    Labels are compared as strings (``1`` and ``"1"`` are the same class). A pair naming a class
    outside ``classes`` is counted in ``unknown`` and nowhere else.

    Examples
    --------
    >>> c = ConfusionCounts(("0", "1"))
    >>> _ = c.update("1", "1").update("1", "0").update(0, 0).update("2", "1")
    >>> c.counts, c.unknown, c.total
    ([[1, 0], [1, 1]], 1, 3)
    """

    __slots__ = ("_index", "classes", "counts", "unknown")

    def __init__(self, classes: Iterable[object]) -> None:
        labels = tuple(str(c) for c in classes)
        if len(labels) < 2:
            raise ValueError(f"ConfusionCounts needs at least two classes, got {labels!r}")
        if len(set(labels)) != len(labels):
            raise ValueError(f"ConfusionCounts classes must be distinct, got {labels!r}")
        self.classes = labels
        self._index = {c: i for i, c in enumerate(labels)}
        k = len(labels)
        self.counts: list[list[int]] = [[0] * k for _ in range(k)]
        self.unknown = 0

    def _class(self, label: object) -> int | None:
        i = self._index.get(label) if isinstance(label, str) else None
        if i is None and not isinstance(label, str):
            if isinstance(label, float) and label.is_integer():
                label = int(label)  # 1.0 from JSON is class "1"
            i = self._index.get(str(label))
        return i

    def update(self, actual: object, predicted: object) -> Self:
        """Count one (actual, predicted) pair."""
        a = self._class(actual)
        p = self._class(predicted)
        if a is None or p is None:
            self.unknown += 1
        else:
            self.counts[a][p] += 1
        return self

    def update_batch(self, actual: Iterable[object], predicted: Iterable[object]) -> Self:
        """Count pairs from two equally long iterables."""
        actual, predicted = list(actual), list(predicted)
        if len(actual) != len(predicted):
            raise ValueError(f"actual and predicted differ in length ({len(actual)} vs {len(predicted)})")
        for a, p in zip(actual, predicted, strict=True):
            self.update(a, p)
        return self

    @property
    def total(self) -> int:
        """Pairs counted in the matrix (``unknown`` excluded)."""
        return sum(map(sum, self.counts))

    def matrix(self) -> npt.NDArray[np.int64]:
        """The counts as a ``(k, k)`` array, rows = actual, columns = predicted."""
        return np.asarray(self.counts, dtype=np.int64).reshape(len(self.classes), len(self.classes))

    def merge(self, other: ConfusionCounts) -> Self:
        """Add ``other``; ``ValueError`` if its classes differ."""
        if not isinstance(other, ConfusionCounts):
            raise TypeError(f"cannot merge ConfusionCounts with {type(other).__name__}")
        if other.classes != self.classes:
            raise ValueError(f"cannot merge confusion counts over classes {self.classes} and {other.classes}")
        self.counts = [
            [a + b for a, b in zip(ra, rb, strict=True)] for ra, rb in zip(self.counts, other.counts, strict=True)
        ]
        self.unknown += other.unknown
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConfusionCounts):
            return NotImplemented
        return self.classes == other.classes and self.counts == other.counts and self.unknown == other.unknown

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ConfusionCounts(classes={self.classes}, total={self.total})"

    def copy(self) -> Self:
        """An independent copy."""
        twin = self.empty_like()
        twin.counts = [list(row) for row in self.counts]
        twin.unknown = self.unknown
        return twin

    def empty_like(self) -> Self:
        """Zeroed counts over the same classes."""
        return type(self)(self.classes)

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-safe dict: ``type``, ``version``, ``classes``, ``counts`` (rows = actual), ``unknown``."""
        return {
            "type": _CONFUSION,
            "version": SNAPSHOT_VERSION,
            "classes": list(self.classes),
            "counts": [list(row) for row in self.counts],
            "unknown": self.unknown,
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_snapshot`."""
        check_snapshot(data, _CONFUSION)
        try:
            sketch = cls(_string_tuple(data, _CONFUSION, "classes"))
        except ValueError as err:
            raise ValueError(f"{_CONFUSION} snapshot: {err}") from None
        rows = snapshot_field(data, _CONFUSION, "counts")
        k = len(sketch.classes)
        if not isinstance(rows, list) or len(rows) != k:
            raise ValueError(f"{_CONFUSION} snapshot field 'counts' must be a {k}x{k} list")
        sketch.counts = [int_list({"row": row}, _CONFUSION, "row", k) for row in rows]
        sketch.unknown = count_value(data, _CONFUSION, "unknown")
        return sketch


class GroupedConfusion(MergeOperators):
    """Confusion counts per group (e.g. per value of a protected attribute), with bounded groups.

    With ``groups`` given, those are the groups and anything else counts in :data:`OTHER_GROUP`.
    Without, groups are learned, keeping the ``max_groups`` lexicographically smallest names seen
    and folding the rest into :data:`OTHER_GROUP`. That rule (rather than first-come) makes the
    result independent of arrival order and of how rows were split across pods, so merge stays
    associative and commutative and equals counting the pooled rows.

    Examples
    --------
    >>> g = GroupedConfusion(("0", "1"), groups=("f", "m"))
    >>> _ = g.update("f", "1", "1").update("x", "0", "1")
    >>> sorted(g.by_group), g.by_group["__other__"].counts
    (['__other__', 'f', 'm'], [[0, 1], [0, 0]])
    """

    __slots__ = ("by_group", "classes", "fixed", "max_groups")

    def __init__(self, classes: Iterable[object], groups: Iterable[str] | None = None, max_groups: int = 32) -> None:
        self.classes = tuple(str(c) for c in classes)
        if max_groups < 1:
            raise ValueError(f"max_groups must be at least 1, got {max_groups}")
        self.fixed = None if groups is None else tuple(str(g) for g in groups)
        self.max_groups = max_groups if self.fixed is None else len(self.fixed)
        self.by_group: dict[str, ConfusionCounts] = {OTHER_GROUP: ConfusionCounts(self.classes)}
        for g in self.fixed or ():
            self.by_group[g] = ConfusionCounts(self.classes)

    def _slot(self, group: object) -> ConfusionCounts:
        name = group if isinstance(group, str) else str(group)
        counts = self.by_group.get(name)
        if counts is not None:
            return counts
        if self.fixed is not None or name == OTHER_GROUP:
            return self.by_group[OTHER_GROUP]
        learned = [g for g in self.by_group if g != OTHER_GROUP]
        if len(learned) < self.max_groups:
            counts = self.by_group[name] = ConfusionCounts(self.classes)
            return counts
        largest = max(learned)
        if name > largest:
            return self.by_group[OTHER_GROUP]
        # Evict the largest name into "other" so the kept set is always the smallest names seen.
        self.by_group[OTHER_GROUP].merge(self.by_group.pop(largest))
        counts = self.by_group[name] = ConfusionCounts(self.classes)
        return counts

    def update(self, group: object, actual: object, predicted: object) -> Self:
        """Count one (actual, predicted) pair in ``group``."""
        self._slot(group).update(actual, predicted)
        return self

    def update_batch(self, groups: Iterable[object], actual: Iterable[object], predicted: Iterable[object]) -> Self:
        """Count pairs from three equally long iterables."""
        g, a, p = list(groups), list(actual), list(predicted)
        if not len(g) == len(a) == len(p):
            raise ValueError(f"groups, actual and predicted differ in length ({len(g)}, {len(a)}, {len(p)})")
        for gi, ai, pi in zip(g, a, p, strict=True):
            self._slot(gi).update(ai, pi)
        return self

    def merge(self, other: GroupedConfusion) -> Self:
        """Add ``other`` group by group; ``ValueError`` if classes or group policy differ."""
        if not isinstance(other, GroupedConfusion):
            raise TypeError(f"cannot merge GroupedConfusion with {type(other).__name__}")
        if other.classes != self.classes or other.fixed != self.fixed or other.max_groups != self.max_groups:
            raise ValueError(
                "cannot merge grouped confusion counts with different classes or groups "
                f"({self.classes}, {self.fixed or self.max_groups} vs "
                f"{other.classes}, {other.fixed or other.max_groups})"
            )
        for name in sorted(other.by_group):
            counts = other.by_group[name]
            target = self.by_group[OTHER_GROUP] if name == OTHER_GROUP else self._slot(name)
            target.merge(counts)
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GroupedConfusion):
            return NotImplemented
        return (
            self.classes == other.classes
            and self.fixed == other.fixed
            and self.max_groups == other.max_groups
            and self.by_group == other.by_group
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"GroupedConfusion(classes={self.classes}, groups={sorted(self.by_group)})"

    def copy(self) -> Self:
        """An independent copy."""
        twin = self.empty_like()
        twin.by_group = {g: c.copy() for g, c in self.by_group.items()}
        return twin

    def empty_like(self) -> Self:
        """Zeroed counts with the same classes and group policy."""
        return type(self)(self.classes, self.fixed, self.max_groups)

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-safe dict: ``type``, ``version``, ``classes``, ``groups`` (or null), ``maxGroups``, ``byGroup``."""
        return {
            "type": _GROUPED,
            "version": SNAPSHOT_VERSION,
            "classes": list(self.classes),
            "groups": None if self.fixed is None else list(self.fixed),
            "maxGroups": self.max_groups,
            "byGroup": {g: c.to_snapshot() for g, c in sorted(self.by_group.items())},
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_snapshot`."""
        check_snapshot(data, _GROUPED)
        classes = _string_tuple(data, _GROUPED, "classes")
        groups = None if data.get("groups") is None else _string_tuple(data, _GROUPED, "groups")
        sketch = cls(classes, groups, count_value(data, _GROUPED, "maxGroups") or 1)
        by_group = snapshot_field(data, _GROUPED, "byGroup")
        if not isinstance(by_group, Mapping):
            raise ValueError(f"{_GROUPED} snapshot field 'byGroup' must be an object")
        for name, sub in by_group.items():
            counts = ConfusionCounts.from_snapshot(sub)
            target = sketch.by_group[OTHER_GROUP] if name == OTHER_GROUP else sketch._slot(name)
            target.merge(counts)
        return sketch


class CalibrationBins(MergeOperators):
    """Reliability bins of predicted probabilities against binary outcomes.

    ``n_bins`` equal-width bins over [0, 1]; each keeps ``count``, ``sum_p``, ``sum_y`` and, for an
    exact Brier score, ``sum_p2`` (sum of p²) and ``sum_py`` (sum of p·y). Probabilities outside
    [0, 1] or NaN, and outcomes other than 0/1, are counted in ``invalid``.

    Examples
    --------
    >>> c = CalibrationBins(2)
    >>> _ = c.update(0.2, 0).update(0.9, 1).update(1.5, 1)
    >>> c.count, c.sum_p, c.sum_y, c.invalid
    ([1, 1], [0.2, 0.9], [0, 1], 1)
    """

    __slots__ = ("count", "invalid", "n_bins", "sum_p", "sum_p2", "sum_py", "sum_y")

    def __init__(self, n_bins: int = 10) -> None:
        if n_bins < 1:
            raise ValueError(f"CalibrationBins needs at least one bin, got {n_bins}")
        self.n_bins = n_bins
        self.count: list[int] = [0] * n_bins
        self.sum_y: list[int] = [0] * n_bins
        self.sum_p: list[float] = [0.0] * n_bins
        self.sum_p2: list[float] = [0.0] * n_bins
        self.sum_py: list[float] = [0.0] * n_bins
        self.invalid = 0

    def update(self, probability: float, outcome: int | bool) -> Self:
        """Count one prediction ``probability`` of the positive class and its ``outcome`` (1 = positive)."""
        p = probability
        if not (isinstance(p, int | float) and 0.0 <= p <= 1.0) or outcome not in (0, 1):
            self.invalid += 1
            return self
        y = int(outcome)
        i = min(int(p * self.n_bins), self.n_bins - 1)
        self.count[i] += 1
        self.sum_y[i] += y
        self.sum_p[i] += p
        self.sum_p2[i] += p * p
        if y:
            self.sum_py[i] += p
        return self

    def update_batch(self, probabilities: npt.ArrayLike, outcomes: npt.ArrayLike) -> Self:
        """Count many predictions at once (numpy)."""
        p = np.asarray(probabilities, dtype=np.float64).ravel()
        y = np.asarray(outcomes, dtype=np.float64).ravel()
        if p.shape != y.shape:
            raise ValueError(f"probabilities and outcomes differ in length ({p.size} vs {y.size})")
        valid = (p >= 0.0) & (p <= 1.0) & ((y == 0.0) | (y == 1.0))
        self.invalid += int(p.size - valid.sum())
        p, y = p[valid], y[valid]
        idx = np.minimum((p * self.n_bins).astype(np.int64), self.n_bins - 1)
        n = self.n_bins

        def add(current: list[Any], weights: npt.NDArray[np.float64] | None, as_int: bool = False) -> list[Any]:
            binned = np.bincount(idx, weights=weights, minlength=n)
            values = binned.astype(np.int64).tolist() if as_int else binned.tolist()
            return [a + b for a, b in zip(current, values, strict=True)]

        self.count = add(self.count, None, as_int=True)
        self.sum_y = add(self.sum_y, y, as_int=True)
        self.sum_p = add(self.sum_p, p)
        self.sum_p2 = add(self.sum_p2, p * p)
        self.sum_py = add(self.sum_py, p * y)
        return self

    @property
    def total(self) -> int:
        """Valid predictions counted."""
        return sum(self.count)

    def merge(self, other: CalibrationBins) -> Self:
        """Add ``other``; ``ValueError`` if the number of bins differs."""
        if not isinstance(other, CalibrationBins):
            raise TypeError(f"cannot merge CalibrationBins with {type(other).__name__}")
        if other.n_bins != self.n_bins:
            raise ValueError(f"cannot merge calibration bins with {self.n_bins} and {other.n_bins} bins")
        for name in ("count", "sum_y", "sum_p", "sum_p2", "sum_py"):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(self, name, [a + b for a, b in zip(mine, theirs, strict=True)])
        self.invalid += other.invalid
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CalibrationBins):
            return NotImplemented
        return all(getattr(self, s) == getattr(other, s) for s in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"CalibrationBins(n_bins={self.n_bins}, total={self.total})"

    def copy(self) -> Self:
        """An independent copy."""
        twin = self.empty_like()
        return twin.merge(self)

    def empty_like(self) -> Self:
        """Zeroed bins of the same size."""
        return type(self)(self.n_bins)

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-safe dict of the per-bin sums."""
        return {
            "type": _CALIBRATION,
            "version": SNAPSHOT_VERSION,
            "nBins": self.n_bins,
            "count": list(self.count),
            "sumY": list(self.sum_y),
            "sumP": list(self.sum_p),
            "sumP2": list(self.sum_p2),
            "sumPY": list(self.sum_py),
            "invalid": self.invalid,
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_snapshot`."""
        check_snapshot(data, _CALIBRATION)
        n = count_value(data, _CALIBRATION, "nBins")
        if n < 1:
            raise ValueError(f"{_CALIBRATION} snapshot field 'nBins' must be at least 1")
        sketch = cls(n)
        sketch.count = int_list(data, _CALIBRATION, "count", n)
        sketch.sum_y = int_list(data, _CALIBRATION, "sumY", n)
        sketch.sum_p = float_list(data, _CALIBRATION, "sumP", n)
        sketch.sum_p2 = float_list(data, _CALIBRATION, "sumP2", n)
        sketch.sum_py = float_list(data, _CALIBRATION, "sumPY", n)
        sketch.invalid = count_value(data, _CALIBRATION, "invalid")
        return sketch


class RegressionErrors(MergeOperators):
    """Sums of regression errors ``e = predicted - actual``: count, Σe, Σ|e|, Σe², Σy, Σy².

    Pairs with a NaN or infinite value are counted in ``invalid``.

    Examples
    --------
    >>> r = RegressionErrors().update(3.0, 1.0).update(1.0, 2.0)
    >>> r.count, r.sum_error, r.sum_abs_error, r.sum_squared_error
    (2, 1.0, 3.0, 5.0)
    """

    __slots__ = (
        "count",
        "invalid",
        "sum_abs_error",
        "sum_actual",
        "sum_actual_squared",
        "sum_error",
        "sum_squared_error",
    )

    def __init__(self) -> None:
        self.count = 0
        self.sum_error = 0.0
        self.sum_abs_error = 0.0
        self.sum_squared_error = 0.0
        self.sum_actual = 0.0
        self.sum_actual_squared = 0.0
        self.invalid = 0

    def update(self, predicted: float, actual: float) -> Self:
        """Count one prediction and its actual value."""
        try:
            e = predicted - actual
            ok = math.isfinite(e) and math.isfinite(actual)
        except TypeError:
            ok = False
        if not ok:
            self.invalid += 1
            return self
        self.count += 1
        self.sum_error += e
        self.sum_abs_error += abs(e)
        self.sum_squared_error += e * e
        self.sum_actual += actual
        self.sum_actual_squared += actual * actual
        return self

    def update_batch(self, predicted: npt.ArrayLike, actual: npt.ArrayLike) -> Self:
        """Count many pairs at once (numpy)."""
        p = np.asarray(predicted, dtype=np.float64).ravel()
        y = np.asarray(actual, dtype=np.float64).ravel()
        if p.shape != y.shape:
            raise ValueError(f"predicted and actual differ in length ({p.size} vs {y.size})")
        e = p - y
        valid = np.isfinite(e) & np.isfinite(y)
        self.invalid += int(e.size - valid.sum())
        e, y = e[valid], y[valid]
        self.count += int(e.size)
        self.sum_error += float(e.sum())
        self.sum_abs_error += float(np.abs(e).sum())
        self.sum_squared_error += float(np.dot(e, e))
        self.sum_actual += float(y.sum())
        self.sum_actual_squared += float(np.dot(y, y))
        return self

    def merge(self, other: RegressionErrors) -> Self:
        """Add ``other``."""
        if not isinstance(other, RegressionErrors):
            raise TypeError(f"cannot merge RegressionErrors with {type(other).__name__}")
        for name in self.__slots__:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RegressionErrors):
            return NotImplemented
        return all(getattr(self, s) == getattr(other, s) for s in self.__slots__)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"RegressionErrors(count={self.count})"

    def copy(self) -> Self:
        """An independent copy."""
        return self.empty_like().merge(self)

    def empty_like(self) -> Self:
        """Zeroed sums."""
        return type(self)()

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-safe dict of the sums."""
        return {
            "type": _REGRESSION,
            "version": SNAPSHOT_VERSION,
            "count": self.count,
            "sumError": json_float(self.sum_error),
            "sumAbsError": json_float(self.sum_abs_error),
            "sumSquaredError": json_float(self.sum_squared_error),
            "sumActual": json_float(self.sum_actual),
            "sumActualSquared": json_float(self.sum_actual_squared),
            "invalid": self.invalid,
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_snapshot`."""
        check_snapshot(data, _REGRESSION)
        sketch = cls()
        sketch.count = count_value(data, _REGRESSION, "count")
        sketch.invalid = count_value(data, _REGRESSION, "invalid")
        for attr, key in (
            ("sum_error", "sumError"),
            ("sum_abs_error", "sumAbsError"),
            ("sum_squared_error", "sumSquaredError"),
            ("sum_actual", "sumActual"),
            ("sum_actual_squared", "sumActualSquared"),
        ):
            setattr(sketch, attr, float_value(snapshot_field(data, _REGRESSION, key), _REGRESSION, key))
        return sketch
