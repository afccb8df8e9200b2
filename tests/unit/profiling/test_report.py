"""Batch drift reports.

We test these aspects:
- the report has one result per profile feature, in profile order, and equals ``judge`` on the sketches built
  from the same data with ``update_batch`` (the sidecar's path);
- random halves of the example reference data are not flagged, by the default methods;
- on a larger generated sample (30,000 + 30,000 rows) exactly the five shifted features are flagged;
- the shifted example files flag the five shifted features and nothing else;
- small current data gives "insufficient-samples", never drift;
- JSON shape: ``{"features": [{name, method, score, threshold, expected, samples, drifted, verdict}]}``,
  non-finite numbers as null; the table lists every feature and a summary line;
- errors: a feature missing from the current data, a column of the wrong kind.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from benchmarks.drift_data import SHIFTED, Frame, make_frames, random_halves

from modelmonitor.api.profile import NumericProfile
from modelmonitor.profiling.build import build_profile
from modelmonitor.profiling.report import (
    any_drifted,
    current_kinds,
    drift_report,
    render_json,
    render_table,
    result_record,
)
from modelmonitor.profiling.tables import CategoricalColumn, NumericColumn, Table, TableError, read_table
from modelmonitor.stats.drift import DriftResult, judge
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples" / "data"


def frame_table(frame: Frame, source: str = "frame") -> Table:
    columns = tuple(
        NumericColumn(name, np.asarray(values, dtype=np.float64))
        if values.dtype.kind == "f"
        else CategoricalColumn.from_values(name, values)
        for name, values in frame.items()
    )
    return Table(source, len(next(iter(frame.values()))), columns)


def flagged(results: list[DriftResult]) -> set[str]:
    return {result.feature for result in results if result.drifted}


@pytest.fixture(scope="module")
def example_reference() -> Table:
    return read_table(EXAMPLES / "reference.csv")


def test_report_equals_judge_on_update_batch_sketches(example_reference: Table) -> None:
    profile = build_profile(example_reference)
    current = read_table(EXAMPLES / "current.csv", kinds=current_kinds(profile))
    results = drift_report(profile, current)
    assert [result.feature for result in results] == [feature.name for feature in profile.features]
    for feature, result in zip(profile.features, results, strict=True):
        values = current.column(feature.name).values
        if isinstance(feature, NumericProfile):
            reference_sketch: NumericSketch | CategoricalSketch = NumericSketch.from_profile(feature)
            current_sketch: NumericSketch | CategoricalSketch = NumericSketch(reference_sketch.bins).update_batch(
                values
            )
        else:
            reference_sketch = CategoricalSketch.from_profile(feature)
            current_sketch = CategoricalSketch(reference_sketch.bins).update_batch(values)
        oracle = judge(feature.name, reference_sketch, current_sketch)
        assert result.method == oracle.method
        assert result.samples == oracle.samples
        assert result.drifted == oracle.drifted
        assert result.score == pytest.approx(oracle.score, rel=1e-9, abs=1e-12)


def test_shifted_example_flags_the_five(example_reference: Table) -> None:
    profile = build_profile(example_reference)
    current = read_table(EXAMPLES / "current.csv", kinds=current_kinds(profile))
    assert flagged(drift_report(profile, current)) == set(SHIFTED)


# Seed 11 once flagged num_04 from five current values below the reference half's minimum (an
# empty-in-reference bin that epsilon smoothing inflated); the stats core now counts such bins as one.
@pytest.mark.parametrize("seed", [7, 11, 23])
def test_random_halves_of_the_example_are_not_flagged(example_reference: Table, seed: int) -> None:
    frame = {column.name: column.values for column in example_reference.columns}
    first, second = random_halves(frame, seed=seed)
    results = drift_report(build_profile(frame_table(first)), frame_table(second))
    assert flagged(results) == set()
    assert {result.verdict for result in results} == {"ok"}


def test_false_alarm_rate_over_many_random_halves(example_reference: Table) -> None:
    # 40 splits x 25 features = 1,000 no-drift verdicts at 2,500 vs 2,500 rows; the design rate is
    # 0.01 % per verdict and the measured one 0.04 %, so more than 3 false alarms means a regression.
    frame = {column.name: column.values for column in example_reference.columns}
    false_alarms = 0
    for seed in range(100, 140):
        first, second = random_halves(frame, seed=seed)
        false_alarms += len(flagged(drift_report(build_profile(frame_table(first)), frame_table(second))))
    assert false_alarms <= 3


def test_larger_generated_sample_flags_exactly_the_shifted() -> None:
    reference, current = make_frames(30_000, 30_000, seed=2024)
    results = drift_report(build_profile(frame_table(reference)), frame_table(current))
    assert flagged(results) == set(SHIFTED)
    assert any_drifted(results)


def test_larger_generated_halves_are_not_flagged() -> None:
    reference, _ = make_frames(60_000, 10, seed=99)
    first, second = random_halves(reference)
    assert flagged(drift_report(build_profile(frame_table(first)), frame_table(second))) == set()


def test_small_current_data_is_insufficient(example_reference: Table) -> None:
    profile = build_profile(example_reference)
    frame = {column.name: column.values[:100] for column in example_reference.columns}
    results = drift_report(profile, frame_table(frame), min_samples=500)
    assert {result.verdict for result in results} == {"insufficient-samples"}
    assert not any_drifted(results)


def test_json_shape(example_reference: Table) -> None:
    profile = build_profile(example_reference)
    current = read_table(EXAMPLES / "current.csv", kinds=current_kinds(profile))
    document = json.loads(render_json(drift_report(profile, current)))
    assert list(document) == ["features"]
    assert len(document["features"]) == 25
    for item in document["features"]:
        assert list(item) == ["name", "method", "score", "threshold", "expected", "samples", "drifted", "verdict"]
        assert isinstance(item["score"], float)
        assert isinstance(item["samples"], int)
        assert isinstance(item["drifted"], bool)
        assert item["drifted"] == (item["verdict"] == "drifted")


def test_non_finite_numbers_are_null() -> None:
    result = DriftResult("x", "psi", math.nan, math.inf, math.nan, 0, False, "insufficient-samples")
    record = result_record(result)
    assert record["score"] is None
    assert record["threshold"] is None
    assert json.loads(render_json([result]))["features"][0]["expected"] is None
    assert "insufficient-samples" in render_table([result])


def test_table_lists_every_feature_and_a_summary(example_reference: Table) -> None:
    profile = build_profile(example_reference)
    current = read_table(EXAMPLES / "current.csv", kinds=current_kinds(profile))
    text = render_table(drift_report(profile, current))
    lines = text.splitlines()
    assert lines[0].split() == ["feature", "method", "score", "threshold", "expected", "samples", "verdict"]
    assert len(lines) == 1 + 25 + 2
    assert lines[-1] == "5 of 25 features drifted: num_00, num_05, num_10, num_15, cat_2"
    no_drift = render_table([DriftResult("x", "psi", 0.001, 0.01, 0.002, 900, False, "ok")])
    assert no_drift.splitlines()[-1] == "no drift in 1 features"


def test_missing_feature_and_wrong_kind(example_reference: Table) -> None:
    profile = build_profile(example_reference)
    partial = Table("cur.csv", 3, (NumericColumn("num_00", np.ones(3)),))
    with pytest.raises(TableError, match=r"cur.csv: no column 'num_01'"):
        drift_report(profile, partial)
    swapped = Table("cur.csv", 2, (CategoricalColumn.from_values("num_00", ["a", "b"]),))
    with pytest.raises(TableError, match=r"column 'num_00' is not numeric as in the reference"):
        drift_report(profile, swapped)
