"""Jensen-Shannon distance of two binned distributions (natural log, as scipy's default).

``jensen_shannon`` equals ``scipy.spatial.distance.jensenshannon`` applied to the two count
vectors (error 0 up to rounding; tested), i.e. the exact JS distance of the raw samples binned with
the same edges. Range [0, sqrt(ln 2)].

No-drift behaviour: the JS divergence (the square of the distance) is about ``PSI / 8`` for small
differences, so ``8 * n_eff * JSD`` is approximately chi-square with ``B - 1`` degrees of freedom.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from modelmonitor.stats.chi2 import chi2_isf
from modelmonitor.stats.histograms import paired_probabilities


def _relative_entropy(p: npt.NDArray[np.float64], m: npt.NDArray[np.float64]) -> float:
    """``sum p ln(p / m)`` over the bins where ``p > 0`` (``0 ln 0 = 0``; ``m >= p / 2 > 0`` there)."""
    mask = p > 0
    return float(np.sum(p[mask] * np.log(p[mask] / m[mask])))


def jensen_shannon(reference: npt.ArrayLike, current: npt.ArrayLike) -> float:
    r"""Jensen-Shannon distance ``sqrt((KL(p||m) + KL(q||m)) / 2)`` with ``m = (p + q) / 2``.

    Empty bins need no smoothing (``0 * ln 0 = 0``).

    Examples
    --------
    >>> round(jensen_shannon([50, 50], [60, 40]), 6)
    0.071129
    >>> jensen_shannon([1, 0], [0, 1]) == math.sqrt(math.log(2))
    True
    """
    p, q = paired_probabilities(reference, current)
    m = (p + q) / 2.0
    divergence = (_relative_entropy(p, m) + _relative_entropy(q, m)) / 2.0
    return math.sqrt(max(float(divergence), 0.0))


def chi_distance_null(n_bins: int, n_effective: float, *, quantile: float | None = None) -> float:
    """No-drift mean (or ``quantile``) of a distance ``d`` with ``8 * n_eff * d**2 ~ chi2(B - 1)``.

    Shared by Jensen-Shannon and Hellinger, whose squares are both ``≈ sum (p - q)^2 / (8 m)``.
    The mean of ``sqrt(chi2(k))`` is ``sqrt(2) Γ((k+1)/2) / Γ(k/2)``.

    Examples
    --------
    >>> round(chi_distance_null(10, 1000.0), 4), round(chi_distance_null(10, 1000.0, quantile=0.999), 4)
    (0.0326, 0.059)
    """
    dof = max(n_bins - 1, 1)
    if n_effective <= 0:
        return float("inf")
    scale = 1.0 / math.sqrt(8.0 * n_effective)
    if quantile is None:
        return math.sqrt(2.0) * math.exp(math.lgamma((dof + 1) / 2) - math.lgamma(dof / 2)) * scale
    return math.sqrt(chi2_isf(dof, 1.0 - quantile)) * scale
