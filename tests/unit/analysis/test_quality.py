"""Data quality, ground truth and fairness from merged counts.

We test these aspects:
- null rate against maxNullRate, each violation kind against the tolerance, required features, too few rows;
- ground truth: coverage, lag, accuracy only past min_labels, regression MAE, calibration error;
- fairness gaps: groups below min_group_labels left out, the reference group's own gap not listed;
- the analysis state round-trips through its ConfigMap text, and garbage is a fresh start.
"""

from __future__ import annotations

import pytest

from modelmonitor.alerts.dispatch import AlertState
from modelmonitor.analysis.evaluate import AnalysisMemory
from modelmonitor.analysis.hysteresis import Streak
from modelmonitor.analysis.quality import fairness_gaps, feature_quality, ground_truth
from modelmonitor.api.spec import Feature
from modelmonitor.sources.state import LoopState
from modelmonitor.stats.outcome_sketches import CalibrationBins, ConfusionCounts, GroupedConfusion, RegressionErrors


def _feature(nulls: int = 0, **violations: int) -> dict[str, object]:
    return {
        "sketch": {"nulls": nulls},
        **dict.fromkeys(("missing", "wrongType", "outOfRange", "notAllowed"), 0),
        **violations,
    }


@pytest.mark.parametrize(
    ("entry", "feature", "problems"),
    [
        (_feature(nulls=30), Feature(name="x", expectations={"maxNullRate": 0.1}), ["null rate 15.0% > 10.0%"]),
        (_feature(nulls=30), Feature(name="x"), []),
        (_feature(outOfRange=3), Feature(name="x"), ["outOfRange 1.5% of rows > 1.0%"]),
        (_feature(missing=1), Feature(name="x", expectations={"required": True}), ["required but missing in 1 rows"]),
        (_feature(missing=1), Feature(name="x"), []),
    ],
)
def test_feature_quality(entry: dict[str, object], feature: Feature, problems: list[str]) -> None:
    (result,) = feature_quality({"rows": 200, "features": {"x": entry}}, [feature])
    assert list(result.problems) == problems
    assert result.judged


def test_too_few_rows_are_not_judged() -> None:
    (result,) = feature_quality({"rows": 50, "features": {"x": _feature(nulls=50)}}, min_rows=100)
    assert not result.judged
    assert result.problems == ()


def test_ground_truth_needs_min_labels_and_reads_lag_and_calibration() -> None:
    confusion = ConfusionCounts(["0", "1"]).update_batch(["0"] * 40 + ["1"] * 60, ["0"] * 35 + ["1"] * 65)
    calibration = CalibrationBins().update_batch([0.9] * 60 + [0.2] * 40, [1] * 54 + [0] * 6 + [0] * 40)
    feedback = {
        "confusion": confusion.to_snapshot(),
        "calibration": calibration.to_snapshot(),
        "lagSeconds": {"bounds": [1, 10], "counts": [50, 50, 0], "sum": 500.0},
    }
    counts = {"prediction": {"readable": 400}, "feedback": feedback}
    judged = ground_truth(counts, min_labels=100)
    assert (judged.labelled, judged.coverage, judged.mean_lag_s, judged.awaiting) == (100, 0.25, 5.0, False)
    assert judged.accuracy == pytest.approx(0.95)
    assert judged.calibration_error == pytest.approx(0.4 * 0.2)  # the 0.2 bin never hits
    waiting = ground_truth(counts, min_labels=101)
    assert waiting.awaiting
    assert waiting.accuracy is None
    assert waiting.labelled == 100


def test_regression_ground_truth() -> None:
    errors = RegressionErrors().update_batch([1.0, 2.0, 4.0], [1.5, 2.0, 3.0])
    truth = ground_truth(
        {"prediction": {"readable": 3}, "feedback": {"regression": errors.to_snapshot()}}, min_labels=3
    )
    assert truth.mean_absolute_error == pytest.approx(0.5)
    assert truth.accuracy is None


def test_fairness_gaps_leave_out_small_groups() -> None:
    grouped = GroupedConfusion(["0", "1"], groups=None, max_groups=8)
    grouped.update_batch(["a"] * 100, ["1"] * 100, ["1"] * 80 + ["0"] * 20)
    grouped.update_batch(["b"] * 100, ["1"] * 100, ["1"] * 50 + ["0"] * 50)
    grouped.update_batch(["c"] * 10, ["1"] * 10, ["1"] * 10)
    counts = {"feedback": {"groupConfusion": grouped.to_snapshot()}}
    gaps = fairness_gaps(counts, "a", min_group_labels=50)
    assert [g.group for g in gaps] == ["b"]
    assert gaps[0].parity_difference == pytest.approx(-0.3)
    assert gaps[0].worst == pytest.approx(0.3)
    assert fairness_gaps(counts, "c", min_group_labels=50) == ()


def test_state_round_trip_and_garbage() -> None:
    memory = AnalysisMemory({"f1": Streak("drifting", 2, 0)}, {600.0: (3, 1)}, since=10.0)
    state = LoopState(memory, AlertState())
    again = LoopState.from_text(state.to_text())
    assert again.memory == memory
    for garbage in (None, "", "{", "[]", '{"memory": 5, "alerts": {"version": 99}}'):
        fresh = LoopState.from_text(garbage)
        assert fresh.memory == AnalysisMemory()
        assert fresh.alerts == AlertState()
