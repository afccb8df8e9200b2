"""Evaluation of merged sidecar counts, with a real Recorder fed on an injected clock.

We test these aspects:
- an error-rate step from 0.1 % to 5 % pages once the 1h and 5m windows both burn above 14.4, not before;
- windows not covered by history (operator or sidecar restart) are no data, never a page, never 0;
- drift injected into 2 of 20 features marks exactly those, after the consecutive-N hysteresis;
- too little traffic gives "insufficient samples", never a drift verdict or a burn alert;
- labels arriving late move ground truth from awaiting to an accuracy verdict, and the accuracy SLO burns;
- latency SLO events from the latency histogram; drift as an SLI counted from remembered evaluations;
- the memory survives a JSON round trip (restart) and gives the same next evaluation;
- counts_by_window equals window_counts for every window.
"""

from __future__ import annotations

import json

import pytest

from modelmonitor.analysis.evaluate import (
    AnalysisMemory,
    counts_by_window,
    evaluate,
    required_windows,
)
from modelmonitor.api.snapshot import window_counts
from modelmonitor.slo.windows import Severity
from modelmonitor_proxy.recorder import Recorder
from tests.scenarios.traffic import T0, Traffic, feed, monitor_spec, reference_profile, sidecar_config

AVAILABILITY = {"name": "availability", "sli": "error-rate", "objective": 99.9}
HOUR = 3600.0


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def run(spec, profile, recorder, now, memory=None, history=None):  # type: ignore[no-untyped-def]
    snapshot = recorder.snapshot(now)
    counts = counts_by_window(snapshot, required_windows(spec), now)
    return evaluate(
        spec, counts, now=now, history_s=now - T0 if history is None else history, reference=profile, memory=memory
    )


def test_error_rate_step_pages_when_both_page_windows_burn() -> None:
    spec = monitor_spec(slos=[AVAILABILITY], drift={"window": "1h", "minSamples": 500})
    clock = Clock()
    recorder = Recorder(sidecar_config(spec, None), clock=clock)
    baseline = Traffic(3, seed=1, error_rate=0.001)
    feed(recorder, baseline, 12_000, start=T0, seconds=2 * HOUR)  # 100/min at 0.1 %
    now = T0 + 2 * HOUR
    first = run(spec, None, recorder, now)
    assert first.slos[0].assessment.severity is None
    assert first.slos[0].assessment.burn_rates[HOUR] == pytest.approx(1.0, abs=1.0)
    step = Traffic(3, seed=2, error_rate=0.05)
    fired_at = None
    for minute in range(60):
        feed(recorder, step, 100, start=now + minute * 60, seconds=60)
        result = run(spec, None, recorder, now + (minute + 1) * 60)
        if result.slos[0].assessment.severity is Severity.PAGE:
            fired_at = minute + 1
            assert "availability burning" in result.slos[0].message
            assert "page" in result.slos[0].message
            break
    # 1h ratio crosses 1.44 % after ~(1.44 - 0.1) / (5 - 0.1) * 60 ≈ 16 minutes at 5 %.
    assert fired_at is not None
    assert 12 <= fired_at <= 21


def test_windows_not_covered_by_history_are_no_data() -> None:
    spec = monitor_spec(slos=[AVAILABILITY])
    recorder = Recorder(sidecar_config(spec, None), clock=Clock())
    feed(recorder, Traffic(3, error_rate=0.5), 1_000, start=T0, seconds=600)
    result = run(spec, None, recorder, T0 + 600)  # 10 minutes of history
    assessment = result.slos[0].assessment
    assert assessment.severity is None
    assert assessment.burn_rates[HOUR] is None
    assert HOUR in assessment.no_data_windows
    assert assessment.burn_rates[300.0] == pytest.approx(500.0, rel=0.1)
    assert assessment.budget_remaining is None  # 30 days are never covered by a sidecar ring


@pytest.mark.parametrize("consecutive", [1, 2, 3])
def test_drift_in_two_of_twenty_features_marks_exactly_those(consecutive: int) -> None:
    profile = reference_profile(20)
    spec = monitor_spec(drift={"window": "1h", "minSamples": 500, "consecutive": consecutive})
    recorder = Recorder(sidecar_config(spec, profile), clock=Clock())
    traffic = Traffic(20, seed=3, shift={"f4": 0.6, "f11": -0.6})
    memory = None
    states = []
    for i in range(consecutive):
        feed(recorder, traffic, 1_500, start=T0 + i * 600, seconds=600)
        result = run(spec, profile, recorder, T0 + (i + 1) * 600, memory=memory)
        memory = result.memory
        states.append(sorted(v.feature for v in result.drifting))
        assert sorted(v.feature for v in result.drift if v.result.verdict == "drifted") == ["f11", "f4"]
    assert states[-1] == ["f11", "f4"]
    assert all(s == [] for s in states[:-1])


def test_too_little_traffic_is_insufficient_samples_never_an_alert() -> None:
    profile = reference_profile(5)
    spec = monitor_spec(slos=[AVAILABILITY], drift={"window": "1h", "minSamples": 500, "consecutive": 1})
    recorder = Recorder(sidecar_config(spec, profile), clock=Clock())
    feed(recorder, Traffic(5, error_rate=0.2, shift={"f0": 3.0}), 40, start=T0, seconds=2 * HOUR)
    result = run(spec, profile, recorder, T0 + 2 * HOUR)
    assert {v.result.verdict for v in result.drift} == {"insufficient-samples"}
    assert {v.state for v in result.drift} == {"insufficient-samples"}
    assert result.drifting == ()
    # 40 requests: fewer than min_events for a strict evaluation, so no page either
    strict = evaluate(
        spec,
        counts_by_window(recorder.snapshot(T0 + 2 * HOUR), required_windows(spec), T0 + 2 * HOUR),
        now=T0 + 2 * HOUR,
        history_s=2 * HOUR,
        reference=profile,
        min_events=100,
    )
    assert strict.slos[0].assessment.severity is None
    assert strict.slos[0].assessment.worst is None


def test_late_labels_move_awaiting_ground_truth_to_an_accuracy_verdict() -> None:
    spec = monitor_spec(slos=[{"name": "accuracy", "sli": "accuracy", "objective": 95}])
    clock = Clock()
    recorder = Recorder(sidecar_config(spec, None), clock=clock)
    traffic = Traffic(2, seed=5, error_rate=0.0)
    answered = feed(recorder, traffic, 1_000, start=T0, seconds=1_800)
    early = run(spec, None, recorder, T0 + 1_800)
    assert early.ground_truth is not None
    assert early.ground_truth.awaiting
    assert early.ground_truth.labelled == 0
    assert early.ground_truth.accuracy is None
    assert early.slos[0].assessment.worst is None  # no labels: no data, not 100 % wrong
    items = traffic.labels(answered, accuracy=0.8)
    status, body = recorder.feedback(json.dumps({"items": items[:400]}).encode(), T0 + 1_900)
    assert status == 200, body
    late = run(spec, None, recorder, T0 + 1_900, history=HOUR)
    truth = late.ground_truth
    assert truth is not None
    assert not truth.awaiting
    assert truth.labelled == 400
    assert truth.coverage == pytest.approx(0.4)
    assert truth.accuracy == pytest.approx(0.8, abs=0.06)
    assert truth.mean_lag_s is not None
    assert 100 < truth.mean_lag_s < 1_900
    # 20 % wrong against a 5 % budget: burn rate 4 over the windows that have labels
    assert late.slos[0].assessment.burn_rates[HOUR] == pytest.approx((1 - truth.accuracy) / 0.05)


def test_latency_slo_counts_slow_requests() -> None:
    spec = monitor_spec(slos=[{"name": "latency", "sli": "latency", "objective": 99, "thresholdSeconds": 1.0}])
    recorder = Recorder(sidecar_config(spec, None), clock=Clock())
    feed(recorder, Traffic(2, seed=9, error_rate=0.0, slow_rate=0.2), 2_000, start=T0, seconds=HOUR)
    result = run(spec, None, recorder, T0 + HOUR)
    rate = result.slos[0].assessment.burn_rates[HOUR]
    assert rate is not None
    assert rate == pytest.approx(20.0, rel=0.15)
    assert result.slos[0].assessment.severity is Severity.PAGE


def test_drift_as_an_sli_counts_remembered_evaluations_and_survives_restart() -> None:
    profile = reference_profile(3)
    spec = monitor_spec(
        drift={"window": "1h", "minSamples": 200, "consecutive": 1},
        slos=[{"name": "stable-inputs", "sli": "drift", "objective": 90, "window": "1d"}],
    )
    recorder = Recorder(sidecar_config(spec, profile), clock=Clock())
    feed(recorder, Traffic(3, seed=4, shift={"f1": 1.0}), 3_000, start=T0, seconds=HOUR)
    memory: AnalysisMemory | None = None
    for i in range(12):
        now = T0 + HOUR + i * 300
        result = run(spec, profile, recorder, now, memory=memory)
        # a restart between evaluations: only the JSON form is kept
        memory = AnalysisMemory.from_json(json.loads(json.dumps(result.memory.to_json())))
    assert memory is not None
    assert sum(d for _, d in memory.drift_events.values()) == 12
    rates = result.slos[0].assessment.burn_rates
    assert rates[300.0] == pytest.approx(10.0)  # every judged evaluation drifted: ratio 1 / budget 0.1
    assert rates[HOUR] is not None
    assert rates[6 * HOUR] is None


def test_counts_by_window_matches_window_counts() -> None:
    spec = monitor_spec(slos=[AVAILABILITY])
    recorder = Recorder(sidecar_config(spec, None), clock=Clock())
    feed(recorder, Traffic(2, error_rate=0.1), 3_000, start=T0, seconds=2 * HOUR)
    snapshot = recorder.snapshot(T0 + 2 * HOUR)
    windows = required_windows(spec)
    fast = counts_by_window(snapshot, windows, T0 + 2 * HOUR)
    for window in windows:
        # float sums are added in another order, so they agree up to rounding
        assert rounded(fast[window]) == rounded(window_counts(snapshot, window, T0 + 2 * HOUR))


def rounded(value: object) -> object:
    if isinstance(value, dict):
        return {k: rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [rounded(v) for v in value]
    return round(value, 6) if isinstance(value, float) else value


def test_summing_pods_window_by_window_equals_merging_snapshots_first() -> None:
    from modelmonitor.api.snapshot import merge_snapshots

    profile = reference_profile(4)
    spec = monitor_spec(slos=[AVAILABILITY], prediction={"task": "binary-classification"})
    snapshots = []
    for seed in range(3):
        recorder = Recorder(sidecar_config(spec, profile), clock=Clock())
        traffic = Traffic(4, seed=seed, error_rate=0.05)
        answered = feed(recorder, traffic, 900, start=T0 + seed * 100, seconds=HOUR)
        recorder.feedback(json.dumps({"items": traffic.labels(answered[:200], 0.8)}).encode(), T0 + HOUR)
        snapshots.append(recorder.snapshot(T0 + 2 * HOUR))
    windows = required_windows(spec)
    summed = counts_by_window(snapshots, windows, T0 + 2 * HOUR)
    merged = counts_by_window(merge_snapshots(snapshots), windows, T0 + 2 * HOUR)
    for window in windows:
        assert rounded(summed[window]) == rounded(merged[window])
    assert sum(summed[2 * HOUR]["requests"].values()) > 0  # the rings keep the last hour


@pytest.mark.parametrize(
    "parts",
    [
        [
            {"a": 1, "h": {"edges": [0.0], "counts": [1, 2], "sum": 1.5}},
            {"a": 2, "h": {"edges": [0.0], "counts": [3, 4]}},
        ],
        [{"s": [1.0, None]}, {"s": [2.0, 3.0]}, {"s": [1.0, 1.0]}],
        [{"x": None}, {"x": 2}],
        [{"c": {"categories": ["a"], "counts": [1, 2]}}, {"c": {"categories": ["b", "a"], "counts": [1, 1, 0]}}],
        [{"only": {"k": 1}}, {}, {"other": 3}],
    ],
)
def test_sum_counts_equals_pairwise_merge(parts: list[dict[str, object]]) -> None:
    from modelmonitor.analysis.evaluate import sum_counts
    from modelmonitor.api.snapshot import merge_counts

    pairwise: dict[str, object] = {}
    for part in parts:
        pairwise = merge_counts(pairwise, part)
    assert sum_counts(parts) == pairwise


@pytest.mark.parametrize(
    ("parts", "match"),
    [
        ([{"h": {"edges": [0.0]}}, {"h": {"edges": [1.0]}}], "binned differently"),
        ([{"h": [1, 2]}, {"h": [1]}], "different lengths"),
        ([{"x": 1}, {"x": "a"}], "cannot add"),
    ],
)
def test_sum_counts_rejects_incompatible_counts(parts: list[dict[str, object]], match: str) -> None:
    from modelmonitor.analysis.evaluate import sum_counts
    from modelmonitor.api.snapshot import SnapshotError

    with pytest.raises(SnapshotError, match=match):
        sum_counts(parts)
