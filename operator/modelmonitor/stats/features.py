"""All of a model's feature sketches as one mergeable object: what a window bucket holds.

A sidecar records one row per request. :class:`FeatureSketches` maps feature names to their
numeric or categorical sketch, built from the reference profile so every pod uses the same bins,
and updates them all from a row (a dict by name, or a list in feature order). It satisfies
:class:`~modelmonitor.stats.base.Mergeable`, so it can be the unit of a
:class:`~modelmonitor.stats.windows.WindowRing` and of a fleet merge.

A feature missing from a row dict counts as a null; names not in the profile are ignored (and
counted in ``unknown_features``), so odd payloads never raise.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from typing import Any, Self

from modelmonitor.api.profile import CategoricalProfile, NumericProfile, ReferenceProfile
from modelmonitor.stats.base import SNAPSHOT_VERSION, MergeOperators, check_snapshot, count_value, snapshot_field
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch

FeatureSketch = NumericSketch | CategoricalSketch
_MISSING: Any = object()  # a feature absent from a row dict (as opposed to an explicit null)
# (position, name, sketch, bin search list, counts, sums, overflow index)
_NumericPlan = tuple[int, str, NumericSketch, list[float], list[int], list[float], int]
# (position, name, sketch, counts, category -> bin)
_CategoricalPlan = tuple[int, str, CategoricalSketch, list[int], dict[str, int]]

_KIND = "feature-sketches"


class FeatureSketches(MergeOperators):
    """Per-feature sketches in a fixed feature order.

    Examples
    --------
    >>> from modelmonitor.stats.binning import CategoryBins, NumericBins
    >>> fs = FeatureSketches({"age": NumericSketch(NumericBins((0.0, 50.0, 100.0))),
    ...                       "city": CategoricalSketch(CategoryBins(("Paris",)))})
    >>> _ = fs.update_row({"age": 31, "city": "Lyon"}).update_row({"age": None, "zzz": 1})
    >>> fs["age"].counts, fs["age"].nulls, fs["city"].counts, fs["city"].nulls, fs.unknown_features
    ([0, 1, 0, 0], 1, [0, 1], 1, 1)
    """

    __slots__ = ("_categorical", "_numeric", "names", "rows", "sketches", "unknown_features")

    def __init__(self, sketches: Mapping[str, FeatureSketch]) -> None:
        self.sketches: dict[str, FeatureSketch] = dict(sketches)
        self.names = tuple(self.sketches)
        self.rows = 0
        self.unknown_features = 0
        self._bind()

    def _bind(self) -> None:
        # The per-row loops are the proxy's hot path: they inline the sketches' update for the common
        # case with everything it touches bound once here (sketches mutate these lists in place).
        numeric: list[_NumericPlan] = []
        categorical: list[_CategoricalPlan] = []
        for j, (name, sketch) in enumerate(self.sketches.items()):
            if isinstance(sketch, NumericSketch):
                numeric.append(
                    (j, name, sketch, sketch.bins.search_edges, sketch.counts, sketch.sums, len(sketch.counts) - 1)
                )
            else:
                categorical.append((j, name, sketch, sketch.counts, sketch.bins.lookup))
        self._numeric = numeric
        self._categorical = categorical

    @classmethod
    def from_profile(cls, profile: ReferenceProfile, *, include_prediction: bool = False) -> Self:
        """Empty sketches over the reference profile's bins (and its prediction's, if asked)."""
        columns: list[NumericProfile | CategoricalProfile] = list(profile.features)
        if include_prediction and profile.prediction is not None:
            columns.append(profile.prediction)
        sketches: dict[str, FeatureSketch] = {}
        for column in columns:
            if isinstance(column, NumericProfile):
                sketches[column.name] = NumericSketch.from_profile(column).empty_like()
            else:
                sketches[column.name] = CategoricalSketch.from_profile(column).empty_like()
        return cls(sketches)

    def __getitem__(self, name: str) -> FeatureSketch:
        return self.sketches[name]

    def __len__(self) -> int:
        return len(self.sketches)

    def update_row(self, row: Mapping[str, Any]) -> Self:
        """Count one row given by feature name; missing features are nulls.

        Same result as each sketch's ``update``, inlined for the common case (a finite float or int
        inside the reference range, a known category string); anything else takes the sketch's
        full path. Names not in the profile are counted in ``unknown_features``.
        """
        get = row.get
        missing = 0
        for _, name, sketch, search, counts, sums, overflow in self._numeric:
            value: Any = get(name, _MISSING)
            cls = value.__class__
            if cls is float or cls is int:
                i = bisect_right(search, value)
                if 0 < i < overflow:  # NaN lands in overflow, infinities in the tails: full path
                    counts[i] += 1
                    sums[i] += value
                    sketch.sumsq += value * value
                    continue
            if value is _MISSING:
                missing += 1
                value = None
            sketch.update(value)
        for _, name, category_sketch, counts, lookup in self._categorical:
            value = get(name, _MISSING)
            k = lookup.get(value) if value.__class__ is str else None
            if k is None:
                if value is _MISSING:
                    missing += 1
                    value = None
                category_sketch.update(value)
            else:
                counts[k] += 1
        # Every key of the row is a known feature except those beyond the known features present.
        self.unknown_features += len(row) - (len(self.names) - missing)
        self.rows += 1
        return self

    def update_values(self, values: Sequence[Any]) -> Self:
        """Count one row given positionally, in feature order; a short row's missing tail is null.

        The same inlined path as :meth:`update_row`.
        """
        n = len(self.names)
        if len(values) != n:
            self.unknown_features += max(len(values) - n, 0)
            values = [values[i] if i < len(values) else None for i in range(n)]
        for j, _, sketch, search, counts, sums, overflow in self._numeric:
            value = values[j]
            cls = value.__class__
            if cls is float or cls is int:
                i = bisect_right(search, value)
                if 0 < i < overflow:
                    counts[i] += 1
                    sums[i] += value
                    sketch.sumsq += value * value
                    continue
            sketch.update(value)
        for j, _, category_sketch, counts, lookup in self._categorical:
            value = values[j]
            k = lookup.get(value) if value.__class__ is str else None
            if k is None:
                category_sketch.update(value)
            else:
                counts[k] += 1
        self.rows += 1
        return self

    def merge(self, other: FeatureSketches) -> Self:
        """Add ``other`` feature by feature; ``ValueError`` if the feature lists differ."""
        if not isinstance(other, FeatureSketches):
            raise TypeError(f"cannot merge FeatureSketches with {type(other).__name__}")
        if other.names != self.names:
            raise ValueError(f"cannot merge feature sketches over {self.names} and {other.names}")
        for name, sketch in self.sketches.items():
            sketch.merge(other.sketches[name])  # type: ignore[arg-type]
        self.rows += other.rows
        self.unknown_features += other.unknown_features
        return self

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FeatureSketches):
            return NotImplemented
        return (
            self.sketches == other.sketches
            and self.rows == other.rows
            and self.unknown_features == other.unknown_features
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"FeatureSketches(features={len(self.names)}, rows={self.rows})"

    def copy(self) -> Self:
        """An independent copy."""
        twin = type(self)({name: sketch.copy() for name, sketch in self.sketches.items()})
        twin.rows = self.rows
        twin.unknown_features = self.unknown_features
        return twin

    def empty_like(self) -> Self:
        """Zeroed sketches over the same bins."""
        return type(self)({name: sketch.empty_like() for name, sketch in self.sketches.items()})

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-safe dict: ``features`` maps names to sketch snapshots, in feature order."""
        return {
            "type": _KIND,
            "version": SNAPSHOT_VERSION,
            "rows": self.rows,
            "unknownFeatures": self.unknown_features,
            "features": {name: sketch.to_snapshot() for name, sketch in self.sketches.items()},
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_snapshot`; each feature's type comes from its snapshot."""
        check_snapshot(data, _KIND)
        features = snapshot_field(data, _KIND, "features")
        if not isinstance(features, Mapping):
            raise ValueError(f"{_KIND} snapshot field 'features' must be an object")
        sketches: dict[str, FeatureSketch] = {}
        for name, sub in features.items():
            kind = sub.get("type") if isinstance(sub, Mapping) else None
            if kind == "numeric-sketch":
                sketches[name] = NumericSketch.from_snapshot(sub)
            elif kind == "categorical-sketch":
                sketches[name] = CategoricalSketch.from_snapshot(sub)
            else:
                raise ValueError(f"{_KIND} snapshot: feature {name!r} has unknown sketch type {kind!r}")
        result = cls(sketches)
        result.rows = count_value(data, _KIND, "rows")
        result.unknown_features = count_value(data, _KIND, "unknownFeatures")
        return result
