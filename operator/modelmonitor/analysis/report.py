"""From an :class:`~modelmonitor.analysis.evaluate.AnalysisResult` to what on-call reads, pure.

- **Conditions** (reasons are stable words ``docs/runbook.md`` is keyed on):

  ============================ ========= ===================== =============================================
  type                         status    reason                when
  ============================ ========= ===================== =============================================
  ``BudgetBurning``            True      ``PageBurnRate``      a page rule fires for some SLO
  ``BudgetBurning``            True      ``TicketBurnRate``    only ticket rules fire
  ``BudgetBurning``            False     ``WithinBudget``      no rule fires and some window has data
  ``BudgetBurning``            Unknown   ``NoData``            no SLO has data over any alerting window
  ``Drifting``                 True      ``FeaturesDrifting``  a feature or the predictions drift (hysteresis)
  ``Drifting``                 False     ``NoDrift``           every judged feature is fine
  ``Drifting``                 Unknown   ``InsufficientSamples`` nothing could be judged this window
  ``Drifting``                 Unknown   ``NoReference``       no reference profile, or none of its features seen
  ``DataQuality``              True      ``WithinExpectations``
  ``DataQuality``              False     ``ExpectationsViolated`` null rate or schema violations too high
  ``DataQuality``              Unknown   ``InsufficientSamples``
  ``AwaitingGroundTruth``      True      ``TooFewLabels``      fewer labels than needed for an accuracy verdict
  ``AwaitingGroundTruth``      False     ``LabelsArrived``     accuracy (and calibration, fairness) judged
  ============================ ========= ===================== =============================================

  ``BudgetBurning`` is left out when the spec has no SLO; ``AwaitingGroundTruth`` when nothing needs labels.
- **Status summaries**: ``slos`` (worst burn rate, its window, budget left, severity), ``worstBurnRate``,
  ``topDrift`` (the five drifting features furthest past their threshold, else the highest scores),
  ``driftSummary`` (``drifting/judged``), ``phase``.
- **Metric samples** for ``modelmonitor_slo_burn_rate``, ``modelmonitor_error_budget_remaining_ratio`` and
  ``modelmonitor_feature_drift_score`` (``None`` means "remove the series": no data is not 0).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from modelmonitor.analysis.evaluate import AnalysisResult, FeatureVerdict, excess
from modelmonitor.api.durations import format_duration
from modelmonitor.api.status import ConditionStatus, ConditionType, FeatureDrift, Phase
from modelmonitor.slo.alerting import slo_status
from modelmonitor.slo.windows import Severity
from modelmonitor.wiring.conditions import Observation

TOP_DRIFT = 5
PROBLEMS = {
    (ConditionType.BUDGET_BURNING, ConditionStatus.TRUE),
    (ConditionType.DRIFTING, ConditionStatus.TRUE),
    (ConditionType.DATA_QUALITY, ConditionStatus.FALSE),
}
"""(type, status) pairs that get a Warning Event; every other transition is Normal."""
ANALYSIS_PHASES = frozenset({Phase.HEALTHY.value, Phase.DEGRADED.value, Phase.DRIFTING.value})
"""Phases the analysis loop may set; canary phases (Progressing, Promoted, RolledBack) are the rollout's."""


def event_type(observation: Observation) -> str:
    """``Warning`` for trouble, ``Normal`` otherwise (labels arriving is good news)."""
    return "Warning" if (observation.type, observation.status) in PROBLEMS else "Normal"


def _score_text(verdict: FeatureVerdict) -> str:
    r = verdict.result
    relation = "<" if r.method in ("ks", "chi-square") else ">"
    if not r.drifted:
        relation = ">=" if relation == "<" else "<="
    return f"{r.feature} {r.method} {r.score:.3g} {relation} {r.threshold:.3g} (n={r.samples})"


def budget_condition(result: AnalysisResult) -> Observation | None:
    if not result.slos:
        return None
    firing = [v for v in result.slos if v.assessment.severity is not None]
    if firing:
        pages = [v for v in firing if v.assessment.severity is Severity.PAGE]
        reason = "PageBurnRate" if pages else "TicketBurnRate"
        message = "; ".join(v.message for v in (pages or firing))
        return Observation(ConditionType.BUDGET_BURNING, ConditionStatus.TRUE, reason, message)
    if all(v.assessment.worst is None for v in result.slos):
        message = "no data over any alerting window for " + ", ".join(v.slo.name for v in result.slos)
        return Observation(ConditionType.BUDGET_BURNING, ConditionStatus.UNKNOWN, "NoData", message)
    message = "; ".join(v.message for v in result.slos)
    return Observation(ConditionType.BUDGET_BURNING, ConditionStatus.FALSE, "WithinBudget", message)


def drift_condition(result: AnalysisResult) -> Observation:
    drifting = result.drifting
    if drifting:
        shown = ", ".join(_score_text(v) for v in drifting[:TOP_DRIFT])
        more = f" and {len(drifting) - TOP_DRIFT} more" if len(drifting) > TOP_DRIFT else ""
        message = f"{len(drifting)} of {len(result.drift)} drifting: {shown}{more}"
        return Observation(ConditionType.DRIFTING, ConditionStatus.TRUE, "FeaturesDrifting", message)
    if not result.drift:
        message = "no reference profile to judge drift against"
        if result.unjudged:
            message = f"no usable reference for {', '.join(result.unjudged[:10])}"
        return Observation(ConditionType.DRIFTING, ConditionStatus.UNKNOWN, "NoReference", message)
    judged = result.judged_drift
    if not judged:
        samples = max(v.result.samples for v in result.drift)
        message = f"insufficient samples: at most {samples} values per feature in the drift window"
        return Observation(ConditionType.DRIFTING, ConditionStatus.UNKNOWN, "InsufficientSamples", message)
    waiting = [v.feature for v in result.drift if v.result.verdict == "drifted" and v.state != "drifting"]
    message = f"{len(judged)} of {len(result.drift)} judged, none drifting"
    if waiting:
        message += f" (drifted once, not yet consecutively: {', '.join(waiting[:5])})"
    return Observation(ConditionType.DRIFTING, ConditionStatus.FALSE, "NoDrift", message)


def quality_condition(result: AnalysisResult) -> Observation | None:
    if not result.quality:
        return None
    problems = result.quality_problems
    if problems:
        shown = "; ".join(f"{q.feature}: {', '.join(q.problems)}" for q in problems[:5])
        return Observation(ConditionType.DATA_QUALITY, ConditionStatus.FALSE, "ExpectationsViolated", shown)
    if not any(q.judged for q in result.quality):
        message = f"only {result.drift_window_rows} rows in the window"
        return Observation(ConditionType.DATA_QUALITY, ConditionStatus.UNKNOWN, "InsufficientSamples", message)
    message = f"{len(result.quality)} features within expectations over {result.drift_window_rows} rows"
    return Observation(ConditionType.DATA_QUALITY, ConditionStatus.TRUE, "WithinExpectations", message)


def ground_truth_condition(result: AnalysisResult) -> Observation | None:
    truth = result.ground_truth
    if truth is None:
        return None
    coverage = "n/a" if truth.coverage is None else f"{truth.coverage:.1%}"
    lag = "" if truth.mean_lag_s is None else f", mean label lag {truth.mean_lag_s:.3g}s"
    if truth.awaiting:
        message = f"{truth.labelled} labels for {truth.predictions} predictions (coverage {coverage}{lag})"
        return Observation(ConditionType.AWAITING_GROUND_TRUTH, ConditionStatus.TRUE, "TooFewLabels", message)
    parts = [f"{truth.labelled} labels (coverage {coverage}{lag})"]
    if truth.accuracy is not None:
        parts.append(f"accuracy {truth.accuracy:.1%}")
    if truth.calibration_error is not None:
        parts.append(f"calibration error {truth.calibration_error:.3f}")
    if truth.mean_absolute_error is not None:
        parts.append(f"mean absolute error {truth.mean_absolute_error:.4g}")
    breaches = result.fairness_breaches
    if breaches:
        worst = max(breaches, key=lambda g: g.worst)
        parts.append(f"fairness gap {worst.worst:.3f} for group {worst.group} > {result.max_parity_gap:g}")
    return Observation(ConditionType.AWAITING_GROUND_TRUTH, ConditionStatus.FALSE, "LabelsArrived", ", ".join(parts))


def observations(result: AnalysisResult) -> list[Observation]:
    """The analysis conditions of this result, in a stable order."""
    found = [
        budget_condition(result),
        drift_condition(result),
        quality_condition(result),
        ground_truth_condition(result),
    ]
    return [o for o in found if o is not None]


def _feature_drift(verdict: FeatureVerdict) -> FeatureDrift:
    r = verdict.result

    def finite(x: float) -> float:
        return round(x, 6) if math.isfinite(x) else 0.0

    return FeatureDrift(
        feature=r.feature, method=r.method, score=finite(r.score), threshold=finite(r.threshold), samples=r.samples
    )


def top_drift(result: AnalysisResult, n: int = TOP_DRIFT) -> list[FeatureDrift]:
    """The drifting features furthest past their thresholds; with none drifting, the judged ones closest to it."""
    chosen: Sequence[FeatureVerdict] = result.drifting or sorted(result.judged_drift, key=excess, reverse=True)
    return [_feature_drift(v) for v in chosen[:n]]


def phase(result: AnalysisResult) -> Phase:
    """Degraded when an SLO burns, else Drifting when a feature drifts, else Healthy."""
    if any(v.assessment.severity is not None for v in result.slos):
        return Phase.DEGRADED
    if result.drifting:
        return Phase.DRIFTING
    return Phase.HEALTHY


def worst_burn_rate(result: AnalysisResult) -> str | None:
    """E.g. ``15.2× availability over 1h``; ``None`` without data."""
    best: tuple[float, str, float] | None = None
    for verdict in result.slos:
        worst = verdict.assessment.worst
        if worst is not None and (best is None or worst[1] > best[0]):
            best = (worst[1], verdict.slo.name, worst[0])
    if best is None:
        return None
    return f"{best[0]:.1f}× {best[1]} over {format_duration(best[2])}"


def status_summary(result: AnalysisResult, *, pods: int | None, analysed_at: str) -> dict[str, Any]:
    """The status keys the analysis loop owns (camelCase, JSON-ready), phase excluded."""
    judged = len(result.judged_drift)
    return {
        "slos": [slo_status(v.slo.name, v.assessment).model_dump(by_alias=True, mode="json") for v in result.slos],
        "worstBurnRate": worst_burn_rate(result),
        "topDrift": [d.model_dump(by_alias=True, mode="json") for d in top_drift(result)],
        "driftSummary": f"{len(result.drifting)}/{judged}" if result.drift else None,
        "pods": pods,
        "lastAnalysisTime": analysed_at,
    }


@dataclass(frozen=True, slots=True)
class MetricSamples:
    """Values of the analysis gauges for one monitor; ``None`` removes the series (no data)."""

    burn_rates: dict[tuple[str, str], float | None]
    """``(slo, window) -> burn rate``."""
    budget_remaining: dict[str, float | None]
    drift_scores: dict[tuple[str, str], float | None]
    """``(feature, method) -> score``; ``None`` for insufficient samples."""


def metric_samples(result: AnalysisResult) -> MetricSamples:
    burn: dict[tuple[str, str], float | None] = {}
    budget: dict[str, float | None] = {}
    for verdict in result.slos:
        for window, rate in verdict.assessment.burn_rates.items():
            burn[verdict.slo.name, format_duration(window)] = rate
        budget[verdict.slo.name] = verdict.assessment.budget_remaining
    drift: dict[tuple[str, str], float | None] = {}
    for v in result.drift:
        score = v.result.score
        judged = v.result.verdict != "insufficient-samples" and math.isfinite(score)
        drift[v.feature, v.result.method] = score if judged else None
    return MetricSamples(burn, budget, drift)
