"""Drift distances on binned distributions, against scipy's exact functions on raw samples.

We test these aspects:
- PSI, Jensen-Shannon and Hellinger from sketches equal scipy's computation on the raw samples
  histogrammed independently (``np.histogram`` plus under/overflow) with the same edges: bound 1e-12;
- Wasserstein: ``distance <= scipy.stats.wasserstein_distance / std <= distance + bound`` on every
  case, heavy tails included; and the practical accuracy documented in docs/drift.md
  (``|distance - exact| <= 0.01`` reference standard deviations with the default bins);
- KS: ``lower <= scipy.stats.ks_2samp statistic <= upper``; ``|lower - exact| <= 0.01``; the p-value is
  never smaller than scipy's asymptotic p-value on the raw samples;
- chi-square equals ``scipy.stats.chi2_contingency(correction=False)`` on the raw category counts;
- laws: identical distributions give 0 (p-value 1); PSI is symmetric and non-negative (hypothesis);
- sparse-bin pooling and input validation.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import spatial, special, stats

from modelmonitor.stats.binning import fit_category_bins, fit_numeric_bins
from modelmonitor.stats.chi_square import chi_square
from modelmonitor.stats.hellinger import hellinger
from modelmonitor.stats.histograms import paired_counts, pool_sparse_bins
from modelmonitor.stats.jensen_shannon import jensen_shannon
from modelmonitor.stats.ks import ks
from modelmonitor.stats.psi import psi
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch
from modelmonitor.stats.wasserstein import wasserstein

Sampler = Callable[[np.random.Generator, int], np.ndarray]

N = 20_000
CASES: dict[str, tuple[Sampler, Sampler]] = {
    "normal-mean": (lambda r, n: r.normal(0, 1, n), lambda r, n: r.normal(0.3, 1, n)),
    "normal-same": (lambda r, n: r.normal(0, 1, n), lambda r, n: r.normal(0, 1, n)),
    "lognormal-sigma": (lambda r, n: r.lognormal(0, 0.75, n), lambda r, n: r.lognormal(0, 0.95, n)),
    "student-t3-scale": (lambda r, n: r.standard_t(3, n), lambda r, n: 1.3 * r.standard_t(3, n)),
    "pareto-tail": (lambda r, n: r.pareto(2.5, n), lambda r, n: r.pareto(2.0, n)),
    "uniform-widen": (lambda r, n: r.uniform(0, 10, n), lambda r, n: r.uniform(0, 11, n)),
    "bimodal-weight": (
        lambda r, n: np.where(r.random(n) < 0.3, r.normal(-2, 1, n), r.normal(2, 1, n)),
        lambda r, n: np.where(r.random(n) < 0.4, r.normal(-2, 1, n), r.normal(2, 1, n)),
    ),
    "exponential-out-of-range": (lambda r, n: r.exponential(1, n), lambda r, n: r.exponential(1, n) - 0.5),
    "poisson-discrete": (lambda r, n: r.poisson(3, n).astype(float), lambda r, n: r.poisson(3.4, n).astype(float)),
}


def samples(case: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ref_sampler, cur_sampler = CASES[case]
    return ref_sampler(rng, N), cur_sampler(rng, N)


def raw_histogram(values: np.ndarray, edges: tuple[float, ...]) -> np.ndarray:
    """Independent binning: numpy's histogram (last bin closed) plus under/overflow."""
    inner, _ = np.histogram(values, bins=np.asarray(edges))
    return np.concatenate([[np.sum(values < edges[0])], inner, [np.sum(values > edges[-1])]]).astype(float)


def sketches(case: str) -> tuple[np.ndarray, np.ndarray, NumericSketch, NumericSketch]:
    x, y = samples(case)
    bins = fit_numeric_bins(x)
    return x, y, NumericSketch.from_values(bins, x), NumericSketch.from_values(bins, y)


@pytest.mark.parametrize("case", sorted(CASES))
def test_bin_distances_equal_scipy_on_raw_histograms(case: str) -> None:
    x, y, sx, sy = sketches(case)
    hx, hy = raw_histogram(x, sx.bins.edges), raw_histogram(y, sx.bins.edges)
    assert sx.counts == hx.tolist()
    p, q = np.maximum(hx / hx.sum(), 1e-4), np.maximum(hy / hy.sum(), 1e-4)
    assert psi(sx.counts, sy.counts) == pytest.approx(
        float(np.sum(special.rel_entr(q, p) + special.rel_entr(p, q))), abs=1e-12
    )
    assert jensen_shannon(sx.counts, sy.counts) == pytest.approx(spatial.distance.jensenshannon(hx, hy), abs=1e-12)
    expected_h = spatial.distance.euclidean(np.sqrt(hx / hx.sum()), np.sqrt(hy / hy.sum())) / math.sqrt(2)
    assert hellinger(sx.counts, sy.counts) == pytest.approx(expected_h, abs=1e-12)


@pytest.mark.parametrize("case", sorted(CASES))
def test_wasserstein_brackets_scipy(case: str) -> None:
    x, y, sx, sy = sketches(case)
    result = wasserstein(sx, sy)
    exact = stats.wasserstein_distance(x, y) / np.std(x)
    assert result.distance <= exact + 1e-9
    assert exact <= result.upper + 1e-9
    assert abs(result.distance - exact) <= 0.01, (result, exact)


@pytest.mark.parametrize("case", sorted(CASES))
def test_wasserstein_bracket_holds_with_coarse_bins(case: str) -> None:
    # Ten plain quantile bins: the score may be further off, the bracket still holds.
    x, y = samples(case, seed=1)
    bins = fit_numeric_bins(x, tail_quantiles=())
    result = wasserstein(NumericSketch.from_values(bins, x), NumericSketch.from_values(bins, y), scale=1.0)
    exact = stats.wasserstein_distance(x, y)
    assert result.distance - 1e-9 <= exact <= result.upper + 1e-9


def test_wasserstein_heavy_tail_is_not_under_read() -> None:
    # The anchor case: lognormal sigma 0.75 -> 0.95 read 0.078 (exact 0.268) from 10 quantile bins without sums.
    x, y, sx, sy = sketches("lognormal-sigma")
    exact = stats.wasserstein_distance(x, y) / np.std(x)
    assert wasserstein(sx, sy).distance == pytest.approx(exact, rel=0.01)


@pytest.mark.parametrize("case", sorted(CASES))
def test_ks_brackets_scipy(case: str) -> None:
    x, y, sx, sy = sketches(case)
    result = ks(sx, sy)
    exact = stats.ks_2samp(x, y, method="asymp")
    assert result.lower <= exact.statistic + 1e-12
    assert exact.statistic <= result.upper + 1e-12
    assert exact.statistic - result.lower <= 0.01
    assert result.p_value >= exact.pvalue - 1e-12


@pytest.mark.parametrize("top_k", [3, 50])
def test_chi_square_equals_scipy_contingency(top_k: int) -> None:
    rng = np.random.default_rng(5)
    labels = np.array([f"v{i}" for i in range(8)], dtype=object)
    x = rng.choice(labels, 5000, p=np.full(8, 1 / 8))
    y = rng.choice(labels, 4000, p=[0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2])
    bins = fit_category_bins(x, top_k=top_k)
    result = chi_square(CategoricalSketch.from_values(bins, x).counts, CategoricalSketch.from_values(bins, y).counts)
    # Oracle: the raw labels, with those outside the top K relabelled "other".
    kept = set(bins.categories)
    relabel = np.vectorize(lambda v: v if v in kept else "~other")
    x_raw, y_raw = relabel(x), relabel(y)
    values = sorted(set(x_raw) | set(y_raw))
    table = np.array([[np.sum(x_raw == v) for v in values], [np.sum(y_raw == v) for v in values]])
    expected = stats.chi2_contingency(table, correction=False)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert result.dof == expected.dof
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize("case", ["normal-same", "lognormal-sigma", "poisson-discrete"])
def test_identical_distributions_score_zero(case: str) -> None:
    _, _, sx, _ = sketches(case)
    twice = sx.copy().merge(sx)  # same distribution, different size
    assert psi(sx.counts, twice.counts) == 0.0
    assert jensen_shannon(sx.counts, twice.counts) == 0.0
    assert hellinger(sx.counts, twice.counts) == pytest.approx(0.0, abs=1e-7)
    assert wasserstein(sx, twice).distance == pytest.approx(0.0, abs=1e-12)
    assert ks(sx, twice).lower == 0.0
    assert chi_square(sx.counts, twice.counts).p_value == pytest.approx(1.0)


counts = st.lists(st.integers(0, 1000), min_size=2, max_size=12)


@given(counts, counts)
def test_psi_symmetric_and_non_negative(a: list[int], b: list[int]) -> None:
    size = min(len(a), len(b))
    a, b = a[:size], b[:size]
    if sum(a) == 0 or sum(b) == 0:
        return
    assert psi(a, b) >= 0
    assert psi(a, b) == pytest.approx(psi(b, a), abs=1e-12)
    assert psi(a, a) == 0.0
    assert 0 <= jensen_shannon(a, b) <= math.sqrt(math.log(2)) + 1e-12
    assert 0 <= hellinger(a, b) <= 1.0


def test_pool_sparse_bins_keeps_totals() -> None:
    ref, cur = pool_sparse_bins([0, 10_000, 10, 9_990, 0], [3, 40, 0, 57, 1], min_expected=5)
    assert ref.tolist() == [10_000, 9_990, 10]
    assert cur.tolist() == [40, 57, 4]
    same = pool_sparse_bins([100, 100], [50, 50])
    assert same[0].tolist() == [100, 100]


@pytest.mark.parametrize(
    ("ref", "cur", "message"),
    [
        ([1, 2], [1, 2, 3], "same bins"),
        ([], [], "empty"),
        ([0, 0], [1, 1], "need data"),
        ([1, -1], [1, 1], "non-negative"),
    ],
)
def test_bad_histograms(ref: list[int], cur: list[int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        paired_counts(ref, cur)


def test_psi_epsilon_must_be_positive() -> None:
    with pytest.raises(ValueError, match="epsilon"):
        psi([1, 2], [2, 1], epsilon=0)


def test_sketch_distances_need_same_edges() -> None:
    a = NumericSketch.from_values(fit_numeric_bins(np.arange(100.0)), np.arange(100.0))
    b = NumericSketch.from_values(fit_numeric_bins(np.arange(50.0)), np.arange(50.0))
    with pytest.raises(ValueError, match="same bin edges"):
        wasserstein(a, b)
    with pytest.raises(ValueError, match="same bin edges"):
        ks(a, b)
