"""Pairs of binned distributions: the checked input every drift distance starts from.

A drift distance compares a reference histogram with a current one over the same bins. This
module turns two count vectors (lists, arrays, or the ``counts`` of two sketches) into checked
float arrays and probabilities, with one clear error for mismatched or empty input.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def paired_counts(reference: npt.ArrayLike, current: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Two count vectors as float arrays; ``ValueError`` if shapes differ, counts are negative or a side is empty."""
    ref = np.asarray(reference, dtype=np.float64).ravel()
    cur = np.asarray(current, dtype=np.float64).ravel()
    if ref.shape != cur.shape:
        raise ValueError(f"reference and current need the same bins, got {ref.size} and {cur.size} counts")
    if ref.size == 0:
        raise ValueError("cannot compare empty histograms (no bins)")
    if not (np.isfinite(ref).all() and np.isfinite(cur).all()) or (ref < 0).any() or (cur < 0).any():
        raise ValueError("bin counts must be finite and non-negative")
    if ref.sum() <= 0 or cur.sum() <= 0:
        raise ValueError(f"both histograms need data (reference has {ref.sum():g}, current {cur.sum():g} counts)")
    return ref, cur


def paired_probabilities(reference: npt.ArrayLike, current: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Two count vectors normalised to probabilities (each sums to 1)."""
    ref, cur = paired_counts(reference, current)
    return ref / ref.sum(), cur / cur.sum()


def effective_size(n_reference: float, n_current: float) -> float:
    """``n_ref * n_cur / (n_ref + n_cur)``: the sample size of a two-sample comparison.

    The sampling noise of a difference of two histograms scales with ``1/n_ref + 1/n_cur``, the
    inverse of this number.
    """
    if n_reference <= 0 or n_current <= 0:
        return 0.0
    return n_reference * n_current / (n_reference + n_current)


def pool_sparse_bins(
    reference: npt.ArrayLike, current: npt.ArrayLike, *, min_expected: float = 5.0
) -> tuple[FloatArray, FloatArray]:
    """Fold the bins where the current window expects fewer than ``min_expected`` values into one bin.

    The expectation is ``n_cur * p_ref``: a bin the reference says should hold ~0.5 values in this
    window (a 0.1 % tail bin at n = 500, or an overflow bin the reference never saw) makes
    chi-square-type statistics heavy-tailed, whatever the drift. Sparse bins are summed into one
    last bin (kept only if it holds data); the other bins keep their order. The usual
    "expected count >= 5" rule of Pearson's test.

    Examples
    --------
    >>> ref, cur = pool_sparse_bins([0, 1000, 1000, 2, 0], [0, 10, 12, 1, 3])
    >>> ref.tolist(), cur.tolist()
    ([1000.0, 1000.0, 2.0], [10.0, 12.0, 4.0])
    """
    ref, cur = paired_counts(reference, current)
    sparse = ref / ref.sum() * cur.sum() < min_expected
    if not sparse.any():
        return ref, cur
    pooled_ref, pooled_cur = ref[sparse].sum(), cur[sparse].sum()
    ref, cur = ref[~sparse], cur[~sparse]
    if pooled_ref > 0 or pooled_cur > 0:
        ref, cur = np.append(ref, pooled_ref), np.append(cur, pooled_cur)
    return ref, cur
