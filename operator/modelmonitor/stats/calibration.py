"""Calibration of predicted probabilities: Brier score and expected calibration error (ECE).

Both come from :class:`~modelmonitor.stats.outcome_sketches.CalibrationBins` sums, so they merge
across pods exactly. The Brier score is exact (no binning error): with ``y ∈ {0, 1}``,
``Σ(p - y)² = Σp² - 2Σpy + Σy``. ECE is the usual equal-width binned estimate,
``Σ_b (n_b / n) |mean p_b - mean y_b|``. Empty input gives ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass

from modelmonitor.stats.outcome_sketches import CalibrationBins


def brier_score(bins: CalibrationBins) -> float | None:
    """Mean squared error of the probabilities, ``(1/n) Σ (p - y)²`` (``None`` when empty).

    Examples
    --------
    >>> c = CalibrationBins().update_batch([0.9, 0.2, 0.6], [1, 0, 0])
    >>> round(brier_score(c), 6)
    0.136667
    """
    n = bins.total
    if not n:
        return None
    total = sum(bins.sum_p2) - 2.0 * sum(bins.sum_py) + sum(bins.sum_y)
    return max(total / n, 0.0)


def expected_calibration_error(bins: CalibrationBins) -> float | None:
    """``Σ_b (n_b / n) |mean p_b - mean y_b| = (1/n) Σ_b |Σp_b - Σy_b|`` (``None`` when empty).

    Examples
    --------
    >>> c = CalibrationBins(2).update_batch([0.9, 0.8, 0.2, 0.1], [1, 0, 0, 0])
    >>> round(expected_calibration_error(c), 6)
    0.25
    """
    n = bins.total
    if not n:
        return None
    return sum(abs(p - y) for p, y in zip(bins.sum_p, bins.sum_y, strict=True)) / n


@dataclass(frozen=True)
class ReliabilityBin:
    """One point of a reliability diagram."""

    lower: float
    upper: float
    count: int
    mean_probability: float | None
    positive_rate: float | None


def reliability(bins: CalibrationBins) -> list[ReliabilityBin]:
    """Per bin: its range, count, mean predicted probability and observed positive rate."""
    width = 1.0 / bins.n_bins
    return [
        ReliabilityBin(
            lower=i * width,
            upper=(i + 1) * width,
            count=n,
            mean_probability=bins.sum_p[i] / n if n else None,
            positive_rate=bins.sum_y[i] / n if n else None,
        )
        for i, n in enumerate(bins.count)
    ]
