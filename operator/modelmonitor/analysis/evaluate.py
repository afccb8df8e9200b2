"""One evaluation of a ModelMonitor, pure: merged counts per window in, a frozen :class:`AnalysisResult` out.

The analysis loop asks a source (``modelmonitor.sources``) for the counts of every window this spec
reads (:func:`required_windows`), hands them here with the time and how far back the data reaches,
and gets back everything to report: per SLO the multi-window burn-rate assessment, per feature (and
for the predictions) the drift verdict after hysteresis, data quality, ground truth and fairness.
``now`` is always passed in; nothing here reads a clock, a file or the network.

Rules that keep the verdicts honest:

- **No data is not zero.** A window whose counts are ``None``, empty, or covered by less history
  than 90 % of its length has no burn rate and cannot fire a rule (``slo.alerting.evaluate_burn``).
- **Insufficient samples is its own verdict** for drift (``stats.drift.judge``), and the hysteresis
  (``analysis.hysteresis``) needs ``spec.drift.consecutive`` drifted evaluations in a row.
- **Drift as an SLI**: each evaluation in which drift could be judged is one event, bad when a
  feature was drifting; the events are kept in 5-minute buckets in :class:`AnalysisMemory`, which the
  loop persists, so its windows survive an operator restart.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from modelmonitor.analysis.hysteresis import State, Streak, step
from modelmonitor.analysis.quality import (
    FairnessGap,
    FeatureQuality,
    GroundTruth,
    fairness_gaps,
    feature_quality,
    ground_truth,
)
from modelmonitor.api.durations import parse_duration
from modelmonitor.api.profile import CategoricalProfile, NumericProfile, ReferenceProfile
from modelmonitor.api.snapshot import IDENTITY_KEYS, Counts, SnapshotError, check_snapshot, merge_counts
from modelmonitor.api.spec import DriftMethod, ModelMonitorSpec, SliKind, Slo
from modelmonitor.slo.alerting import BurnAssessment, evaluate_burn, format_burn_message
from modelmonitor.slo.burn_rate import EventCounts
from modelmonitor.slo.sli import accuracy_events, drift_events, error_rate_events, latency_events
from modelmonitor.slo.windows import BudgetPolicy, BurnRateRule, rules_for_period, spec_policy, windows_of
from modelmonitor.stats.binning import CategoryBins
from modelmonitor.stats.drift import DriftResult, judge
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch

DRIFT_EVENT_BUCKET_S = 300.0
"""Resolution of the drift SLI's event history (the shortest burn window is 5 minutes)."""
PREDICTION = "prediction"
MIN_LABELS = 100
MIN_ROWS_FOR_QUALITY = 100


def _number(value: object) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


# -- state kept between evaluations -------------------------------------------------------------


@dataclass(frozen=True)
class AnalysisMemory:
    """What one evaluation hands to the next: drift streaks and the drift SLI's events.

    ``drift_events`` maps the start of a 5-minute bucket to ``(clean, drifted)`` judged evaluations;
    ``since`` is the time of the first evaluation, so the drift SLI's history coverage is known.
    """

    streaks: Mapping[str, Streak] = field(default_factory=dict)
    drift_events: Mapping[float, tuple[int, int]] = field(default_factory=dict)
    since: float | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON (kept in the analysis state ConfigMap)."""
        return {
            "streaks": {name: streak.to_json() for name, streak in sorted(self.streaks.items())},
            "driftEvents": [[start, clean, drifted] for start, (clean, drifted) in sorted(self.drift_events.items())],
            "since": self.since,
        }

    @classmethod
    def from_json(cls, data: object) -> AnalysisMemory:
        """Inverse of :meth:`to_json`; unreadable parts are dropped, never invented.

        >>> AnalysisMemory.from_json({"streaks": {"x": ["drifting", 2, 0]}, "driftEvents": [[0, 3, 1]], "since": 5})
        ... # doctest: +NORMALIZE_WHITESPACE
        AnalysisMemory(streaks={'x': Streak(state='drifting', drifted=2, clean=0)},
                       drift_events={0.0: (3, 1)}, since=5.0)
        """
        if not isinstance(data, Mapping):
            return cls()
        raw_streaks = data.get("streaks")
        streaks = (
            {str(k): Streak.from_json(v) for k, v in raw_streaks.items()} if isinstance(raw_streaks, Mapping) else {}
        )
        events: dict[float, tuple[int, int]] = {}
        raw_events = data.get("driftEvents")
        for row in raw_events if isinstance(raw_events, list) else []:
            if isinstance(row, list) and len(row) == 3 and all(isinstance(x, int | float) for x in row):
                events[float(row[0])] = (int(row[1]), int(row[2]))
        since = data.get("since")
        return cls(streaks, events, float(since) if isinstance(since, int | float) else None)


# -- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SloVerdict:
    """One SLO's burn-rate assessment and its one-line message."""

    slo: Slo
    assessment: BurnAssessment
    message: str
    rules: tuple[BurnRateRule, ...]


@dataclass(frozen=True)
class FeatureVerdict:
    """One feature's raw drift result this evaluation, and its state after hysteresis."""

    result: DriftResult
    state: State

    @property
    def feature(self) -> str:
        return self.result.feature


@dataclass(frozen=True)
class AnalysisResult:
    """Everything one evaluation found; :mod:`modelmonitor.analysis.report` turns it into status."""

    now: float
    slos: tuple[SloVerdict, ...]
    drift: tuple[FeatureVerdict, ...]
    """Features and, last, the predictions (``feature == "prediction"``), in spec/counts order."""
    unjudged: tuple[str, ...]
    """Features seen in traffic that have no usable reference (not in the profile, or other bins)."""
    quality: tuple[FeatureQuality, ...]
    ground_truth: GroundTruth | None
    """``None`` when no SLO or fairness needs labels and none arrived."""
    fairness: tuple[FairnessGap, ...]
    max_parity_gap: float | None
    drift_window_rows: int
    memory: AnalysisMemory

    @property
    def drifting(self) -> tuple[FeatureVerdict, ...]:
        """Verdicts in state ``drifting``, highest score over threshold first."""
        return tuple(sorted((v for v in self.drift if v.state == "drifting"), key=excess, reverse=True))

    @property
    def judged_drift(self) -> tuple[FeatureVerdict, ...]:
        return tuple(v for v in self.drift if v.result.verdict != "insufficient-samples")

    @property
    def quality_problems(self) -> tuple[FeatureQuality, ...]:
        return tuple(q for q in self.quality if q.problems)

    @property
    def fairness_breaches(self) -> tuple[FairnessGap, ...]:
        if self.max_parity_gap is None:
            return ()
        return tuple(g for g in self.fairness if g.worst > self.max_parity_gap)


def excess(verdict: FeatureVerdict) -> float:
    """How far past its threshold a score is, comparable across methods (p-values flipped)."""
    r = verdict.result
    if not math.isfinite(r.score) or not math.isfinite(r.threshold) or r.threshold <= 0:
        return 0.0
    if r.method in ("ks", "chi-square"):
        return r.threshold / max(r.score, 1e-300)
    return r.score / r.threshold


# -- windows ------------------------------------------------------------------------------------


def slo_rules(slo: Slo, policy: Sequence[BudgetPolicy]) -> tuple[BurnRateRule, ...]:
    """The burn-rate rules of one SLO: the policy's rows with factors for the SLO's period."""
    return rules_for_period(parse_duration(slo.window), policy)


def required_windows(spec: ModelMonitorSpec, policy: Sequence[BudgetPolicy] | None = None) -> tuple[float, ...]:
    """Every window (seconds) whose counts an evaluation reads, shortest first.

    The burn-rate windows of request-based SLOs, their periods (for budget remaining), and the
    drift window (drift, data quality, ground truth). Drift SLOs are counted from memory instead.
    ``policy`` defaults to the spec's own (``spec.alerting.burnRateRules``, else the SRE workbook's).
    """
    policy = spec_policy(spec) if policy is None else policy
    windows = {parse_duration(spec.drift.window)}
    for slo in spec.slos:
        if slo.sli is SliKind.DRIFT:
            continue
        windows.update(windows_of(slo_rules(slo, policy)))
        windows.add(parse_duration(slo.window))
    return tuple(sorted(windows))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def sum_counts(parts: Sequence[Mapping[str, Any]], where: str = "counts") -> Counts:
    """The sum of many counts objects at once; equal to folding them with ``api.snapshot.merge_counts``.

    Lists of numbers are added column by column in one ``zip`` (no per-element recursion), which
    makes merging an hour of buckets from several pods about 10x faster than pairwise merges.
    Categorical, confusion and grouped counts (matched by name) fall back to ``merge_counts``;
    identity fields (edges, bounds, types) must agree (:class:`SnapshotError` otherwise).
    """
    parts = [p for p in parts if p]
    if not parts:
        return {}
    if len(parts) == 1:
        return merge_counts(parts[0], {}, where)
    if any(
        isinstance(p.get("categories"), list) or isinstance(p.get("classes"), list) or "byGroup" in p for p in parts
    ):
        merged: Counts = {}
        for part in parts:
            merged = merge_counts(merged, part, where)
        return merged
    keys = list(dict.fromkeys(key for part in parts for key in part))
    result: Counts = {}
    for key in keys:
        values = [part[key] for part in parts if key in part]
        first = values[0]
        at = f"{where}.{key}"
        if key in IDENTITY_KEYS:
            if any(v != first for v in values[1:]):
                raise SnapshotError(f"{at} differs between snapshots: they were binned differently")
            result[key] = first
        elif isinstance(first, dict):
            if not all(isinstance(v, dict) for v in values):
                raise SnapshotError(f"{at}: cannot add an object and a {type(values[1]).__name__}")
            result[key] = sum_counts(values, at)
        elif isinstance(first, list):
            if not all(isinstance(v, list) and len(v) == len(first) for v in values):
                raise SnapshotError(f"{at}: lists of different lengths or types cannot be added")
            try:
                # Numbers add in C; a None (overflowed sum) or a nested list raises and takes the slow path.
                result[key] = [sum(column) for column in zip(*values, strict=True)]
            except TypeError:
                merged_list: Any = values[0]
                for value in values[1:]:
                    merged_list = merge_counts({key: merged_list}, {key: value}, where)[key]
                result[key] = merged_list
        elif isinstance(first, int | float) and not isinstance(first, bool):
            try:
                result[key] = sum(values)
            except TypeError:
                result[key] = _sum_scalars(values, at)
        else:
            result[key] = _sum_scalars(values, at)
    return result


def _sum_scalars(values: Sequence[Any], at: str) -> Any:
    if all(_is_number(v) for v in values):
        return sum(values)
    if all(v is None or _is_number(v) for v in values):
        return None  # an overflowed sum stays unknown
    raise SnapshotError(f"{at}: cannot add {', '.join(sorted({type(v).__name__ for v in values}))}")


def counts_by_window(
    snapshot: Mapping[str, Any] | Sequence[Mapping[str, Any]], windows: Sequence[float], now: float
) -> dict[float, Counts]:
    """The counts of each window (seconds) before ``now``, summed over one snapshot or several (pods).

    Windows are nested, so each window's sum is the previous window's plus the buckets only it
    covers: every bucket of every pod is added once, whatever the number of windows. Same rounding
    as :func:`modelmonitor.api.snapshot.window_counts`: a bucket counts when it overlaps the window.
    Summing pods' buckets here equals windowing ``merge_snapshots`` of them (a sum either way).
    """
    snapshots = [snapshot] if isinstance(snapshot, Mapping) else list(snapshot)
    checked = [check_snapshot(dict(s)) for s in snapshots]
    if not checked:
        return {window: {} for window in windows}
    width = float(checked[0]["bucketSeconds"])
    if any(float(s["bucketSeconds"]) != width for s in checked):
        raise SnapshotError("bucketSeconds differs between snapshots: buckets do not line up")
    buckets = sorted(
        ((float(b["start"]), b["counts"]) for s in checked for b in s["buckets"] if b["start"] <= now),
        key=lambda pair: pair[0],
        reverse=True,
    )
    result: dict[float, Counts] = {}
    running: Counts = {}
    index = 0
    for window in sorted(set(windows)):
        since = now - window
        fresh = []
        while index < len(buckets) and buckets[index][0] + width > since:
            fresh.append(buckets[index][1])
            index += 1
        if fresh:
            running = sum_counts([running, *fresh])
        result[window] = running
    return result


# -- SLI events from counts ---------------------------------------------------------------------


def sli_events(slo: Slo, counts: Mapping[str, Any] | None) -> EventCounts | None:
    """Good/total events of a request- or label-based SLO in one window's counts; ``None`` when absent."""
    if counts is None:
        return None
    if slo.sli is SliKind.ERROR_RATE:
        requests = counts.get("requests")
        if not isinstance(requests, Mapping):
            return None
        proxy_errors = _number(requests.get("other"))
        by_class = {k: _number(v) for k, v in requests.items() if k != "other"}
        return error_rate_events(by_class, proxy_errors=proxy_errors)
    if slo.sli is SliKind.LATENCY:
        histogram = counts.get("latencySeconds")
        if not isinstance(histogram, Mapping) or slo.threshold_seconds is None:
            return None
        bounds = [float(b) for b in histogram.get("bounds", [])]
        per_bucket = [_number(c) for c in histogram.get("counts", [])]
        if len(per_bucket) != len(bounds) + 1:
            raise ValueError(f"latencySeconds needs len(bounds) + 1 counts, got {len(per_bucket)} for {len(bounds)}")
        cumulative, running = [], 0
        for c in per_bucket:
            running += c
            cumulative.append(running)
        return latency_events([*bounds, math.inf], cumulative, slo.threshold_seconds)
    if slo.sli is SliKind.ACCURACY:
        truth = ground_truth(counts, min_labels=0)
        if truth.labelled == 0 and not isinstance(counts.get("feedback"), Mapping):
            return None
        return accuracy_events(truth.correct, truth.labelled - truth.correct)
    raise ValueError(f"SLI {slo.sli.value} is not counted from requests")


def _drift_sli_counts(memory: AnalysisMemory, window_s: float, now: float) -> EventCounts:
    clean = drifted = 0
    for start, (c, d) in memory.drift_events.items():
        if start + DRIFT_EVENT_BUCKET_S > now - window_s and start <= now:
            clean += c
            drifted += d
    return drift_events(clean, drifted)


def _evaluate_slo(
    slo: Slo,
    counts_by_window: Mapping[float, Counts | None],
    history_s: float,
    memory: AnalysisMemory,
    now: float,
    policy: Sequence[BudgetPolicy],
    min_events: int,
    min_coverage: float,
) -> SloVerdict:
    rules = slo_rules(slo, policy)
    period = parse_duration(slo.window)
    events: dict[float, EventCounts | None] = {}
    if slo.sli is SliKind.DRIFT:
        drift_history = 0.0 if memory.since is None else now - memory.since
        for window in (*windows_of(rules), period):
            events[window] = _drift_sli_counts(memory, window, now)
        history = drift_history
    else:
        for window in (*windows_of(rules), period):
            events[window] = sli_events(slo, counts_by_window.get(window))
        history = history_s
    period_counts = events.get(period) if history >= min_coverage * period else None
    assessment = evaluate_burn(
        rules,
        events,
        slo.objective,
        period_counts=period_counts,
        min_events=min_events,
        history_s=history,
        min_coverage=min_coverage,
    )
    return SloVerdict(slo, assessment, format_burn_message(slo.name, assessment), rules)


# -- drift --------------------------------------------------------------------------------------


def _reference_sketch(profile: NumericProfile | CategoricalProfile) -> NumericSketch | CategoricalSketch:
    if isinstance(profile, NumericProfile):
        return NumericSketch.from_profile(profile)
    return CategoricalSketch.from_profile(profile)


def _current_sketch(
    reference: NumericSketch | CategoricalSketch, data: Mapping[str, Any]
) -> NumericSketch | CategoricalSketch | None:
    """The live sketch over the reference's bins, or ``None`` when it was binned differently."""
    if isinstance(reference, NumericSketch):
        if data.get("type") != "numeric-sketch":
            return None
        current = NumericSketch.from_snapshot(data)
        return current if current.bins == reference.bins else None
    if data.get("type") != "categorical-sketch":
        return None
    live = CategoricalSketch.from_snapshot(data)
    # Pods learn categories in their own order; align by name, anything unknown to the reference is "other".
    aligned = CategoricalSketch(CategoryBins(reference.bins.categories))
    index = {name: i for i, name in enumerate(reference.bins.categories)}
    counts = [0] * (len(index) + 1)
    for name, count in zip(live.bins.categories, live.counts, strict=False):
        counts[index.get(name, len(index))] += count
    counts[-1] += live.counts[-1]
    aligned.counts = counts
    aligned.nulls = live.nulls
    return aligned


def _method_and_threshold(spec: ModelMonitorSpec, feature: str) -> tuple[str, float | None]:
    method, threshold = spec.drift.method, None
    for configured in spec.features:
        if configured.name == feature and configured.drift is not None:
            if configured.drift.method is not DriftMethod.AUTO:
                method = configured.drift.method
            threshold = configured.drift.threshold
    return method.value, threshold


def _judge_drift(
    spec: ModelMonitorSpec, counts: Mapping[str, Any], reference: ReferenceProfile | None
) -> tuple[list[DriftResult], list[str]]:
    results: list[DriftResult] = []
    unjudged: list[str] = []
    features = counts.get("features")
    live: Mapping[str, Any] = features if isinstance(features, Mapping) else {}
    profiles: dict[str, NumericProfile | CategoricalProfile] = (
        {} if reference is None else {p.name: p for p in reference.features}
    )
    watched = [f.name for f in spec.features] or list(profiles)
    names = list(dict.fromkeys([*watched, *live]))
    entries: list[tuple[str, NumericProfile | CategoricalProfile | None, object]] = [
        (
            name,
            profiles.get(name),
            (live.get(name) or {}).get("sketch") if isinstance(live.get(name), Mapping) else None,
        )
        for name in names
    ]
    prediction = counts.get("prediction")
    if reference is not None and reference.prediction is not None:
        values = prediction.get("values") if isinstance(prediction, Mapping) else None
        entries.append((PREDICTION, reference.prediction, values))
    for name, profile, data in entries:
        if profile is None:
            if data is not None:
                unjudged.append(name)
            continue
        ref = _reference_sketch(profile)
        cur = _current_sketch(ref, data) if isinstance(data, Mapping) else ref.empty_like()
        if cur is None:
            unjudged.append(name)
            continue
        method, threshold = _method_and_threshold(spec, name)
        if isinstance(ref, CategoricalSketch) and method in ("wasserstein", "ks"):
            method = "auto"
        results.append(judge(name, ref, cur, method=method, threshold=threshold, min_samples=spec.drift.min_samples))
    return results, unjudged


def _record_drift_event(
    memory_events: Mapping[float, tuple[int, int]], now: float, drifted: bool, keep_s: float
) -> dict[float, tuple[int, int]]:
    start = math.floor(now / DRIFT_EVENT_BUCKET_S) * DRIFT_EVENT_BUCKET_S
    events = {s: v for s, v in memory_events.items() if s + DRIFT_EVENT_BUCKET_S > now - keep_s}
    clean, bad = events.get(start, (0, 0))
    events[start] = (clean, bad + 1) if drifted else (clean + 1, bad)
    return events


# -- the evaluation -----------------------------------------------------------------------------


def evaluate(
    spec: ModelMonitorSpec,
    counts_by_window: Mapping[float, Counts | None],
    *,
    now: float,
    history_s: float,
    reference: ReferenceProfile | None = None,
    memory: AnalysisMemory | None = None,
    policy: Sequence[BudgetPolicy] | None = None,
    min_events: int = 1,
    min_labels: int = MIN_LABELS,
    min_coverage: float = 0.9,
) -> AnalysisResult:
    """Evaluate one ModelMonitor.

    Parameters
    ----------
    spec
        The monitor's validated spec.
    counts_by_window
        Merged counts (the snapshot ``counts`` shape) per window in seconds, for every window of
        :func:`required_windows`; ``None`` where the source has no data for that window.
    now
        Evaluation time, epoch seconds.
    history_s
        How far back the source's data reaches (e.g. since the oldest sidecar started, at most its
        ring); windows covered less than 90 % have no data.
    reference
        The reference profile drift is judged against; without it no drift verdict is given.
    memory
        The previous evaluation's :attr:`AnalysisResult.memory` (``None`` the first time).
    policy, min_events
        Burn-rate policy rows and the fewest events a window needs (see ``slo.alerting.evaluate_burn``).
        ``policy`` defaults to the spec's (``spec.alerting.burnRateRules``, else the SRE workbook's);
        pass the same rows to :func:`required_windows`.
    min_labels
        Labels needed before accuracy is judged (fewer: awaiting ground truth).
    min_coverage
        Share of a window that history must cover for the window to have data (0.9: a restart never
        judges 1h on 10 minutes). Lowered only where windows are compressed on purpose (scenarios).
    """
    memory = memory or AnalysisMemory()
    policy = spec_policy(spec) if policy is None else policy
    drift_window = parse_duration(spec.drift.window)
    window_counts: Mapping[str, Any] = counts_by_window.get(drift_window) or {}

    results, unjudged = _judge_drift(spec, window_counts, reference)
    streaks = {
        r.feature: step(memory.streaks.get(r.feature, Streak()), r.verdict, spec.drift.consecutive) for r in results
    }
    verdicts = tuple(FeatureVerdict(r, streaks[r.feature].state) for r in results)
    judged = any(r.verdict != "insufficient-samples" for r in results)
    drift_slos = [s for s in spec.slos if s.sli is SliKind.DRIFT]
    events = dict(memory.drift_events)
    if judged and drift_slos:
        keep = max(parse_duration(s.window) for s in drift_slos)
        events = _record_drift_event(events, now, any(v.state == "drifting" for v in verdicts), keep)
    new_memory = AnalysisMemory(streaks, events, memory.since if memory.since is not None else now)

    slos = tuple(
        _evaluate_slo(slo, counts_by_window, history_s, new_memory, now, policy, min_events, min_coverage)
        for slo in spec.slos
    )
    needs_labels = any(s.sli is SliKind.ACCURACY for s in spec.slos) or spec.fairness is not None
    truth = None
    if needs_labels or isinstance(window_counts.get("feedback"), Mapping):
        truth = ground_truth(window_counts, min_labels=min_labels)
    gaps: tuple[FairnessGap, ...] = ()
    if spec.fairness is not None:
        gaps = fairness_gaps(window_counts, spec.fairness.reference_group)
    return AnalysisResult(
        now=now,
        slos=slos,
        drift=verdicts,
        unjudged=tuple(unjudged),
        quality=feature_quality(window_counts, spec.features, min_rows=MIN_ROWS_FOR_QUALITY),
        ground_truth=truth,
        fairness=gaps,
        max_parity_gap=None if spec.fairness is None else spec.fairness.max_parity_gap,
        drift_window_rows=_number(window_counts.get("rows")),
        memory=new_memory,
    )
