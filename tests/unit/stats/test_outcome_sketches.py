"""Outcome sketches: confusion counts, grouped confusion, calibration bins, regression errors.

We test these aspects:
- updates count the right cells; labels compare as strings (1, 1.0 and "1" are one class);
- invalid input (unknown classes, NaN, probabilities outside [0, 1], non-numbers) is counted, never raised;
- batch updates equal per-row updates;
- laws (hypothesis): merge is commutative, associative and equals counting the pooled rows, for
  fixed groups and for learned groups beyond the bound (the kept set does not depend on order);
- snapshots survive a JSON round trip; mismatched configurations refuse to merge.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmonitor.stats.outcome_sketches import (
    OTHER_GROUP,
    CalibrationBins,
    ConfusionCounts,
    GroupedConfusion,
    RegressionErrors,
)

CLASSES = ("0", "1")
pairs = st.lists(st.tuples(st.sampled_from(["0", "1", "2"]), st.sampled_from([0, 1, "1", 1.0])), max_size=30)
grouped_rows = st.lists(
    st.tuples(st.sampled_from(list("abcdefg")), st.sampled_from(["0", "1"]), st.sampled_from(["0", "1"])), max_size=30
)
calibration_rows = st.lists(
    st.tuples(st.sampled_from([0.0, 0.05, 0.25, 0.5, 0.75, 0.99, 1.0, 1.2, math.nan]), st.sampled_from([0, 1, 2])),
    max_size=30,
)
regression_rows = st.lists(
    st.tuples(st.sampled_from([0.0, 1.0, -2.5, 3.25, math.nan]), st.sampled_from([0.0, 2.0, 0.5, math.inf])),
    max_size=30,
)


def confusion_of(rows: list[tuple[object, object]]) -> ConfusionCounts:
    c = ConfusionCounts(CLASSES)
    for a, p in rows:
        c.update(a, p)
    return c


def grouped_of(rows: list[tuple[str, str, str]], fixed: bool) -> GroupedConfusion:
    g = GroupedConfusion(CLASSES, groups=("a", "b") if fixed else None, max_groups=3)
    for group, a, p in rows:
        g.update(group, a, p)
    return g


def calibration_of(rows: list[tuple[float, int]]) -> CalibrationBins:
    c = CalibrationBins(4)
    for p, y in rows:
        c.update(p, y)
    return c


def regression_of(rows: list[tuple[float, float]]) -> RegressionErrors:
    r = RegressionErrors()
    for p, y in rows:
        r.update(p, y)
    return r


def test_confusion_counts_cells_and_unknown() -> None:
    c = confusion_of([("1", 1), ("1", "0"), ("0", 0.0), ("0", "1"), ("0", "1"), ("2", "1")])
    assert c.counts == [[1, 2], [1, 1]]
    assert c.unknown == 1
    assert c.total == 5
    assert c.matrix().tolist() == [[1, 2], [1, 1]]


@pytest.mark.parametrize("classes", [("1",), ("a", "a")])
def test_confusion_rejects_bad_classes(classes: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="ConfusionCounts"):
        ConfusionCounts(classes)


@given(pairs, pairs, pairs)
def test_confusion_laws(
    a: list[tuple[object, object]], b: list[tuple[object, object]], c: list[tuple[object, object]]
) -> None:
    x, y, z = confusion_of(a), confusion_of(b), confusion_of(c)
    assert x + y == y + x
    assert (x + y) + z == x + (y + z) == confusion_of(a + b + c)
    batch = ConfusionCounts(CLASSES).update_batch([r[0] for r in a], [r[1] for r in a])
    assert batch == x


@pytest.mark.parametrize("fixed", [True, False])
@given(a=grouped_rows, b=grouped_rows, c=grouped_rows)
def test_grouped_laws(
    fixed: bool, a: list[tuple[str, str, str]], b: list[tuple[str, str, str]], c: list[tuple[str, str, str]]
) -> None:
    x, y, z = grouped_of(a, fixed), grouped_of(b, fixed), grouped_of(c, fixed)
    assert x + y == y + x
    assert (x + y) + z == x + (y + z) == grouped_of(a + b + c, fixed)
    assert len(x.by_group) <= 4  # bounded: max_groups plus "other"


def test_grouped_keeps_smallest_names_whatever_the_order() -> None:
    g = GroupedConfusion(CLASSES, max_groups=2)
    for name in ["z", "y", "b", "a", "q"]:
        g.update(name, "1", "1")
    assert sorted(g.by_group) == [OTHER_GROUP, "a", "b"]
    assert g.by_group[OTHER_GROUP].total == 3


def test_grouped_fixed_groups_and_mismatch() -> None:
    g = GroupedConfusion(CLASSES, groups=("f", "m")).update("f", "1", "0").update(None, "1", "1")
    assert g.by_group["f"].counts == [[0, 0], [1, 0]]
    assert g.by_group[OTHER_GROUP].total == 1
    with pytest.raises(ValueError, match="different classes or groups"):
        g.merge(GroupedConfusion(CLASSES, groups=("f",)))


@given(calibration_rows, calibration_rows)
def test_calibration_laws_and_batch(a: list[tuple[float, int]], b: list[tuple[float, int]]) -> None:
    x, y = calibration_of(a), calibration_of(b)
    assert (x + y).count == (y + x).count == calibration_of(a + b).count
    assert (x + y).invalid == calibration_of(a + b).invalid
    batch = CalibrationBins(4).update_batch([r[0] for r in a], [r[1] for r in a])
    assert batch.count == x.count
    assert batch.sum_y == x.sum_y
    assert batch.invalid == x.invalid
    np.testing.assert_allclose(batch.sum_p2, x.sum_p2)
    np.testing.assert_allclose(batch.sum_py, x.sum_py)


def test_calibration_bins_content() -> None:
    c = CalibrationBins(4)
    for p, y in [(0.1, 0), (0.3, 1), (1.0, 1), (0.25, 1), (-0.1, 0), (0.5, 3)]:
        c.update(p, y)
    assert c.count == [1, 2, 0, 1]
    assert c.sum_y == [0, 2, 0, 1]
    assert c.sum_p == pytest.approx([0.1, 0.55, 0.0, 1.0])
    assert c.sum_p2 == pytest.approx([0.01, 0.09 + 0.0625, 0.0, 1.0])
    assert c.sum_py == pytest.approx([0.0, 0.55, 0.0, 1.0])
    assert c.invalid == 2
    with pytest.raises(ValueError, match="4 and 5 bins"):
        c.merge(CalibrationBins(5))


@given(regression_rows, regression_rows)
def test_regression_laws_and_batch(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> None:
    x, y = regression_of(a), regression_of(b)
    pooled = regression_of(a + b)
    for merged in (x + y, y + x):
        assert merged.count == pooled.count
        assert merged.invalid == pooled.invalid
        assert merged.sum_squared_error == pytest.approx(pooled.sum_squared_error)
    batch = RegressionErrors().update_batch([r[0] for r in a], [r[1] for r in a])
    assert (batch.count, batch.invalid) == (x.count, x.invalid)
    assert batch.sum_abs_error == pytest.approx(x.sum_abs_error)


def test_regression_invalid_input_counted() -> None:
    r = RegressionErrors().update("x", 1.0).update(math.nan, 1.0).update(2.0, 1.0)  # type: ignore[arg-type]
    assert (r.count, r.invalid, r.sum_error) == (1, 2, 1.0)


@pytest.mark.parametrize(
    "sketch",
    [
        confusion_of([("1", "0"), ("0", "0"), ("3", "0")]),
        grouped_of([("a", "1", "0"), ("q", "0", "0")], fixed=False),
        grouped_of([("a", "1", "0"), ("q", "0", "0")], fixed=True),
        calibration_of([(0.3, 1), (0.9, 0), (2.0, 1)]),
        regression_of([(1.0, 2.0), (3.0, math.nan)]),
    ],
    ids=["confusion", "grouped-learned", "grouped-fixed", "calibration", "regression"],
)
def test_snapshots_round_trip(sketch: ConfusionCounts | GroupedConfusion | CalibrationBins | RegressionErrors) -> None:
    wire = json.loads(json.dumps(sketch.to_snapshot(), allow_nan=False))
    assert type(sketch).from_snapshot(wire) == sketch
    assert sketch.copy() == sketch
    assert sketch.empty_like() == type(sketch).from_snapshot(sketch.empty_like().to_snapshot())


def test_bad_outcome_snapshots() -> None:
    wire = confusion_of([("1", "0")]).to_snapshot()
    with pytest.raises(ValueError, match="2x2"):
        ConfusionCounts.from_snapshot(wire | {"counts": [[1, 0]]})
    with pytest.raises(ValueError, match="calibration-bins"):
        CalibrationBins.from_snapshot(wire)
