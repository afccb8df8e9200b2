"""Building a :class:`~modelmonitor.api.profile.ReferenceProfile` from a table of reference data.

The profile is made with the very bins and sketches the sidecar keeps (:mod:`modelmonitor.stats`):
bin edges from the reference quantiles (``fit_numeric_bins``), top-K categories plus "other",
null counts, and the sketches built from those counts (``*Sketch.from_profile``).

A batch holds whole columns, so counting can be cheaper than the sidecar's row-at-a-time path
while giving the same counts (the tests check both against ``update_batch``):

- numeric: the column is sorted once; the bin counts are then ``searchsorted`` of the bin
  boundaries into it (the sketch's rule: ``bisect_right`` on the edges with the last one closed)
  and the per-bin sums a ``reduceat`` over contiguous runs. That is one sort per column instead
  of a binary search per row, about 5x faster on 100,000 rows;
- categorical: columns arrive dictionary-encoded, so each distinct label is binned once by
  ``CategoryBins.index`` and its rows are added with a ``bincount``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from modelmonitor.api.profile import CategoricalProfile, NumericProfile, ReferenceProfile
from modelmonitor.profiling.tables import CategoricalColumn, Column, NumericColumn, Table, TableError
from modelmonitor.stats.binning import CategoryBins, NumericBins, fit_numeric_bins
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch

DEFAULT_BINS = 10
DEFAULT_TOP_K = 20


def build_profile(table: Table, *, n_bins: int = DEFAULT_BINS, top_k: int = DEFAULT_TOP_K) -> ReferenceProfile:
    """The reference profile of every column of ``table``.

    Parameters
    ----------
    table
        Reference data, typed (see :func:`modelmonitor.profiling.tables.read_table`).
    n_bins
        Inner bins per numeric feature, at reference quantiles (two overflow bins are added).
    top_k
        Categories kept per categorical feature; the rest are counted together as "other".
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    if top_k < 1:
        raise ValueError(f"top_k must be at least 1, got {top_k}")
    features = [profile_column(column, n_bins=n_bins, top_k=top_k) for column in table.columns]
    return ReferenceProfile(source=table.source, rows=table.rows, features=features)


def profile_column(
    column: Column, *, n_bins: int = DEFAULT_BINS, top_k: int = DEFAULT_TOP_K
) -> NumericProfile | CategoricalProfile:
    """The profile of one column."""
    if isinstance(column, NumericColumn):
        return _numeric(column, n_bins)
    return _categorical(column, top_k)


def _numeric(column: NumericColumn, n_bins: int) -> NumericProfile:
    ordered = _sorted_present(column)
    if ordered.size == 0:
        raise TableError(f"column {column.name!r} is empty: every value is null")
    return numeric_profile(column, fit_numeric_bins(ordered, n_bins=n_bins), ordered=ordered)


def _categorical(column: CategoricalColumn, top_k: int) -> CategoricalProfile:
    if column.nulls == len(column.codes):
        raise TableError(f"column {column.name!r} is empty: every value is null")
    return categorical_sketch(column, category_bins(column, top_k)).to_profile(column.name)


def numeric_profile(
    column: NumericColumn, bins: NumericBins, *, ordered: npt.NDArray[np.float64] | None = None
) -> NumericProfile:
    """Counts, sums, nulls, mean and std of a numeric column over ``bins``.

    ``ordered`` may pass the column's non-null values already sorted, to save the sort.
    """
    xs = _sorted_present(column) if ordered is None else ordered
    # A value x falls in bin bisect_right(search_edges, x) (the sketch's rule): below the first edge
    # is underflow, above the last (closed) one overflow. On sorted values each bin is a contiguous run.
    search = np.asarray(bins.search_edges, dtype=np.float64)
    bounds = np.concatenate(([0], np.searchsorted(xs, search, side="left"), [xs.size]))
    counts = np.diff(bounds)
    sums = np.zeros(counts.size)
    filled = counts > 0
    if filled.any():
        # Runs of empty bins have zero length, so summing from each filled bin's start to the next one's is exact.
        sums[filled] = np.add.reduceat(xs, bounds[:-1][filled])
    return NumericProfile(
        name=column.name,
        edges=list(bins.edges),
        counts=counts.tolist(),
        sums=sums.tolist(),
        nulls=int(column.values.size - xs.size),
        mean=float(xs.mean()) if xs.size else 0.0,
        std=float(xs.std()) if xs.size else 0.0,
    )


def numeric_sketch(column: NumericColumn, bins: NumericBins) -> NumericSketch:
    """The sketch of a numeric column over ``bins`` (NaN rows are nulls)."""
    return NumericSketch.from_profile(numeric_profile(column, bins))


def _sorted_present(column: NumericColumn) -> npt.NDArray[np.float64]:
    values = column.values
    return np.sort(values[~np.isnan(values)])


def category_bins(column: CategoricalColumn, top_k: int = DEFAULT_TOP_K) -> CategoryBins:
    """The ``top_k`` most frequent labels, most frequent first, ties broken by label.

    The rule of :func:`modelmonitor.stats.binning.fit_category_bins`, applied to counts the column
    already has instead of to one value per row (the tests check that both agree).
    """
    counts = column.label_counts().tolist()
    ranked = sorted((i for i, n in enumerate(counts) if n > 0), key=lambda i: (-counts[i], column.labels[i]))
    return CategoryBins(tuple(column.labels[i] for i in ranked[:top_k]))


def categorical_sketch(column: CategoricalColumn, bins: CategoryBins) -> CategoricalSketch:
    """The sketch of a categorical column over ``bins``: labels outside them count as "other"."""
    label_bins = np.array([bins.index(label) for label in column.labels], dtype=np.int64)
    counts = np.bincount(label_bins, weights=column.label_counts(), minlength=bins.n_bins)
    profile = CategoricalProfile(
        name=column.name,
        categories=list(bins.categories),
        counts=[round(n) for n in counts.tolist()],
        nulls=column.nulls,
    )
    return CategoricalSketch.from_profile(profile)
