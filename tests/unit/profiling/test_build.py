"""Building reference profiles from tables.

We test these aspects:
- numeric profiles equal the stats core's own path (oracle): edges are ``fit_numeric_bins``, counts and nulls
  equal ``NumericSketch.update_batch`` exactly and sums to rounding, on normal, heavy-tailed, tied, constant
  and edge-valued data with nulls; mean and std equal numpy's;
- categorical profiles: the top-K ranking equals ``fit_category_bins`` (ties by label), counts equal
  ``CategoricalSketch.update_batch``, unseen labels count as "other", nulls are counted;
- the profile of the example data: 25 features in file order, 20 numeric, nulls where the data has them;
- errors: empty columns, n_bins/top_k below 1.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from modelmonitor.api.profile import CategoricalProfile, NumericProfile
from modelmonitor.profiling.build import (
    build_profile,
    categorical_sketch,
    category_bins,
    numeric_profile,
    numeric_sketch,
    profile_column,
)
from modelmonitor.profiling.tables import CategoricalColumn, NumericColumn, Table, TableError, read_table
from modelmonitor.stats.binning import CategoryBins, NumericBins, fit_category_bins, fit_numeric_bins
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch

ROOT = Path(__file__).resolve().parents[3]


def _numeric_cases() -> dict[str, npt.NDArray[np.float64]]:
    rng = np.random.default_rng(3)
    with_nulls = rng.normal(size=2_000)
    with_nulls[rng.random(2_000) < 0.05] = np.nan
    return {
        "normal": rng.normal(5.0, 2.0, 3_000),
        "lognormal": rng.lognormal(0.0, 1.5, 3_000),
        "ties": rng.integers(0, 40, 3_000).astype(np.float64),
        "few-distinct": rng.integers(0, 3, 500).astype(np.float64),
        "constant": np.full(100, 7.25),
        "nulls": with_nulls,
        "single": np.array([1.0]),
    }


@pytest.mark.parametrize(("case", "values"), list(_numeric_cases().items()))
def test_numeric_profile_matches_the_sketch(case: str, values: npt.NDArray[np.float64]) -> None:
    profile = profile_column(NumericColumn(case, values), n_bins=10)
    assert isinstance(profile, NumericProfile)
    present = values[~np.isnan(values)]
    bins = fit_numeric_bins(present, n_bins=10)
    assert tuple(profile.edges) == bins.edges
    oracle = NumericSketch(bins).update_batch(values)
    assert profile.counts == oracle.counts
    assert profile.nulls == oracle.nulls == int(np.isnan(values).sum())
    np.testing.assert_allclose(profile.sums, oracle.sums, rtol=1e-12, atol=1e-9)
    assert profile.mean == pytest.approx(float(present.mean()), rel=1e-12)
    assert profile.std == pytest.approx(float(present.std()), rel=1e-9, abs=1e-12)


def test_current_values_on_and_beyond_the_edges() -> None:
    bins = NumericBins((0.0, 1.0, 2.0))
    values = np.array([-5.0, 0.0, 0.5, 1.0, 1.999, 2.0, 2.0000001, 9.0, np.nan])
    column = NumericColumn("x", values)
    profile = numeric_profile(column, bins)
    oracle = NumericSketch(bins).update_batch(values)
    assert profile.counts == oracle.counts == [1, 2, 3, 2]
    assert profile.sums == pytest.approx(oracle.sums)
    sketch = numeric_sketch(column, bins)
    assert sketch.counts == oracle.counts
    assert sketch.nulls == 1


def test_all_null_current_column_gives_an_empty_sketch() -> None:
    sketch = numeric_sketch(NumericColumn("x", np.full(4, np.nan)), NumericBins((0.0, 1.0)))
    assert sketch.counts == [0, 0, 0]
    assert sketch.nulls == 4


CATEGORICAL_CASES = {
    "zipf": [f"c{int(v)}" for v in np.random.default_rng(5).zipf(1.6, 2_000) % 50],
    "ties": ["b", "a", "c", "a", "b", "c", None, "d"],
    "nulls": ["x", None, "y", None, "x"],
}


@pytest.mark.parametrize(("case", "values"), list(CATEGORICAL_CASES.items()))
@pytest.mark.parametrize("top_k", [1, 3, 20])
def test_categorical_profile_matches_the_sketch(case: str, values: list[str | None], top_k: int) -> None:
    column = CategoricalColumn.from_values(case, values)
    bins = fit_category_bins(values, top_k=top_k)
    assert category_bins(column, top_k) == bins
    profile = profile_column(column, top_k=top_k)
    assert isinstance(profile, CategoricalProfile)
    oracle = CategoricalSketch(bins).update_batch(values)
    assert profile.categories == list(bins.categories)
    assert profile.counts == oracle.counts
    assert profile.nulls == oracle.nulls == values.count(None)


def test_unseen_labels_count_as_other() -> None:
    column = CategoricalColumn.from_values("c", ["a", "new", "b", "new", None])
    sketch = categorical_sketch(column, CategoryBins(("a", "b")))
    assert sketch.counts == [1, 1, 2]
    assert sketch.nulls == 1


def test_profile_of_the_example_data() -> None:
    table = read_table(ROOT / "examples" / "data" / "reference.csv")
    profile = build_profile(table)
    assert profile.rows == 5_000
    assert [feature.name for feature in profile.features] == table.names
    assert sum(feature.type == "numeric" for feature in profile.features) == 20
    assert profile.feature("num_03").nulls > 0
    assert profile.feature("cat_1").nulls > 0
    assert profile.feature("num_00").nulls == 0
    for feature in profile.features:
        assert feature.rows + feature.nulls == 5_000


def test_empty_columns_are_errors() -> None:
    with pytest.raises(TableError, match=r"column 'x' is empty"):
        profile_column(NumericColumn("x", np.full(3, np.nan)))
    with pytest.raises(TableError, match=r"column 'c' is empty"):
        profile_column(CategoricalColumn.from_values("c", [None, None]))


def test_bad_parameters() -> None:
    table = Table("t", 1, (NumericColumn("x", np.array([1.0])),))
    with pytest.raises(ValueError, match=r"n_bins must be at least 1"):
        build_profile(table, n_bins=0)
    with pytest.raises(ValueError, match=r"top_k must be at least 1"):
        build_profile(table, top_k=0)
