"""Population stability index (PSI) of two binned distributions.

PSI is the symmetrised Kullback-Leibler divergence ``KL(q||p) + KL(p||q)`` of the current (q)
and reference (p) bin probabilities. It is computed on the binned distributions, so it equals the
PSI of the raw samples binned with the same edges exactly (error 0 up to rounding, tested against
``scipy.special.rel_entr``); it is not an estimate of any continuous quantity.

Under no drift, ``n_eff * PSI`` is approximately chi-square with ``B - 1`` degrees of freedom, where
``B`` counts the bins with reference data and ``1/n_eff = 1/n_ref + 1/n_cur``: binned PSI has an
upward bias of about ``(B - 1) * (1/n_ref + 1/n_cur)`` (:func:`psi_null_expectation`).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from modelmonitor.stats.histograms import paired_probabilities

DEFAULT_EPSILON = 1e-4


def psi(reference: npt.ArrayLike, current: npt.ArrayLike, *, epsilon: float = DEFAULT_EPSILON) -> float:
    r"""Population stability index of two histograms over the same bins.

    .. math:: \mathrm{PSI} = \sum_i (q_i - p_i) \ln(q_i / p_i)

    with ``p_i = max(ref_i / n_ref, epsilon)`` and ``q_i = max(cur_i / n_cur, epsilon)``: empty bins
    (a value range or category one side never saw) contribute a large but finite term.

    Parameters
    ----------
    reference, current
        Counts per bin (same length, non-negative, each with some data).
    epsilon
        Floor of a bin's probability. The largest term a single empty bin can add is
        ``q * ln(q / epsilon)``.

    Returns
    -------
    float
        PSI >= 0; 0 for identical distributions.

    Examples
    --------
    >>> round(psi([50, 50], [60, 40]), 6)
    0.040547
    >>> psi([1, 2, 3], [10, 20, 30])
    0.0
    """
    if not epsilon > 0:
        raise ValueError(f"epsilon must be positive, got {epsilon!r}")
    p, q = paired_probabilities(reference, current)
    p = np.maximum(p, epsilon)
    q = np.maximum(q, epsilon)
    return float(max(np.sum((q - p) * np.log(q / p)), 0.0))


def occupied_bins(reference: npt.ArrayLike) -> int:
    """Bins with reference data: the ``B`` of the no-drift distribution (empty bins stay ~empty)."""
    return int(np.count_nonzero(np.asarray(reference, dtype=np.float64)))


def psi_null_expectation(n_bins: int, n_reference: float, n_current: float) -> float:
    """Expected PSI with no drift: ``(B - 1) * (1/n_ref + 1/n_cur)``.

    Examples
    --------
    >>> round(psi_null_expectation(10, 100_000, 100), 4)
    0.0901
    """
    if n_reference <= 0 or n_current <= 0:
        return float("inf")
    return max(n_bins - 1, 0) * (1.0 / n_reference + 1.0 / n_current)
