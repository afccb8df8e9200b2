"""The drift verdict (``judge``): default methods and thresholds, proven on the benchmark dataset.

We test these aspects:
- benchmarks/drift_data.py at 100k vs 100k: the default (and every method) flags exactly the five
  SHIFTED features; two random halves of the reference flag nothing;
- small windows: the false-alarm rate of the default thresholds stays near their 0.1 % design at
  n = 500 (simulated windows drawn from the reference), and a real shift is still caught;
- ``expected`` matches the simulated no-drift mean (the PSI bias ``(B-1)(1/n_ref + 1/n_cur)``);
- fewer than ``min_samples`` values gives "insufficient-samples", never drifted;
- the method names are the spec's DriftMethod values; p-value methods mean ``p < threshold``;
- explicit thresholds override; bad combinations raise errors naming the feature.
"""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.drift_data import SHIFTED, Frame, make_frames, random_halves

from modelmonitor.api.spec import DriftMethod
from modelmonitor.stats.binning import CategoryBins, NumericBins, fit_category_bins, fit_numeric_bins
from modelmonitor.stats.drift import METHODS, NUMERIC_ONLY, DriftResult, judge
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch

Sketch = NumericSketch | CategoricalSketch


@pytest.fixture(scope="module")
def frames() -> tuple[Frame, Frame]:
    return make_frames(100_000, 100_000)


@pytest.fixture(scope="module")
def bench(frames: tuple[Frame, Frame]) -> list[dict[str, Sketch]]:
    """Reference and current sketches of the benchmark frames."""
    return sketch_frames(*frames)


@pytest.fixture(scope="module")
def halves(frames: tuple[Frame, Frame]) -> list[dict[str, Sketch]]:
    """Sketches of two random halves of the reference (bins fitted on the first half)."""
    return sketch_frames(*random_halves(frames[0]))


def sketch_frames(reference: Frame, *others: Frame) -> list[dict[str, Sketch]]:
    out: list[dict[str, Sketch]] = [{} for _ in range(len(others) + 1)]
    for name, column in reference.items():
        if name.startswith("num"):
            nbins = fit_numeric_bins(column)
            for target, frame in zip(out, (reference, *others), strict=True):
                target[name] = NumericSketch.from_values(nbins, frame[name])
        else:
            cbins = fit_category_bins(column)
            for target, frame in zip(out, (reference, *others), strict=True):
                target[name] = CategoricalSketch.from_values(cbins, frame[name])
    return out


def flagged(reference: dict[str, Sketch], current: dict[str, Sketch], method: str) -> list[str]:
    results = [
        judge(name, reference[name], current[name], method=method)
        for name in reference
        if not (method in NUMERIC_ONLY and name.startswith("cat"))
    ]
    return [r.feature for r in results if r.drifted]


@pytest.mark.parametrize("method", ["auto", *METHODS])
def test_benchmark_flags_exactly_the_shifted_features(bench: list[dict[str, Sketch]], method: str) -> None:
    ref_sketches, cur_sketches = bench
    expected = [f for f in SHIFTED if not (method in NUMERIC_ONLY and f.startswith("cat"))]
    assert flagged(ref_sketches, cur_sketches, method) == expected


@pytest.mark.parametrize("method", ["auto", *METHODS])
def test_random_halves_flag_nothing(halves: list[dict[str, Sketch]], method: str) -> None:
    ref_sketches, cur_sketches = halves
    assert flagged(ref_sketches, cur_sketches, method) == []


def test_benchmark_result_fields(bench: list[dict[str, Sketch]]) -> None:
    ref_sketches, cur_sketches = bench
    result = judge("num_05", ref_sketches["num_05"], cur_sketches["num_05"])
    assert result.method == "psi"
    assert result.verdict == "drifted"
    assert result.samples == 100_000
    assert result.reference_samples == 100_000
    assert result.score > 100 * result.expected
    assert result.threshold == 0.01  # the effect-size floor governs at this size


def simulated_windows(reference: NumericSketch, n: int, trials: int, seed: int) -> list[NumericSketch]:
    """Current windows drawn from the reference's own bin distribution (no drift by construction)."""
    rng = np.random.default_rng(seed)
    p = np.asarray(reference.counts, dtype=float) / reference.total
    means = np.asarray(reference.sums) / np.maximum(reference.counts, 1)
    windows = []
    for counts in rng.multinomial(n, p, size=trials):
        window = reference.empty_like()
        window.counts = counts.tolist()
        window.sums = (counts * means).tolist()
        window.sumsq = float(np.sum(counts * means**2))
        windows.append(window)
    return windows


@pytest.mark.parametrize("method", ["psi", "jensen-shannon", "hellinger", "chi-square"])
def test_small_window_false_alarm_rate(bench: list[dict[str, Sketch]], method: str) -> None:
    reference = bench[0]["num_05"]
    assert isinstance(reference, NumericSketch)
    windows = simulated_windows(reference, 500, 2000, seed=11)
    alarms = sum(judge("num_05", reference, w, method=method).drifted for w in windows)
    assert alarms <= 10  # 0.1 % design -> 2 expected; 10 is far in the tail of Binomial(2000, 0.001)


def test_expected_psi_matches_simulated_null(bench: list[dict[str, Sketch]]) -> None:
    reference = bench[0]["num_00"]
    assert isinstance(reference, NumericSketch)
    windows = simulated_windows(reference, 2000, 1500, seed=12)
    results = [judge("num_00", reference, w) for w in windows]
    mean_score = float(np.mean([r.score for r in results]))
    # (B - 1)(1/n_ref + 1/n_cur) with B the bins left after pooling the 0.1 % tail bins (2 expected values each).
    bins_minus_one = results[0].expected / (1 / 100_000 + 1 / 2000)
    assert bins_minus_one == pytest.approx(round(bins_minus_one))
    assert 9 <= round(bins_minus_one) <= 13
    assert mean_score == pytest.approx(results[0].expected, rel=0.15)


def test_small_window_still_catches_a_real_shift(frames: tuple[Frame, Frame]) -> None:
    reference, current = frames
    bins = fit_numeric_bins(reference["num_00"])
    ref = NumericSketch.from_values(bins, reference["num_00"])
    cur = NumericSketch.from_values(bins, current["num_00"][:500])  # 0.5 sd mean shift, 500 rows
    result = judge("num_00", ref, cur)
    assert result.drifted
    assert result.threshold > 0.01  # the no-drift quantile governs at this size


def test_insufficient_samples() -> None:
    bins = CategoryBins(("a", "b"))
    ref = CategoricalSketch(bins).update_batch(["a"] * 600 + ["b"] * 400)
    cur = CategoricalSketch(bins).update_batch(["b"] * 499 + [None] * 100)
    result = judge("colour", ref, cur)
    assert (result.verdict, result.drifted, result.samples) == ("insufficient-samples", False, 499)
    assert result.score > 1  # still reported
    empty = judge("colour", ref, CategoricalSketch(bins))
    assert empty.verdict == "insufficient-samples"
    assert np.isnan(empty.score)
    assert judge("colour", ref, cur, min_samples=100).verdict == "drifted"


def test_method_names_match_the_spec() -> None:
    assert set(METHODS) | {"auto"} == {m.value for m in DriftMethod}
    bins = NumericBins((0.0, 1.0, 2.0))
    rng = np.random.default_rng(3)
    ref = NumericSketch.from_values(bins, rng.uniform(0, 2, 2000))
    cur = NumericSketch.from_values(bins, rng.uniform(0, 2, 2000))
    for method in DriftMethod:
        result = judge("x", ref, cur, method=method)
        assert isinstance(result, DriftResult)
        assert result.method == ("psi" if method == DriftMethod.AUTO else method.value)
        assert result.verdict == "ok"


def test_p_value_methods_drift_below_threshold() -> None:
    bins = NumericBins((0.0, 1.0, 2.0))
    ref = NumericSketch.from_values(bins, np.linspace(0, 2, 5000))
    cur = NumericSketch.from_values(bins, np.linspace(0.5, 2.5, 5000))
    for method in ("ks", "chi-square"):
        result = judge("x", ref, cur, method=method)
        assert result.score < result.threshold
        assert result.drifted
        assert result.expected == 0.5
        relaxed = judge("x", ref, cur, method=method, threshold=0.0)
        assert not relaxed.drifted


def test_explicit_threshold_overrides() -> None:
    bins = CategoryBins(("a", "b"))
    ref = CategoricalSketch(bins).update_batch(["a"] * 600 + ["b"] * 400)
    cur = CategoricalSketch(bins).update_batch(["a"] * 580 + ["b"] * 420)
    assert not judge("c", ref, cur).drifted
    assert judge("c", ref, cur, threshold=1e-4).drifted
    assert judge("c", ref, cur, threshold=1e-4).threshold == 1e-4


def test_bad_calls_name_the_feature() -> None:
    nb = NumericSketch(NumericBins((0.0, 1.0)))
    cb = CategoricalSketch(CategoryBins(("a",)))
    with pytest.raises(TypeError, match="'f'"):
        judge("f", nb, cb)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'f': wasserstein needs a numeric"):
        judge("f", cb, cb, method="wasserstein")
    with pytest.raises(ValueError, match="unknown drift method 'kl'"):
        judge("f", cb, cb, method="kl")
    with pytest.raises(ValueError, match="different bins"):
        judge("f", nb, NumericSketch(NumericBins((0.0, 2.0))))
    with pytest.raises(ValueError, match="threshold"):
        judge("f", cb, cb, threshold=-1)
