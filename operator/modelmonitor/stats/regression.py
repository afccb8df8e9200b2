"""Regression quality from error sums: MAE, RMSE, mean error (bias), R².

Computed from :class:`~modelmonitor.stats.outcome_sketches.RegressionErrors`, exact and mergeable.
Errors are ``predicted - actual``. Empty input gives ``None``.
"""

from __future__ import annotations

import math

from modelmonitor.stats.outcome_sketches import RegressionErrors


def mae(errors: RegressionErrors) -> float | None:
    """Mean absolute error.

    Examples
    --------
    >>> mae(RegressionErrors().update_batch([3.0, 1.0], [1.0, 2.0]))
    1.5
    """
    return errors.sum_abs_error / errors.count if errors.count else None


def rmse(errors: RegressionErrors) -> float | None:
    """Root mean squared error.

    Examples
    --------
    >>> rmse(RegressionErrors().update_batch([3.0, 1.0], [1.0, 2.0])) == math.sqrt(2.5)
    True
    """
    return math.sqrt(max(errors.sum_squared_error / errors.count, 0.0)) if errors.count else None


def mean_error(errors: RegressionErrors) -> float | None:
    """Mean of ``predicted - actual`` (positive: the model over-predicts)."""
    return errors.sum_error / errors.count if errors.count else None


def r_squared(errors: RegressionErrors) -> float | None:
    """``1 - SSE / SST`` (``None`` when empty or when the actual values are constant)."""
    n = errors.count
    if not n:
        return None
    total = errors.sum_actual_squared - errors.sum_actual**2 / n
    return 1.0 - errors.sum_squared_error / total if total > 1e-12 * max(errors.sum_actual_squared, 1.0) else None
