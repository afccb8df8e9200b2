"""Pearson's chi-square test of homogeneity between two histograms (categorical drift).

The two count vectors form a 2 x B contingency table; bins empty on both sides are dropped. The
result equals ``scipy.stats.chi2_contingency(table, correction=False)`` on that table exactly (tested),
which is the exact test on the raw categorical samples: binning categories loses nothing except
what was folded into "other".

Beware: with large windows any real but negligible difference gives p ≈ 0 (p-value tests over-alarm
at large n); the drift verdict therefore uses a small alpha and the distances by default.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from modelmonitor.stats.chi2 import chi2_sf
from modelmonitor.stats.histograms import paired_counts


@dataclass(frozen=True)
class ChiSquareResult:
    """Chi-square statistic, degrees of freedom and p-value."""

    statistic: float
    dof: int
    p_value: float


def chi_square(reference: npt.ArrayLike, current: npt.ArrayLike) -> ChiSquareResult:
    """Chi-square test that two histograms come from the same distribution.

    Examples
    --------
    >>> r = chi_square([50, 50], [60, 40])
    >>> (round(r.statistic, 4), r.dof, round(r.p_value, 4))
    (2.0202, 1, 0.1552)
    """
    ref, cur = paired_counts(reference, current)
    keep = (ref + cur) > 0
    table = np.vstack([ref[keep], cur[keep]])
    dof = int(table.shape[1] - 1)
    if dof < 1:
        return ChiSquareResult(statistic=0.0, dof=0, p_value=1.0)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    return ChiSquareResult(statistic=statistic, dof=dof, p_value=chi2_sf(dof, statistic))
