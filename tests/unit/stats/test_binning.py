"""Reference binning.

We test these aspects:
- bin membership: underflow, half-open inner bins, closed last inner bin, overflow, infinities;
- the vectorised ``indices`` agrees with ``index`` on every value, edges included;
- fitting: quantile edges, extra tail edges, ties collapse, discrete columns get one bin per value,
  a constant column works, NaN/inf ignored, bad arguments rejected with a clear message;
- categories: top-K most frequent first, deterministic tie-break, nulls never a category, "other".
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmonitor.stats.binning import CategoryBins, NumericBins, fit_category_bins, fit_numeric_bins


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (-math.inf, 0),
        (-0.5, 0),
        (0.0, 1),
        (0.99, 1),
        (1.0, 2),
        (2.0, 2),
        (math.nextafter(2.0, 3.0), 3),
        (5.0, 3),
        (math.inf, 3),
    ],
)
def test_index_bins_are_underflow_inner_closed_last_overflow(x: float, expected: int) -> None:
    bins = NumericBins((0.0, 1.0, 2.0))
    assert bins.n_bins == 4
    assert bins.index(x) == expected


@given(st.lists(st.floats(allow_nan=False, width=64), min_size=1, max_size=50))
def test_indices_agree_with_index(values: list[float]) -> None:
    bins = NumericBins((-1.0, 0.0, 0.5, 3.0))
    probe = [*values, -1.0, 0.0, 0.5, 3.0]
    assert bins.indices(np.array(probe)).tolist() == [bins.index(v) for v in probe]


@pytest.mark.parametrize("edges", [(), (1.0, 1.0), (2.0, 1.0), (0.0, math.nan), (0.0, math.inf)])
def test_bad_edges_rejected(edges: tuple[float, ...]) -> None:
    with pytest.raises(ValueError, match="NumericBins"):
        NumericBins(edges)


def test_fit_uses_quantiles_plus_tail_edges() -> None:
    values = np.random.default_rng(1).normal(size=10_000)
    bins = fit_numeric_bins(values, n_bins=10)
    expected = np.quantile(values, [0, 0.001, 0.01, *np.linspace(0.1, 0.9, 9), 0.99, 0.999, 1])
    np.testing.assert_allclose(bins.edges, expected)
    assert bins.n_bins == 16
    plain = fit_numeric_bins(values, n_bins=10, tail_quantiles=())
    assert len(plain.edges) == 11
    assert plain.edges[0] == values.min()
    assert plain.edges[-1] == values.max()


def test_fit_ties_collapse() -> None:
    # Half zeros, half continuous: the quantile edges at 0 collapse into one.
    rng = np.random.default_rng(2)
    values = np.concatenate([np.zeros(5000), rng.uniform(1, 2, 5000)])
    bins = fit_numeric_bins(values, n_bins=10, tail_quantiles=())
    assert bins.edges[0] == 0.0
    assert len(bins.edges) == len(set(bins.edges)) < 11
    counts = np.bincount(bins.indices(values), minlength=bins.n_bins)
    assert counts[1] == 5000  # the zeros' bin holds exactly the zeros


def test_fit_discrete_column_gets_one_bin_per_value() -> None:
    values = np.array([0, 1, 1, 2, 2, 2, 5], dtype=float)
    bins = fit_numeric_bins(values)
    counts = np.bincount(bins.indices(values), minlength=bins.n_bins).tolist()
    assert counts == [0, 1, 2, 3, 1, 0]


def test_fit_constant_column() -> None:
    bins = fit_numeric_bins(np.full(100, 3.5))
    assert [bins.index(v) for v in (3.4, 3.5, 3.6)] == [0, 1, 2]


def test_fit_ignores_nan_and_inf() -> None:
    bins = fit_numeric_bins(np.array([np.nan, 1.0, 2.0, np.inf, -np.inf]))
    assert bins.edges[0] == 1.0
    assert all(math.isfinite(e) for e in bins.edges)


@pytest.mark.parametrize(
    ("values", "kwargs", "message"),
    [
        (np.array([np.nan, np.inf]), {}, "no finite values"),
        (np.arange(10.0), {"n_bins": 0}, "n_bins"),
        (np.arange(10.0), {"tail_quantiles": (1.5,)}, "tail_quantiles"),
    ],
)
def test_fit_rejects_bad_input(values: np.ndarray, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fit_numeric_bins(values, **kwargs)  # type: ignore[arg-type]


def test_category_bins_top_k_and_ties() -> None:
    values = ["b", "a", "c", "a", "b", "d", None, float("nan"), "c", 7]
    bins = fit_category_bins(values, top_k=3)
    assert bins.categories == ("a", "b", "c")  # a, b, c tie at 2: alphabetical
    assert bins.n_bins == 4
    assert [bins.index(v) for v in ("a", "c", "d", "zzz")] == [0, 2, 3, 3]
    assert fit_category_bins(values, top_k=10).categories == ("a", "b", "c", "7", "d")


def test_category_index_matches_string_form_of_numbers() -> None:
    bins = CategoryBins(("1", "2"))
    assert bins.index(2) == 1  # type: ignore[arg-type]
    assert bins.index(3) == bins.other  # type: ignore[arg-type]


@pytest.mark.parametrize(("categories", "error"), [(("a", "a"), ValueError), ((1, 2), TypeError)])
def test_category_bins_reject_bad_lists(categories: tuple[object, ...], error: type[Exception]) -> None:
    with pytest.raises(error, match="CategoryBins"):
        CategoryBins(categories)  # type: ignore[arg-type]
