"""Numeric and categorical distribution sketches.

We test these aspects:
- per-row updates: nulls (None, NaN), infinities in under/overflow with finite sums, sums per bin;
- the numpy batch path equals the per-row path (counts exactly, sums to rounding);
- laws (hypothesis): merge is commutative and associative and equals counting the pooled rows;
  ``+`` leaves operands alone; ``copy`` is independent; ``empty_like`` is zero;
- merging different bins raises ValueError with a clear message;
- snapshots survive a JSON round trip, and bad snapshots raise ValueError naming the field;
- mean/std from the sketch match numpy; profiles convert both ways;
- odd input: strings to a numeric sketch raise a TypeError naming the type; unhashable or numeric
  categories never crash.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmonitor.stats.binning import CategoryBins, NumericBins, fit_numeric_bins
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch

BINS = NumericBins((-1.0, 0.0, 1.0, 2.0))
CATS = CategoryBins(("a", "b", "c"))

values_strategy = st.lists(
    st.one_of(st.none(), st.floats(min_value=-5, max_value=5), st.just(math.inf), st.just(-math.inf)),
    max_size=40,
)
categories_strategy = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "e"])), max_size=40)


def numeric_of(values: list[float | None]) -> NumericSketch:
    sketch = NumericSketch(BINS)
    for v in values:
        sketch.update(v)
    return sketch


def categorical_of(values: list[str | None]) -> CategoricalSketch:
    sketch = CategoricalSketch(CATS)
    for v in values:
        sketch.update(v)
    return sketch


def assert_numeric_close(a: NumericSketch, b: NumericSketch) -> None:
    assert a.counts == b.counts
    assert a.nulls == b.nulls
    np.testing.assert_allclose(a.sums, b.sums, atol=1e-9)
    assert a.sumsq == pytest.approx(b.sumsq, abs=1e-9)


def test_numeric_update_bins_nulls_and_infinities() -> None:
    sketch = numeric_of([None, math.nan, -math.inf, -3.0, -1.0, 0.5, 2.0, 2.5, math.inf])
    assert sketch.counts == [2, 1, 1, 1, 2]
    assert sketch.nulls == 2
    assert sketch.total == 7
    assert sketch.count == 9
    # -inf counts as the lowest edge, +inf as the highest: sums stay finite.
    assert sketch.sums == [-1.0 + -3.0, -1.0, 0.5, 2.0, 2.5 + 2.0]
    assert all(math.isfinite(s) for s in sketch.sums)


@given(values_strategy)
def test_numeric_batch_equals_rows(values: list[float | None]) -> None:
    batch = NumericSketch(BINS).update_batch(np.array([math.nan if v is None else v for v in values], dtype=float))
    assert_numeric_close(batch, numeric_of(values))


@given(values_strategy, values_strategy, values_strategy)
def test_numeric_merge_laws(a: list[float | None], b: list[float | None], c: list[float | None]) -> None:
    sa, sb, sc = numeric_of(a), numeric_of(b), numeric_of(c)
    assert_numeric_close(sa + sb, sb + sa)
    assert_numeric_close((sa + sb) + sc, sa + (sb + sc))
    assert_numeric_close(sa + sb + sc, numeric_of(a + b + c))
    assert sa == numeric_of(a)  # + left its operands alone


@given(categories_strategy, categories_strategy, categories_strategy)
def test_categorical_merge_laws(a: list[str | None], b: list[str | None], c: list[str | None]) -> None:
    sa, sb, sc = categorical_of(a), categorical_of(b), categorical_of(c)
    assert sa + sb == sb + sa
    assert (sa + sb) + sc == sa + (sb + sc)
    assert sa + sb + sc == categorical_of(a + b + c)
    assert CategoricalSketch(CATS).update_batch(a + b + c) == categorical_of(a + b + c)


def test_iadd_copy_and_empty_like() -> None:
    a = numeric_of([0.5, None])
    twin = a.copy()
    a += numeric_of([1.5])
    assert twin.total == 1
    assert a.total == 2
    assert a.empty_like() == NumericSketch(BINS)
    c = categorical_of(["a"])
    c_twin = c.copy()
    c += categorical_of(["b", None])
    assert (c_twin.total, c.total, c.nulls) == (1, 2, 1)
    assert c.empty_like() == CategoricalSketch(CATS)


def test_merge_with_other_bins_raises() -> None:
    with pytest.raises(ValueError, match="different bin edges"):
        NumericSketch(BINS).merge(NumericSketch(NumericBins((0.0, 1.0))))
    with pytest.raises(ValueError, match="different categories"):
        CategoricalSketch(CATS).merge(CategoricalSketch(CategoryBins(("a",))))
    with pytest.raises(TypeError, match="cannot merge"):
        NumericSketch(BINS).merge(CategoricalSketch(CATS))  # type: ignore[arg-type]


def test_categorical_counts_other_nulls_and_odd_values() -> None:
    sketch = CategoricalSketch(CATS)
    for v in ["a", "zz", None, math.nan, ["unhashable"], 3, "c"]:
        sketch.update(v)  # type: ignore[arg-type]
    assert sketch.counts == [1, 0, 1, 3]
    assert sketch.other == 3
    assert sketch.nulls == 2
    batch = CategoricalSketch(CATS).update_batch(np.array(["a", "zz", None, "c"], dtype=object))
    assert batch.counts == [1, 0, 1, 1]
    assert batch.nulls == 1


def test_numeric_rejects_strings_with_clear_error() -> None:
    with pytest.raises(TypeError, match="got str"):
        NumericSketch(BINS).update("1.0")  # type: ignore[arg-type]


@given(values_strategy)
def test_numeric_snapshot_json_round_trip(values: list[float | None]) -> None:
    sketch = numeric_of(values)
    wire = json.loads(json.dumps(sketch.to_snapshot(), allow_nan=False))
    assert wire["type"] == "numeric-sketch"
    assert wire["version"] == 1
    assert NumericSketch.from_snapshot(wire) == sketch


def test_categorical_snapshot_json_round_trip() -> None:
    sketch = categorical_of(["a", "b", "q", None])
    wire = json.loads(json.dumps(sketch.to_snapshot(), allow_nan=False))
    assert CategoricalSketch.from_snapshot(wire) == sketch


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"type": "categorical-sketch"}, "expected a 'numeric-sketch'"),
        ({"version": 99}, "version 99"),
        ({"counts": [1, 2]}, "'counts' needs 5"),
        ({"counts": [1, -2, 0, 0, 0]}, "non-negative"),
        ({"edges": [1.0, 0.0]}, "bad edges"),
        ({"nulls": "x"}, "'nulls'"),
        ({"sums": "x"}, "'sums' must be a list"),
    ],
)
def test_numeric_bad_snapshots(patch: dict[str, Any], message: str) -> None:
    wire = numeric_of([0.5]).to_snapshot() | patch
    with pytest.raises(ValueError, match=message):
        NumericSketch.from_snapshot(wire)


def test_missing_field_named() -> None:
    wire = numeric_of([0.5]).to_snapshot()
    del wire["sumsq"]
    with pytest.raises(ValueError, match="lacks field 'sumsq'"):
        NumericSketch.from_snapshot(wire)
    with pytest.raises(ValueError, match="categories"):
        CategoricalSketch.from_snapshot({"type": "categorical-sketch", "version": 1, "categories": [1]})


def test_mean_and_std_match_numpy() -> None:
    values = np.random.default_rng(3).lognormal(0, 1, 5000)
    sketch = NumericSketch.from_values(fit_numeric_bins(values), values)
    assert sketch.mean == pytest.approx(values.mean(), rel=1e-12)
    assert sketch.std == pytest.approx(values.std(), rel=1e-9)
    assert math.isnan(NumericSketch(BINS).mean)
    assert math.isnan(NumericSketch(BINS).std)


def test_profiles_round_trip() -> None:
    values = np.random.default_rng(4).normal(3, 2, 2000)
    values[::100] = np.nan
    sketch = NumericSketch.from_values(fit_numeric_bins(values), values)
    profile = sketch.to_profile("x")
    assert profile.rows == sketch.total
    assert profile.nulls == 20
    back = NumericSketch.from_profile(profile)
    assert back.counts == sketch.counts
    assert back.sums == sketch.sums
    assert back.std == pytest.approx(sketch.std, rel=1e-9)
    cats = categorical_of(["a", "a", "x", None])
    assert CategoricalSketch.from_profile(cats.to_profile("c")) == cats


@settings(max_examples=20)
@given(st.lists(st.floats(min_value=-1e6, max_value=1e6), min_size=1, max_size=200))
def test_sketch_totals_match_input(values: list[float]) -> None:
    sketch = NumericSketch.from_values(BINS, np.array(values))
    assert sketch.total == len(values)
    assert sum(sketch.sums) == pytest.approx(math.fsum(values), abs=1e-6 * max(1.0, max(map(abs, values))))
