"""FeatureSketches: all of a model's feature sketches as one mergeable object.

We test these aspects:
- the inlined per-row paths (dict and list) count exactly what each sketch's own ``update`` counts,
  for odd values too (None, NaN, ±inf, ints, bools, strings and lists in any column, values at the
  edges, missing and unknown features), never raising — hypothesis;
- short and long positional rows; unknown feature names are counted, never raised;
- merge, copy, empty_like and snapshots (JSON round trip), and a window ring of FeatureSketches;
- built from a reference profile, over the profile's bins.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmonitor.api.profile import ReferenceProfile
from modelmonitor.stats.binning import CategoryBins, NumericBins, fit_numeric_bins
from modelmonitor.stats.features import FeatureSketches
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch
from modelmonitor.stats.windows import WindowRing

NAMES = ("x", "colour", "y")


def fresh() -> FeatureSketches:
    return FeatureSketches(
        {
            "x": NumericSketch(NumericBins((0.0, 1.0, 2.0))),
            "colour": CategoricalSketch(CategoryBins(("red", "blue"))),
            "y": NumericSketch(NumericBins((-5.0, 5.0))),
        }
    )


odd_values = st.one_of(
    st.none(),
    st.floats(min_value=-3, max_value=3),
    st.sampled_from([0.0, 1.0, 2.0, -5.0, 5.0, math.inf, -math.inf, math.nan, 1, 7, True, "red", "blue", "x"]),
    st.lists(st.integers(), max_size=1),
)
rows = st.lists(st.dictionaries(st.sampled_from([*NAMES, "extra"]), odd_values), max_size=20)


def reference_counts(data: list[dict[str, Any]]) -> FeatureSketches:
    """The slow path: each sketch's own update, one value at a time."""
    out = fresh()
    for row in data:
        for name in NAMES:
            out[name].update(row.get(name))
    return out


@settings(deadline=None)
@given(rows)
def test_update_row_equals_per_sketch_updates(data: list[dict[str, Any]]) -> None:
    fast = fresh()
    for row in data:
        fast.update_row(row)
    slow = reference_counts(data)
    for name in NAMES:
        assert fast[name] == slow[name]
    assert fast.rows == len(data)
    assert fast.unknown_features == sum("extra" in row for row in data)


@settings(deadline=None)
@given(rows)
def test_update_values_equals_update_row(data: list[dict[str, Any]]) -> None:
    by_name, by_position = fresh(), fresh()
    for row in data:
        by_name.update_row(row)
        by_position.update_values([row.get(name) for name in NAMES])
    assert by_position.sketches == by_name.sketches


def test_short_and_long_rows() -> None:
    fs = fresh().update_values([0.5]).update_values([0.5, "red", 1.0, "surplus"])
    assert fs["x"].counts == [0, 2, 0, 0]
    assert fs["colour"].nulls == 1
    assert fs["y"].nulls == 1
    assert fs.unknown_features == 1
    assert fs.rows == 2


def test_merge_copy_snapshot() -> None:
    a = fresh().update_row({"x": 0.5, "colour": "red", "y": 9.0})
    b = fresh().update_row({"x": 1.5, "colour": "green"})
    merged = a + b
    assert merged["x"].counts == [0, 1, 1, 0]
    assert merged.rows == 2
    assert a.rows == 1  # + left it alone
    wire = json.loads(json.dumps(merged.to_snapshot(), allow_nan=False))
    back = FeatureSketches.from_snapshot(wire)
    assert back == merged
    back.update_row({"x": 0.1})  # the rebuilt object's fast path writes into its own sketches
    assert back["x"].total == 3
    assert merged["x"].total == 2
    assert merged.empty_like() == fresh()
    twin = merged.copy()
    twin.update_values([0.5, "red", 0.0])
    assert twin["x"].total == 3
    assert merged["x"].total == 2
    with pytest.raises(ValueError, match="cannot merge feature sketches"):
        merged.merge(FeatureSketches({"x": NumericSketch(NumericBins((0.0, 1.0)))}))
    with pytest.raises(ValueError, match="unknown sketch type"):
        FeatureSketches.from_snapshot(wire | {"features": {"x": {"type": "nope"}}})


def test_merge_keeps_fast_path_bound() -> None:
    a, b = fresh(), fresh().update_row({"x": 0.5})
    a += b
    a.update_row({"x": 0.5})
    assert a["x"].counts == [0, 2, 0, 0]


def test_window_ring_of_feature_sketches() -> None:
    ring = WindowRing(fresh, bucket_seconds=60, n_buckets=3)
    ring.bucket(now=0).update_row({"x": 0.5})
    ring.bucket(now=70).update_row({"x": 1.5})
    assert ring.merged(120, now=70)["x"].counts == [0, 1, 1, 0]
    back = WindowRing.from_snapshot(json.loads(json.dumps(ring.to_snapshot())), fresh)
    assert back.merged(120, now=70) == ring.merged(120, now=70)


def test_from_profile() -> None:
    values = np.random.default_rng(1).normal(size=1000)
    numeric = NumericSketch.from_values(fit_numeric_bins(values), values).to_profile("x")
    colour = CategoricalSketch(CategoryBins(("red", "blue"))).update_batch(["red", "blue", "red"]).to_profile("colour")
    profile = ReferenceProfile(
        rows=1000, features=[numeric, colour], prediction=colour.model_copy(update={"name": "p"})
    )
    fs = FeatureSketches.from_profile(profile)
    assert fs.names == ("x", "colour")
    assert isinstance(fs["x"], NumericSketch)
    assert fs["x"].bins.edges == tuple(numeric.edges)
    assert fs["x"].total == 0
    assert FeatureSketches.from_profile(profile, include_prediction=True).names == ("x", "colour", "p")
