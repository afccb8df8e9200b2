"""Building a :class:`~modelmonitor.api.profile.ReferenceProfile` from a table of reference data.

The profile is made with the very sketches the sidecar keeps (:mod:`modelmonitor.stats.sketches`):
bin edges from the reference quantiles, top-K categories plus "other", null counts. Building it
through the sketches rather than with a separate histogram guarantees that the reference counts
and the live counts are binned by one piece of code.
"""

from __future__ import annotations

import numpy as np

from modelmonitor.api.profile import CategoricalProfile, NumericProfile, ReferenceProfile
from modelmonitor.profiling.tables import CategoricalColumn, Column, NumericColumn, Table, TableError
from modelmonitor.stats.binning import fit_category_bins, fit_numeric_bins
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
    present = column.values[~np.isnan(column.values)]
    if present.size == 0:
        raise TableError(f"column {column.name!r} is empty: every value is null")
    sketch = NumericSketch(fit_numeric_bins(present, n_bins=n_bins))
    sketch.update_batch(column.values)
    return sketch.to_profile(column.name, mean=float(present.mean()), std=float(present.std()))


def _categorical(column: CategoricalColumn, top_k: int) -> CategoricalProfile:
    present = column.values[np.not_equal(column.values, None)]
    if present.size == 0:
        raise TableError(f"column {column.name!r} is empty: every value is null")
    sketch = CategoricalSketch(fit_category_bins(present, top_k=top_k))
    sketch.update_batch(column.values)
    return sketch.to_profile(column.name)
