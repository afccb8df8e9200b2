"""Quality metrics from counts: classification, calibration, regression, fairness.

We test these aspects:
- classification metrics on a hand-computed confusion matrix (binary, and one-vs-rest multiclass);
- Brier score equals the mean squared error of the raw rows exactly; ECE equals the hand-computed
  binned value; both agree with a direct numpy computation on random rows;
- MAE/RMSE/bias/R² against numpy on random rows;
- fairness gaps (SPD, DIR, equal opportunity) on hand-computed groups, against a named or pooled reference;
- zero-division cases return None and never raise; unknown classes/groups raise a clear error;
- metrics of merged sketches equal metrics of the pooled rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from modelmonitor.stats.calibration import brier_score, expected_calibration_error, reliability
from modelmonitor.stats.classification import accuracy, binary_counts, fnr, fpr, precision, recall, selection_rate
from modelmonitor.stats.fairness import (
    disparate_impact_ratio,
    equal_opportunity_difference,
    statistical_parity_difference,
)
from modelmonitor.stats.outcome_sketches import CalibrationBins, ConfusionCounts, GroupedConfusion, RegressionErrors
from modelmonitor.stats.regression import mae, mean_error, r_squared, rmse


def binary() -> ConfusionCounts:
    # actual 1: 40 predicted 1 (TP), 10 predicted 0 (FN); actual 0: 5 predicted 1 (FP), 45 predicted 0 (TN)
    c = ConfusionCounts(("0", "1"))
    c.counts = [[45, 5], [10, 40]]
    return c


@pytest.mark.parametrize(
    ("metric", "expected"),
    [
        (accuracy, 85 / 100),
        (precision, 40 / 45),
        (recall, 40 / 50),
        (fpr, 5 / 50),
        (fnr, 10 / 50),
        (selection_rate, 45 / 100),
    ],
)
def test_binary_metrics_hand_computed(metric: object, expected: float) -> None:
    assert metric(binary()) == pytest.approx(expected)  # type: ignore[operator]


def test_positive_class_and_multiclass() -> None:
    c = binary()
    assert recall(c, positive="0") == pytest.approx(45 / 50)
    m = ConfusionCounts(("a", "b", "c"))
    m.counts = [[5, 1, 0], [2, 3, 1], [0, 0, 8]]
    assert binary_counts(m, "b").__dict__ == {"tp": 3, "fp": 1, "fn": 3, "tn": 13}
    assert accuracy(m) == pytest.approx(16 / 20)
    with pytest.raises(ValueError, match="positive class 'z'"):
        precision(m, "z")


@pytest.mark.parametrize("metric", [accuracy, precision, recall, fpr, fnr, selection_rate])
def test_empty_counts_give_none(metric: object) -> None:
    assert metric(ConfusionCounts(("0", "1"))) is None  # type: ignore[operator]


def test_no_predicted_positives_precision_none() -> None:
    c = ConfusionCounts(("0", "1")).update_batch(["1", "0"], ["0", "0"])
    assert precision(c) is None
    assert recall(c) == 0.0


def test_brier_and_ece_hand_computed() -> None:
    c = CalibrationBins(2).update_batch([0.9, 0.8, 0.2, 0.1], [1, 0, 0, 1])
    assert brier_score(c) == pytest.approx((0.01 + 0.64 + 0.04 + 0.81) / 4)
    # bin [0.5, 1]: mean p 0.85, rate 0.5; bin [0, 0.5): mean p 0.15, rate 0.5
    assert expected_calibration_error(c) == pytest.approx(0.5 * 0.35 + 0.5 * 0.35)
    points = reliability(c)
    assert [(p.count, p.positive_rate) for p in points] == [(2, 0.5), (2, 0.5)]
    assert brier_score(CalibrationBins()) is None
    assert expected_calibration_error(CalibrationBins()) is None
    assert reliability(CalibrationBins(1))[0].mean_probability is None


def test_calibration_against_numpy_and_merge() -> None:
    rng = np.random.default_rng(8)
    p = rng.random(5000)
    y = (rng.random(5000) < p**1.3).astype(int)
    halves = [
        CalibrationBins(10).update_batch(p[:2000], y[:2000]),
        CalibrationBins(10).update_batch(p[2000:], y[2000:]),
    ]
    merged = halves[0] + halves[1]
    assert brier_score(merged) == pytest.approx(float(np.mean((p - y) ** 2)), rel=1e-10)
    idx = np.minimum((p * 10).astype(int), 9)
    ece = sum(abs(p[idx == b].sum() - y[idx == b].sum()) for b in range(10)) / len(p)
    assert expected_calibration_error(merged) == pytest.approx(ece, rel=1e-10)


def test_regression_against_numpy() -> None:
    rng = np.random.default_rng(9)
    actual = rng.normal(5, 2, 3000)
    predicted = actual + rng.normal(0.3, 1, 3000)
    r = RegressionErrors().update_batch(predicted[:1000], actual[:1000]) + RegressionErrors().update_batch(
        predicted[1000:], actual[1000:]
    )
    e = predicted - actual
    assert mae(r) == pytest.approx(np.mean(np.abs(e)))
    assert rmse(r) == pytest.approx(np.sqrt(np.mean(e**2)))
    assert mean_error(r) == pytest.approx(np.mean(e))
    assert r_squared(r) == pytest.approx(1 - np.sum(e**2) / np.sum((actual - actual.mean()) ** 2))


def test_regression_empty_and_constant() -> None:
    assert mae(RegressionErrors()) is None
    assert rmse(RegressionErrors()) is None
    assert mean_error(RegressionErrors()) is None
    assert r_squared(RegressionErrors()) is None
    assert r_squared(RegressionErrors().update_batch([1.0, 2.0], [3.0, 3.0])) is None


def grouped() -> GroupedConfusion:
    g = GroupedConfusion(("0", "1"), groups=("f", "m", "x"))
    # f: 10 rows, predicted positive 3 (2 of 4 actual positives caught)
    g.by_group["f"].counts = [[5, 1], [2, 2]]
    # m: 10 rows, predicted positive 6 (4 of 5 actual positives caught)
    g.by_group["m"].counts = [[3, 2], [1, 4]]
    # x: 10 rows, predicted positive 5 (5 of 5)
    g.by_group["x"].counts = [[5, 0], [0, 5]]
    return g


def test_fairness_gaps_hand_computed() -> None:
    g = grouped()
    assert statistical_parity_difference(g, "f", "m") == pytest.approx(0.3 - 0.6)
    assert disparate_impact_ratio(g, "f", "m") == pytest.approx(0.3 / 0.6)
    assert equal_opportunity_difference(g, "f", "m") == pytest.approx(2 / 4 - 4 / 5)
    # Against all other groups pooled (m + x + the empty "other"): 11 positives of 20 predicted, 9 of 10 caught.
    assert statistical_parity_difference(g, "f") == pytest.approx(0.3 - 11 / 20)
    assert equal_opportunity_difference(g, "f") == pytest.approx(0.5 - 9 / 10)


def test_fairness_none_and_errors() -> None:
    g = grouped()
    g.by_group["m"].counts = [[5, 0], [5, 0]]  # m never predicted positive
    assert disparate_impact_ratio(g, "f", "m") is None
    empty = GroupedConfusion(("0", "1"), groups=("f", "m"))
    assert statistical_parity_difference(empty, "f", "m") is None
    assert equal_opportunity_difference(empty, "f", "m") is None
    with pytest.raises(ValueError, match="group 'q' is not tracked"):
        statistical_parity_difference(g, "q")
    with pytest.raises(ValueError, match="reference group 'q'"):
        disparate_impact_ratio(g, "f", "q")
