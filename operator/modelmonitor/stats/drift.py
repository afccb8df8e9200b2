"""The drift verdict: one feature's reference sketch against its current sketch.

:func:`judge` picks the statistic, its threshold for this window's sample sizes, and says "ok",
"drifted" or "insufficient-samples". The policy (docs/drift.md has the reasoning and numbers):

- ``auto`` uses PSI for numeric and categorical features alike: it is rank-based on quantile bins,
  exact on the bins, and its no-drift distribution is known at every sample size.
- Distances (PSI, Jensen-Shannon, Hellinger, Wasserstein): drifted when ``score > threshold`` with
  ``threshold = max(floor, q99.99 of the no-drift distribution at (n_ref, n_cur))``. The null
  quantile guards small windows, where binned distances are biased upwards; the floor guards large
  windows, where any tiny difference is statistically real but not worth an alert. The floors
  correspond to a mean shift of about 0.1 standard deviations of a normal feature.
- p-value tests (KS, chi-square): ``score`` is the p-value and drifted means ``p < threshold``
  (alpha, default 1e-4). They over-alarm on large windows, so ``auto`` never picks them.
- Fewer than ``min_samples`` non-null values on either side: "insufficient-samples", never drifted.

``expected`` is the score's no-drift expectation at these sample sizes (for PSI
``(B - 1)(1/n_ref + 1/n_cur)``), reported so a reader can tell signal from small-sample bias.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from modelmonitor.stats.chi2 import chi2_isf
from modelmonitor.stats.chi_square import chi_square
from modelmonitor.stats.hellinger import hellinger
from modelmonitor.stats.histograms import effective_size, pool_sparse_bins
from modelmonitor.stats.jensen_shannon import chi_distance_null, jensen_shannon
from modelmonitor.stats.ks import ks, ks_p_value
from modelmonitor.stats.psi import psi, psi_null_expectation
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch
from modelmonitor.stats.wasserstein import wasserstein, wasserstein_null

Verdict = Literal["ok", "drifted", "insufficient-samples"]

METHODS = ("psi", "jensen-shannon", "hellinger", "wasserstein", "ks", "chi-square")
P_VALUE_METHODS = frozenset({"ks", "chi-square"})
NUMERIC_ONLY = frozenset({"wasserstein", "ks"})

# Effect-size floors: about what a 0.1-standard-deviation mean shift of a normal feature scores.
FLOORS = {"psi": 0.01, "jensen-shannon": 0.035, "hellinger": 0.035, "wasserstein": 0.1}
# Design false-alarm rate per feature-window: 1e-4. A monitor judges ~25 features per evaluation, so
# 1e-3 would put a false alarm in ~2.5 % of evaluations; 1e-4 keeps it near 0.25 %.
NULL_QUANTILE = 0.9999  # of the no-drift distribution, for the small-sample part of distance thresholds
DEFAULT_ALPHA = 1e-4  # p-value methods
DEFAULT_MIN_SAMPLES = 500
# Bin-count statistics pool the bins where this window expects fewer than MIN_EXPECTED values
# (Pearson's rule); without it, 0.1 % tail bins and never-seen overflow make small windows over-alarm.
POOLED_METHODS = frozenset({"psi", "jensen-shannon", "hellinger", "chi-square"})
MIN_EXPECTED = 5.0


@dataclass(frozen=True)
class DriftResult:
    """The verdict on one feature.

    ``score`` and ``threshold`` are in the method's units (a p-value and alpha for "ks" and
    "chi-square", where drifted means ``score < threshold``; a distance otherwise, where drifted
    means ``score > threshold``). ``expected`` is the no-drift expectation at this sample size,
    ``samples`` the current window's non-null values, ``bound`` the score's error bound against the
    exact statistic on the raw samples (0 when the statistic is exact on the bins; for Wasserstein
    the exact value is in ``[score, score + bound]``, for KS the exact p-value in ``[score - bound, score]``).
    """

    feature: str
    method: str
    score: float
    threshold: float
    expected: float
    samples: int
    drifted: bool
    verdict: Verdict
    bound: float = 0.0
    reference_samples: int = 0

    def to_dict(self) -> dict[str, object]:
        """JSON-safe dict (camelCase keys); non-finite numbers (an empty window's NaN score) become ``None``.

        Examples
        --------
        >>> empty = DriftResult("x", "psi", math.nan, math.inf, math.nan, 0, False, "insufficient-samples")
        >>> empty.to_dict()["score"] is None
        True
        """

        def finite(x: float) -> float | None:
            return x if math.isfinite(x) else None

        return {
            "feature": self.feature,
            "method": self.method,
            "score": finite(self.score),
            "threshold": finite(self.threshold),
            "expected": finite(self.expected),
            "samples": self.samples,
            "referenceSamples": self.reference_samples,
            "bound": finite(self.bound),
            "drifted": self.drifted,
            "verdict": self.verdict,
        }


def auto_method(reference: NumericSketch | CategoricalSketch) -> str:
    """The default method for a feature: PSI for both types (see the module docstring)."""
    return "psi"


def reference_counts(reference: NumericSketch | CategoricalSketch) -> list[float]:
    """The reference counts the bin-count statistics compare against.

    A numeric reference's underflow and overflow bins are empty by construction (the edges include
    its minimum and maximum), yet a new sample from the same distribution falls beyond the
    reference's extremes with probability ``1/(n_ref + 1)`` on each side. An empty out-of-range bin
    therefore gets one pseudo-count, its expected share, instead of the epsilon floor: without it a
    handful of values just past the reference minimum scored like a real shift (0.28 % false alarms
    on 2,500-row random halves instead of the design 0.1 %).
    """
    counts = [float(c) for c in reference.counts]
    if isinstance(reference, NumericSketch):
        for tail in (0, len(counts) - 1):
            if counts[tail] == 0:
                counts[tail] = 1.0
    return counts


def _occupied(reference: NumericSketch | CategoricalSketch, n_current: int) -> int:
    """Bins with reference data once the bins sparse for a window of ``n_current`` values are pooled."""
    counts = np.asarray(reference_counts(reference), dtype=np.float64)
    sparse = counts / counts.sum() * n_current < MIN_EXPECTED
    return int(np.count_nonzero(~sparse)) + int(counts[sparse].sum() > 0)


def default_threshold(method: str, reference: NumericSketch | CategoricalSketch, n_current: int) -> float:
    """The threshold ``judge`` uses when none is given, for these sample sizes.

    Examples
    --------
    >>> from modelmonitor.stats.binning import CategoryBins
    >>> ref = CategoricalSketch(CategoryBins(("a", "b", "c"))).update_batch(["a", "b", "c"] * 1000)
    >>> round(default_threshold("psi", ref, 100_000), 4), round(default_threshold("psi", ref, 500), 4)
    (0.01, 0.043)
    """
    if method in P_VALUE_METHODS:
        return DEFAULT_ALPHA
    n_ref = reference.total
    if n_ref <= 0 or n_current <= 0:
        return math.inf
    if method == "psi":
        dof = max(_occupied(reference, n_current) - 1, 1)
        null = (1.0 / n_ref + 1.0 / n_current) * chi2_isf(dof, 1.0 - NULL_QUANTILE)
    elif method in ("jensen-shannon", "hellinger"):
        null = chi_distance_null(
            _occupied(reference, n_current), effective_size(n_ref, n_current), quantile=NULL_QUANTILE
        )
    elif method == "wasserstein":
        assert isinstance(reference, NumericSketch)
        null = wasserstein_null(reference, n_current, quantile=True)
    else:
        raise ValueError(f"unknown drift method {method!r}; expected one of {', '.join(METHODS)} or 'auto'")
    return max(FLOORS[method], null)


def expected_score(method: str, reference: NumericSketch | CategoricalSketch, n_current: int) -> float:
    """The no-drift expectation of the method's score at these sample sizes."""
    if method in P_VALUE_METHODS:
        return 0.5  # p-values are uniform under no drift
    n_ref = reference.total
    if n_ref <= 0 or n_current <= 0:
        return math.nan
    if method == "psi":
        return psi_null_expectation(_occupied(reference, n_current), n_ref, n_current)
    if method in ("jensen-shannon", "hellinger"):
        return chi_distance_null(_occupied(reference, n_current), effective_size(n_ref, n_current))
    assert isinstance(reference, NumericSketch)
    return wasserstein_null(reference, n_current)


def _score(
    method: str, reference: NumericSketch | CategoricalSketch, current: NumericSketch | CategoricalSketch
) -> tuple[float, float]:
    """The method's score and its error bound against the exact statistic on raw samples."""
    if method in POOLED_METHODS:
        ref, cur = pool_sparse_bins(reference_counts(reference), current.counts, min_expected=MIN_EXPECTED)
        if method == "psi":
            return psi(ref, cur), 0.0
        if method == "jensen-shannon":
            return jensen_shannon(ref, cur), 0.0
        if method == "hellinger":
            return hellinger(ref, cur), 0.0
        return chi_square(ref, cur).p_value, 0.0
    assert isinstance(reference, NumericSketch)
    assert isinstance(current, NumericSketch)
    if method == "wasserstein":
        w = wasserstein(reference, current)
        return w.distance, w.bound
    result = ks(reference, current)
    # The score is the p-value of the lower D; the exact D's p-value lies down to that of the upper D.
    return result.p_value, result.p_value - ks_p_value(result.upper, result.n_effective)


def judge(
    feature: str,
    reference: NumericSketch | CategoricalSketch,
    current: NumericSketch | CategoricalSketch,
    *,
    method: str = "auto",
    threshold: float | None = None,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> DriftResult:
    """Compare one feature's current sketch with its reference and give a verdict.

    Parameters
    ----------
    feature
        The feature's name (carried into the result).
    reference, current
        Both :class:`NumericSketch` or both :class:`CategoricalSketch`, over the same bins.
    method
        "auto" or one of :data:`METHODS` (the values of ``api.spec.DriftMethod``).
    threshold
        Overrides the default threshold (alpha for p-value methods).
    min_samples
        Fewer non-null values than this on either side gives "insufficient-samples".

    Examples
    --------
    >>> from modelmonitor.stats.binning import CategoryBins
    >>> bins = CategoryBins(("a", "b"))
    >>> ref = CategoricalSketch(bins).update_batch(["a"] * 600 + ["b"] * 400)
    >>> cur = CategoricalSketch(bins).update_batch(["a"] * 300 + ["b"] * 700)
    >>> r = judge("colour", ref, cur)
    >>> (r.method, round(r.score, 3), r.verdict)
    ('psi', 0.376, 'drifted')
    >>> judge("colour", ref, cur, min_samples=5000).verdict
    'insufficient-samples'
    """
    numeric = isinstance(reference, NumericSketch)
    if numeric != isinstance(current, NumericSketch) or not isinstance(reference, NumericSketch | CategoricalSketch):
        raise TypeError(
            f"feature {feature!r}: reference and current must both be NumericSketch or both CategoricalSketch, "
            f"got {type(reference).__name__} and {type(current).__name__}"
        )
    if reference.bins != current.bins:
        raise ValueError(f"feature {feature!r}: reference and current sketches have different bins")
    chosen = auto_method(reference) if method == "auto" else str(method)
    if chosen not in METHODS:
        raise ValueError(
            f"feature {feature!r}: unknown drift method {method!r}; expected one of {', '.join(METHODS)} or 'auto'"
        )
    if chosen in NUMERIC_ONLY and not numeric:
        raise ValueError(f"feature {feature!r}: {chosen} needs a numeric feature")
    if threshold is not None and not (threshold >= 0 and math.isfinite(threshold)):
        raise ValueError(f"feature {feature!r}: threshold must be a finite number >= 0, got {threshold!r}")
    n_ref, n_cur = reference.total, current.total
    limit = default_threshold(chosen, reference, n_cur) if threshold is None else float(threshold)
    expected = expected_score(chosen, reference, n_cur)
    score, bound = _score(chosen, reference, current) if n_ref and n_cur else (math.nan, 0.0)
    if n_ref < min_samples or n_cur < min_samples or not n_ref or not n_cur:
        verdict: Verdict = "insufficient-samples"
    elif score < limit if chosen in P_VALUE_METHODS else score > limit:
        verdict = "drifted"
    else:
        verdict = "ok"
    return DriftResult(
        feature=feature,
        method=chosen,
        score=score,
        threshold=limit,
        expected=expected,
        samples=n_cur,
        drifted=verdict == "drifted",
        verdict=verdict,
        bound=bound,
        reference_samples=n_ref,
    )
