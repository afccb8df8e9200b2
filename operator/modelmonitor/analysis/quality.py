"""Data quality, ground truth and fairness, read from one window of merged sidecar counts.

Everything here reads the snapshot's ``counts`` shape (``docs/sidecar-metrics.md``) after pods were
summed, so rates are ratios of sums, never averages of per-pod rates.

- **Data quality** per feature: the null rate (``nulls / rows``) against ``expectations.maxNullRate``,
  and schema violations (``missing``, ``wrongType``, ``outOfRange``, ``notAllowed``) against a tolerance
  share of rows. A window with fewer rows than ``min_rows`` is not judged.
- **Ground truth**: label coverage (labelled predictions over readable predictions), mean label lag
  (from the lag histogram's sum and count), and, once at least ``min_labels`` labels arrived,
  accuracy and expected calibration error (classification) or mean absolute error (regression).
  Fewer labels is "awaiting ground truth", a state of its own and never an accuracy of 0.
- **Fairness** (``spec.fairness``): per group, the statistical parity and equal-opportunity
  differences against the reference group (or all other groups); groups with fewer than
  ``min_group_labels`` labels are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modelmonitor.api.spec import Feature
from modelmonitor.stats.calibration import expected_calibration_error
from modelmonitor.stats.classification import accuracy
from modelmonitor.stats.fairness import equal_opportunity_difference, statistical_parity_difference
from modelmonitor.stats.outcome_sketches import CalibrationBins, ConfusionCounts, GroupedConfusion, RegressionErrors

VIOLATION_KINDS = ("missing", "wrongType", "outOfRange", "notAllowed")
DEFAULT_VIOLATION_TOLERANCE = 0.01
"""Share of rows with a schema violation above which a feature's data quality is a problem."""


def _count(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True, slots=True)
class FeatureQuality:
    """Data quality of one feature over one window."""

    feature: str
    rows: int
    nulls: int
    violations: Mapping[str, int]
    null_rate: float | None
    violation_rate: float | None
    problems: tuple[str, ...]
    """Human-readable problems, e.g. ``null rate 12.0% > 5.0%``; empty when fine or not judged."""

    @property
    def judged(self) -> bool:
        return self.null_rate is not None


def feature_quality(
    counts: Mapping[str, Any],
    features: Sequence[Feature] = (),
    *,
    min_rows: int = 100,
    violation_tolerance: float = DEFAULT_VIOLATION_TOLERANCE,
) -> tuple[FeatureQuality, ...]:
    """Data quality of every feature in ``counts`` (one window), in the order the counts list them.

    >>> counts = {"rows": 200, "features": {"x": {"sketch": {"nulls": 30}, "missing": 0, "wrongType": 4}}}
    >>> [q.problems for q in feature_quality(counts)]
    [('wrongType 2.0% of rows > 1.0%',)]
    """
    rows = _count(counts.get("rows"))
    expectations = {f.name: f.expectations for f in features}
    results = []
    for name, entry in _mapping(counts.get("features")).items():
        entry = _mapping(entry)
        nulls = _count(_mapping(entry.get("sketch")).get("nulls"))
        violations = {kind: _count(entry.get(kind)) for kind in VIOLATION_KINDS}
        if rows < min_rows or rows <= 0:
            results.append(FeatureQuality(name, rows, nulls, violations, None, None, ()))
            continue
        null_rate = nulls / rows
        violation_rate = sum(violations.values()) / rows
        problems = []
        expected = expectations.get(name)
        if expected is not None and expected.max_null_rate is not None and null_rate > expected.max_null_rate:
            problems.append(f"null rate {null_rate:.1%} > {expected.max_null_rate:.1%}")
        for kind, n in violations.items():
            if n / rows > violation_tolerance:
                problems.append(f"{kind} {n / rows:.1%} of rows > {violation_tolerance:.1%}")
        if (
            expected is not None
            and expected.required
            and violations["missing"]
            and not any("missing" in p for p in problems)
        ):
            problems.append(f"required but missing in {violations['missing']} rows")
        results.append(FeatureQuality(name, rows, nulls, violations, null_rate, violation_rate, tuple(problems)))
    return tuple(results)


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """Labels that arrived for one window's predictions, and what they say."""

    predictions: int
    labelled: int
    coverage: float | None
    """``labelled / predictions``; ``None`` without predictions."""
    mean_lag_s: float | None
    awaiting: bool
    """Fewer than ``min_labels`` labels: no accuracy verdict yet."""
    correct: int = 0
    accuracy: float | None = None
    calibration_error: float | None = None
    mean_absolute_error: float | None = None


def ground_truth(counts: Mapping[str, Any], *, min_labels: int = 100) -> GroundTruth:
    """Label coverage, lag and, with enough labels, accuracy and calibration for one window.

    >>> confusion = {"type": "confusion-counts", "version": 1, "classes": ["0", "1"],
    ...              "counts": [[90, 10], [5, 95]], "unknown": 0}
    >>> g = ground_truth({"prediction": {"readable": 400}, "feedback": {"confusion": confusion}})
    >>> g.labelled, g.coverage, g.accuracy, g.awaiting
    (200, 0.5, 0.925, False)
    """
    predictions = _count(_mapping(counts.get("prediction")).get("readable"))
    feedback = _mapping(counts.get("feedback"))
    lag = _mapping(feedback.get("lagSeconds"))
    raw_lag_counts = lag.get("counts")
    lag_counts: list[Any] = raw_lag_counts if isinstance(raw_lag_counts, list) else []
    lagged: int = sum(_count(c) for c in lag_counts)
    lag_sum = lag.get("sum")
    mean_lag = float(lag_sum) / lagged if lagged and isinstance(lag_sum, int | float) else None
    labelled, correct = 0, 0
    acc = ece = mae = None
    if isinstance(feedback.get("confusion"), Mapping):
        confusion = ConfusionCounts.from_snapshot(feedback["confusion"])
        labelled = confusion.total
        correct = sum(confusion.counts[i][i] for i in range(len(confusion.classes)))
        acc = accuracy(confusion)
        if isinstance(feedback.get("calibration"), Mapping):
            ece = expected_calibration_error(CalibrationBins.from_snapshot(feedback["calibration"]))
    elif isinstance(feedback.get("regression"), Mapping):
        errors = RegressionErrors.from_snapshot(feedback["regression"])
        labelled = errors.count
        mae = errors.sum_abs_error / errors.count if errors.count else None
    awaiting = labelled < min_labels
    return GroundTruth(
        predictions=predictions,
        labelled=labelled,
        coverage=labelled / predictions if predictions else None,
        mean_lag_s=mean_lag,
        awaiting=awaiting,
        correct=correct,
        accuracy=None if awaiting else acc,
        calibration_error=None if awaiting else ece,
        mean_absolute_error=None if awaiting else mae,
    )


@dataclass(frozen=True, slots=True)
class FairnessGap:
    """One group's gaps against the reference group (or the rest)."""

    group: str
    labelled: int
    parity_difference: float | None
    equal_opportunity_difference: float | None

    @property
    def worst(self) -> float:
        return max(abs(x) for x in (self.parity_difference, self.equal_opportunity_difference, 0.0) if x is not None)


def fairness_gaps(
    counts: Mapping[str, Any], reference_group: str | None = None, *, min_group_labels: int = 50
) -> tuple[FairnessGap, ...]:
    """Gaps of every group with enough labels; the reference group itself is not listed."""
    data = _mapping(counts.get("feedback")).get("groupConfusion")
    if not isinstance(data, Mapping):
        return ()
    grouped = GroupedConfusion.from_snapshot(data)
    if reference_group is not None and (
        reference_group not in grouped.by_group or grouped.by_group[reference_group].total < min_group_labels
    ):
        return ()
    gaps = []
    for group, confusion in sorted(grouped.by_group.items()):
        if group == reference_group or confusion.total < min_group_labels:
            continue
        gaps.append(
            FairnessGap(
                group,
                confusion.total,
                statistical_parity_difference(grouped, group, reference_group),
                equal_opportunity_difference(grouped, group, reference_group),
            )
        )
    return tuple(gaps)
