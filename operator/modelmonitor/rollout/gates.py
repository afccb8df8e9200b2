"""Canary gates: judge the canary against the stable version on the same live traffic.

Each gate answers pass, fail or *insufficient*: a gate without enough samples (requests, labels,
histogram counts) is never a failure, only a reason to hold the step. This is the answer to the
most common complaint about Flagger and Argo Rollouts, false rollbacks on low traffic. Every
result carries what on-call needs to trust it: the gate, the measured value, the threshold, the
sample count and the window.

The inputs are already-merged counts (the analysis loop sums the sidecars' sketches per cohort),
so this module is pure arithmetic. Rare-event comparisons (error rates) use Wilson score bounds so
that one unlucky error in a small canary is not read as "the canary is ten times worse".
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from statistics import NormalDist
from typing import Any

from modelmonitor.api.durations import format_duration
from modelmonitor.api.spec import Gates
from modelmonitor.stats.histograms import effective_size
from modelmonitor.stats.jensen_shannon import chi_distance_null, jensen_shannon

DEFAULT_MIN_LABELS = 100
"""Labelled predictions per cohort an accuracy gate needs (not yet a spec field)."""

WILSON_Z = 1.959963984540054
"""Two-sided 95% normal quantile used for the Wilson bounds of error rates."""

NOISE_Z = 3.090232306167813
"""One-sided 99.9% normal quantile: the no-shift level of distribution gates.

99.9% rather than 99% because the chi-square approximation is optimistic with sparse bins: with 20
bins and 200 predictions, two identical models exceed the 99% level 2% of the time, the 99.9%
level 0.3% of the time (seeded simulation in the tests)."""

LATENCY_FLOOR_SECONDS = 0.001
"""Stable p99 latencies below this are treated as this, the resolution of the latency histograms."""


class Verdict(StrEnum):
    """The outcome of one gate."""

    PASS = "pass"
    FAIL = "fail"
    INSUFFICIENT = "insufficient"


@dataclass(frozen=True)
class CohortObservation:
    """What one cohort (canary or stable pods) served during the analysis window.

    Parameters
    ----------
    requests, errors
        Responses served and how many were errors (5xx or proxy errors).
    latency_p99_seconds
        99th percentile latency, or None when the latency histogram is empty.
    burn_rate
        Worst SLO burn rate of the cohort over the window, or None when no SLO applies.
    prediction_histogram
        Counts of predictions per bin; canary and stable share the bin edges.
    feature_histograms
        Counts per bin for each feature, keyed by feature name.
    labelled, accuracy
        Predictions joined with a ground-truth label, and the accuracy over them.
    window_seconds
        Length of the window the counts cover.
    """

    requests: int
    errors: int = 0
    latency_p99_seconds: float | None = None
    burn_rate: float | None = None
    prediction_histogram: tuple[float, ...] = ()
    feature_histograms: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    labelled: int = 0
    accuracy: float | None = None
    window_seconds: float = 0.0

    def __post_init__(self) -> None:
        if self.requests < 0:
            raise ValueError(f"requests must be >= 0, got {self.requests}")
        if not 0 <= self.errors <= self.requests:
            raise ValueError(f"errors must be between 0 and requests ({self.requests}), got {self.errors}")
        if self.labelled < 0:
            raise ValueError(f"labelled must be >= 0, got {self.labelled}")
        if self.accuracy is not None and not 0.0 <= self.accuracy <= 1.0:
            raise ValueError(f"accuracy must be within [0, 1], got {self.accuracy}")
        if self.latency_p99_seconds is not None and not self.latency_p99_seconds >= 0:
            raise ValueError(f"latency_p99_seconds must be >= 0, got {self.latency_p99_seconds}")
        if self.burn_rate is not None and not self.burn_rate >= 0:
            raise ValueError(f"burn_rate must be >= 0, got {self.burn_rate}")
        if not self.window_seconds >= 0:
            raise ValueError(f"window_seconds must be >= 0, got {self.window_seconds}")
        if any(not c >= 0 for c in self.prediction_histogram):
            raise ValueError("prediction_histogram counts must be >= 0")
        for name, counts in self.feature_histograms.items():
            if any(not c >= 0 for c in counts):
                raise ValueError(f"feature_histograms[{name!r}] counts must be >= 0")

    @property
    def error_rate(self) -> float:
        """Errors over requests (0 when nothing was served)."""
        return self.errors / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class GateResult:
    """The verdict of one gate, with the evidence behind it."""

    gate: str
    verdict: Verdict
    value: float | None
    threshold: float | None
    samples: int
    window_seconds: float
    message: str

    def to_reason(self) -> dict[str, Any]:
        """The JSON shape stored in ``status.canary.reason`` and sent in alerts."""
        return {
            "gate": self.gate,
            "verdict": self.verdict.value,
            "value": _finite_or_none(self.value),
            "threshold": self.threshold,
            "samples": self.samples,
            "window": format_duration(self.window_seconds) if self.window_seconds > 0 else None,
            "message": self.message,
        }


def overall_verdict(results: Sequence[GateResult]) -> Verdict:
    """Combine gate verdicts: any failure fails, else any insufficient holds, else pass.

    A failing gate with enough evidence is a failure even while another gate still waits for
    samples (e.g. labels): waiting longer cannot make an observed 5% error rate acceptable.
    """
    verdicts = {r.verdict for r in results}
    if Verdict.FAIL in verdicts:
        return Verdict.FAIL
    if Verdict.INSUFFICIENT in verdicts:
        return Verdict.INSUFFICIENT
    return Verdict.PASS


def wilson_interval(successes: int, trials: int, z: float = WILSON_Z) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion.

    .. math:: \\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    Unlike the normal interval it stays inside [0, 1] and is informative at 0 successes, which is
    the usual case for a healthy stable version's errors.

    >>> lo, hi = wilson_interval(0, 1000)
    >>> lo, round(hi, 5)
    (0.0, 0.00383)
    """
    if trials <= 0:
        raise ValueError(f"trials must be positive, got {trials}")
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials ({trials}), got {successes}")
    p = successes / trials
    z2 = z * z
    centre = p + z2 / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials))
    denominator = 1 + z2 / trials
    # The bounds are exactly 0 and 1 at the edges; the formula gets there only up to rounding.
    low = 0.0 if successes == 0 else max(0.0, (centre - spread) / denominator)
    high = 1.0 if successes == trials else min(1.0, (centre + spread) / denominator)
    return low, high


def evaluate_gates(
    gates: Gates,
    canary: CohortObservation,
    stable: CohortObservation,
    *,
    min_samples: int,
    min_labels: int = DEFAULT_MIN_LABELS,
    max_feature_drift: float | None = None,
) -> list[GateResult]:
    """Judge the canary against the stable version; one result per enabled gate.

    The ``traffic`` gate is always present: a step is never judged on fewer than ``min_samples``
    canary requests, even when every other gate is disabled. ``max_feature_drift`` (the largest
    Jensen-Shannon distance between canary and stable feature histograms) is off unless given; it
    catches cohorts that do not see the same traffic (sticky sessions, a skewed load balancer),
    which would make every other comparison meaningless.
    """
    if min_samples < 1:
        raise ValueError(f"min_samples must be >= 1, got {min_samples}")
    if min_labels < 1:
        raise ValueError(f"min_labels must be >= 1, got {min_labels}")
    results = [_traffic_gate(canary, min_samples)]
    if gates.max_burn_rate is not None:
        results.append(burn_rate_gate(canary, gates.max_burn_rate, min_samples))
    if gates.max_error_ratio is not None:
        results.append(_error_ratio_gate(canary, stable, gates.max_error_ratio, min_samples))
    if gates.max_latency_p99_ratio is not None:
        results.append(_latency_gate(canary, stable, gates.max_latency_p99_ratio, min_samples))
    if gates.max_prediction_shift is not None:
        results.append(_prediction_shift_gate(canary, stable, gates.max_prediction_shift, min_samples))
    if max_feature_drift is not None:
        results.append(_feature_drift_gate(canary, stable, max_feature_drift, min_samples))
    if gates.max_accuracy_drop is not None:
        results.append(_accuracy_gate(canary, stable, gates.max_accuracy_drop, min_labels))
    return results


def evaluate_guard(gates: Gates, cohort: CohortObservation, *, min_samples: int) -> list[GateResult]:
    """Judge a promoted or newly rolled-out version on its own, with no baseline to compare to.

    Only the absolute gates apply: traffic and the SLO burn rate.
    """
    results = [_traffic_gate(cohort, min_samples)]
    if gates.max_burn_rate is not None:
        results.append(burn_rate_gate(cohort, gates.max_burn_rate, min_samples))
    return results


def burn_rate_gate(cohort: CohortObservation, threshold: float, min_samples: int) -> GateResult:
    """The cohort's worst SLO burn rate must not exceed ``threshold``."""
    window = _window_text(cohort.window_seconds)
    if cohort.burn_rate is None or cohort.requests < min_samples:
        return _insufficient(
            "burn-rate",
            threshold,
            cohort.requests,
            cohort.window_seconds,
            f"burn-rate: {cohort.requests}/{min_samples} requests{window}"
            + ("" if cohort.burn_rate is not None else ", no SLO measured"),
        )
    return _judge(
        "burn-rate",
        cohort.burn_rate,
        threshold,
        cohort.requests,
        cohort.window_seconds,
        f"over {cohort.requests} requests{window}",
    )


def _traffic_gate(canary: CohortObservation, min_samples: int) -> GateResult:
    window = _window_text(canary.window_seconds)
    if canary.requests < min_samples:
        return _insufficient(
            "traffic",
            float(min_samples),
            canary.requests,
            canary.window_seconds,
            f"traffic: {canary.requests}/{min_samples} requests{window}",
        )
    return GateResult(
        "traffic",
        Verdict.PASS,
        float(canary.requests),
        float(min_samples),
        canary.requests,
        canary.window_seconds,
        f"traffic: {canary.requests} requests >= {min_samples}{window}",
    )


def _error_ratio_gate(
    canary: CohortObservation, stable: CohortObservation, threshold: float, min_samples: int
) -> GateResult:
    """Conservative ratio: lower Wilson bound of the canary error rate over the stable upper bound.

    The stable upper bound is positive even with zero errors, so the ratio is always finite, and
    a single error in a small canary does not fail the gate; ten errors in 200 requests against
    a 0.1% stable rate do.
    """
    window = _window_text(canary.window_seconds)
    if canary.requests < min_samples or stable.requests < min_samples:
        return _insufficient(
            "error-ratio",
            threshold,
            canary.requests,
            canary.window_seconds,
            f"error-ratio: canary {canary.requests}/{min_samples}, stable {stable.requests}/{min_samples} "
            f"requests{window}",
        )
    canary_low, _ = wilson_interval(canary.errors, canary.requests)
    _, stable_high = wilson_interval(stable.errors, stable.requests)
    ratio = canary_low / stable_high
    return _judge(
        "error-ratio",
        ratio,
        threshold,
        canary.requests,
        canary.window_seconds,
        f"(canary {canary.error_rate:.2%} of {canary.requests} requests vs stable {stable.error_rate:.2%} "
        f"of {stable.requests}, 95% bounds){window}",
    )


def _latency_gate(
    canary: CohortObservation, stable: CohortObservation, threshold: float, min_samples: int
) -> GateResult:
    window = _window_text(canary.window_seconds)
    if (
        canary.latency_p99_seconds is None
        or stable.latency_p99_seconds is None
        or canary.requests < min_samples
        or stable.requests < min_samples
    ):
        return _insufficient(
            "latency-p99-ratio",
            threshold,
            canary.requests,
            canary.window_seconds,
            f"latency-p99-ratio: canary {canary.requests}/{min_samples}, stable {stable.requests}/{min_samples} "
            f"requests{window}",
        )
    ratio = max(canary.latency_p99_seconds, LATENCY_FLOOR_SECONDS) / max(
        stable.latency_p99_seconds, LATENCY_FLOOR_SECONDS
    )
    return _judge(
        "latency-p99-ratio",
        ratio,
        threshold,
        canary.requests,
        canary.window_seconds,
        f"(canary p99 {canary.latency_p99_seconds:.4g}s vs stable {stable.latency_p99_seconds:.4g}s, "
        f"{canary.requests} requests){window}",
    )


def shift_noise_level(
    canary_histogram: Sequence[float], stable_histogram: Sequence[float], *, z: float = NOISE_Z
) -> float:
    r"""The ``z`` quantile (99.9% by default) of the Jensen-Shannon distance between two samples of one distribution.

    For small shifts :math:`8\,n_{eff}\,JS^2` is approximately :math:`\chi^2_{B-1}` (Pearson's
    two-sample statistic), with :math:`n_{eff} = n_c n_s / (n_c + n_s)` and ``B`` the bins holding
    any count: :func:`modelmonitor.stats.jensen_shannon.chi_distance_null`, shared with drift.
    A distance below this level is what two identical models would show on this much traffic.

    >>> round(shift_noise_level([10] * 10, [100] * 10), 3)  # 100 canary vs 1000 stable predictions
    0.196
    """
    n_c, n_s = float(sum(canary_histogram)), float(sum(stable_histogram))
    if n_c <= 0 or n_s <= 0:
        return math.inf
    bins = sum(1 for c, s in zip(canary_histogram, stable_histogram, strict=True) if c > 0 or s > 0)
    return chi_distance_null(bins, effective_size(n_c, n_s), quantile=NormalDist().cdf(z))


def _shift_verdict(distance: float, threshold: float, noise: float) -> Verdict:
    """Fail only on a distance over the threshold that noise cannot explain; else wait for more data."""
    if distance <= threshold:
        return Verdict.PASS
    return Verdict.FAIL if distance > noise else Verdict.INSUFFICIENT


def _prediction_shift_gate(
    canary: CohortObservation, stable: CohortObservation, threshold: float, min_samples: int
) -> GateResult:
    window = _window_text(canary.window_seconds)
    canary_n = int(sum(canary.prediction_histogram))
    stable_n = int(sum(stable.prediction_histogram))
    if canary_n < min_samples or stable_n < min_samples:
        return _insufficient(
            "prediction-shift",
            threshold,
            canary_n,
            canary.window_seconds,
            f"prediction-shift: canary {canary_n}/{min_samples}, stable {stable_n}/{min_samples} predictions{window}",
        )
    if len(canary.prediction_histogram) != len(stable.prediction_histogram):
        raise ValueError(
            f"prediction histograms differ in bins: canary {len(canary.prediction_histogram)}, "
            f"stable {len(stable.prediction_histogram)}"
        )
    distance = jensen_shannon(canary.prediction_histogram, stable.prediction_histogram)
    noise = shift_noise_level(canary.prediction_histogram, stable.prediction_histogram)
    detail = f"(Jensen-Shannon distance, {canary_n} canary vs {stable_n} stable predictions){window}"
    return _judge_shift("prediction-shift", distance, threshold, noise, canary_n, canary.window_seconds, detail)


def _feature_drift_gate(
    canary: CohortObservation, stable: CohortObservation, threshold: float, min_samples: int
) -> GateResult:
    window = _window_text(canary.window_seconds)
    shared = sorted(set(canary.feature_histograms) & set(stable.feature_histograms))
    scored: list[tuple[int, float, float, str, int]] = []
    rank = {Verdict.PASS: 0, Verdict.INSUFFICIENT: 1, Verdict.FAIL: 2}
    for name in shared:
        c, s = canary.feature_histograms[name], stable.feature_histograms[name]
        if len(c) != len(s):
            raise ValueError(f"feature {name!r}: histograms differ in bins: canary {len(c)}, stable {len(s)}")
        if sum(c) >= min_samples and sum(s) >= min_samples:
            distance, noise = jensen_shannon(c, s), shift_noise_level(c, s)
            scored.append((rank[_shift_verdict(distance, threshold, noise)], distance, noise, name, int(sum(c))))
    if not scored:
        return _insufficient(
            "feature-drift",
            threshold,
            0,
            canary.window_seconds,
            f"feature-drift: no feature has {min_samples} values in both cohorts{window}",
        )
    # The feature reported is the worst verdict first, then the largest distance.
    _, distance, noise, worst, samples = max(scored)
    detail = f"(worst feature {worst!r}, Jensen-Shannon distance canary vs stable over {samples} values){window}"
    return _judge_shift("feature-drift", distance, threshold, noise, samples, canary.window_seconds, detail)


def _judge_shift(
    gate: str, distance: float, threshold: float, noise: float, samples: int, window_seconds: float, detail: str
) -> GateResult:
    verdict = _shift_verdict(distance, threshold, noise)
    if verdict is Verdict.INSUFFICIENT:
        message = (
            f"{gate} {distance:.4g} > {threshold:.4g} but within the no-shift noise level {noise:.3g} "
            f"{detail}; waiting for more samples"
        )
        return GateResult(gate, verdict, distance, threshold, samples, window_seconds, message)
    return _judge(gate, distance, threshold, samples, window_seconds, detail)


def _accuracy_gate(
    canary: CohortObservation, stable: CohortObservation, threshold: float, min_labels: int
) -> GateResult:
    window = _window_text(canary.window_seconds)
    if (
        canary.accuracy is None
        or stable.accuracy is None
        or canary.labelled < min_labels
        or stable.labelled < min_labels
    ):
        return _insufficient(
            "accuracy-drop",
            threshold,
            canary.labelled,
            canary.window_seconds,
            f"accuracy-drop: awaiting ground truth, canary {canary.labelled}/{min_labels}, "
            f"stable {stable.labelled}/{min_labels} labels{window}",
        )
    drop = stable.accuracy - canary.accuracy
    return _judge(
        "accuracy-drop",
        drop,
        threshold,
        canary.labelled,
        canary.window_seconds,
        f"(canary accuracy {canary.accuracy:.4g} vs stable {stable.accuracy:.4g} over {canary.labelled} "
        f"labelled samples){window}",
    )


def _judge(gate: str, value: float, threshold: float, samples: int, window_seconds: float, detail: str) -> GateResult:
    failed = not value <= threshold  # NaN fails: a gate that cannot be computed on enough data is suspicious
    verdict = Verdict.FAIL if failed else Verdict.PASS
    relation = ">" if failed else "<="
    message = f"{gate} {value:.4g} {relation} {threshold:.4g} {detail}"
    return GateResult(gate, verdict, value, threshold, samples, window_seconds, message)


def _insufficient(gate: str, threshold: float, samples: int, window_seconds: float, message: str) -> GateResult:
    return GateResult(gate, Verdict.INSUFFICIENT, None, threshold, samples, window_seconds, message)


def _window_text(window_seconds: float) -> str:
    return f", window {format_duration(window_seconds)}" if window_seconds > 0 else ""


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None
