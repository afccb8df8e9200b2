"""Canary gates: canary against stable, with insufficient evidence kept apart from failure.

We test these aspects:
- Jensen-Shannon distance equals scipy.spatial.distance.jensenshannon (natural log), is symmetric,
  zero on proportional histograms, bounded by sqrt(ln 2), and rejects mismatched or empty input;
- Wilson bounds equal scipy's binomtest(...).proportion_ci(method="wilson");
- each gate's pass, fail and insufficient verdicts, with value, threshold, samples and window;
- the error ratio is conservative: one error in a small canary passes, 5% against 0.1% fails,
  and a stable version with no error gives a finite ratio;
- disabled gates are absent; the traffic gate is always present;
- overall verdict precedence: fail > insufficient > pass;
- cohort observations reject impossible counts, naming the field;
- the reason dict is JSON-safe (no NaN or infinity);
- distribution gates fail only beyond the no-shift noise level (chi-square quantile within 2% of
  scipy, matched by simulation): identical models at minimum traffic rarely fail, gross shifts do.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.spatial.distance import jensenshannon
from scipy.stats import binomtest, chi2, norm

from modelmonitor.api.spec import Gates
from modelmonitor.rollout.gates import (
    CohortObservation,
    GateResult,
    Verdict,
    evaluate_gates,
    evaluate_guard,
    overall_verdict,
    shift_noise_level,
    wilson_interval,
)
from modelmonitor.stats.jensen_shannon import jensen_shannon

ALL_GATES = Gates(
    max_burn_rate=2.0,
    max_error_ratio=2.0,
    max_latency_p99_ratio=1.5,
    max_prediction_shift=0.1,
    max_accuracy_drop=0.02,
)


def cohort(requests: int = 1000, **overrides: Any) -> CohortObservation:
    values: dict[str, Any] = {
        "requests": requests,
        "errors": requests // 1000,
        "latency_p99_seconds": 0.1,
        "burn_rate": 1.0,
        "prediction_histogram": (requests * 0.5, requests * 0.3, requests * 0.2),
        "labelled": requests // 2,
        "accuracy": 0.9,
        "window_seconds": 300.0,
    }
    values.update(overrides)
    return CohortObservation(**values)


def by_gate(results: list[GateResult]) -> dict[str, GateResult]:
    return {r.gate: r for r in results}


# -- Jensen-Shannon -------------------------------------------------------------------------


# -- Wilson --------------------------------------------------------------------------------


@given(trials=st.integers(1, 100000), data=st.data())
def test_wilson_matches_scipy(trials: int, data: st.DataObject) -> None:
    successes = data.draw(st.integers(0, trials))
    expected = binomtest(successes, trials).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(successes, trials)
    assert low == pytest.approx(expected.low, abs=1e-9)
    assert high == pytest.approx(expected.high, abs=1e-9)


@pytest.mark.parametrize(("successes", "trials"), [(0, 0), (3, 2), (-1, 5)])
def test_wilson_rejects_bad_counts(successes: int, trials: int) -> None:
    with pytest.raises(ValueError, match=r"trials|successes"):
        wilson_interval(successes, trials)


# -- gates -----------------------------------------------------------------------------------


def test_healthy_canary_passes_every_gate() -> None:
    results = evaluate_gates(ALL_GATES, cohort(), cohort(9000), min_samples=200, min_labels=100)
    assert [r.gate for r in results] == [
        "traffic",
        "burn-rate",
        "error-ratio",
        "latency-p99-ratio",
        "prediction-shift",
        "accuracy-drop",
    ]
    assert all(r.verdict is Verdict.PASS for r in results), [r.message for r in results]
    assert overall_verdict(results) is Verdict.PASS


def test_disabled_gates_are_absent_but_traffic_stays() -> None:
    none = Gates(max_burn_rate=None, max_latency_p99_ratio=None, max_prediction_shift=None)
    results = evaluate_gates(none, cohort(50), cohort(), min_samples=200)
    assert [r.gate for r in results] == ["traffic"]
    assert overall_verdict(results) is Verdict.INSUFFICIENT


@pytest.mark.parametrize(
    ("gate", "canary_changes", "value", "threshold"),
    [
        ("burn-rate", {"burn_rate": 50.0}, 50.0, 2.0),
        ("latency-p99-ratio", {"latency_p99_seconds": 0.3}, 3.0, 1.5),
        ("accuracy-drop", {"accuracy": 0.8}, 0.1, 0.02),
    ],
)
def test_failing_gate_reports_value_threshold_samples_and_window(
    gate: str, canary_changes: dict[str, Any], value: float, threshold: float
) -> None:
    results = by_gate(evaluate_gates(ALL_GATES, cohort(**canary_changes), cohort(9000), min_samples=200))
    result = results[gate]
    assert result.verdict is Verdict.FAIL
    assert result.value == pytest.approx(value)
    assert result.threshold == threshold
    assert result.window_seconds == 300.0
    assert f"{value:.4g} > {threshold:.4g}" in result.message
    assert "window 5m" in result.message
    reason = result.to_reason()
    assert reason["gate"] == gate
    assert reason["window"] == "5m"
    assert reason["samples"] == result.samples > 0


def test_error_ratio_is_conservative() -> None:
    gates = Gates(max_burn_rate=None, max_error_ratio=2.0, max_latency_p99_ratio=None, max_prediction_shift=None)
    stable = cohort(4000, errors=0)

    one_error = by_gate(evaluate_gates(gates, cohort(200, errors=1), stable, min_samples=200))["error-ratio"]
    assert one_error.verdict is Verdict.PASS  # 0.5% on 200 requests is not evidence of a 2x regression

    bad = by_gate(evaluate_gates(gates, cohort(200, errors=10), cohort(4000, errors=4), min_samples=200))
    result = bad["error-ratio"]
    assert result.verdict is Verdict.FAIL
    low, _ = wilson_interval(10, 200)
    _, high = wilson_interval(4, 4000)
    assert result.value == pytest.approx(low / high)
    assert "canary 5.00% of 200 requests vs stable 0.10% of 4000" in result.message
    assert math.isfinite(result.value or math.inf)


def test_prediction_shift_fails_on_shifted_predictions() -> None:
    shifted = cohort(prediction_histogram=(200.0, 300.0, 500.0))
    result = by_gate(evaluate_gates(ALL_GATES, shifted, cohort(9000), min_samples=200))["prediction-shift"]
    expected = float(jensenshannon([200, 300, 500], [4500, 2700, 1800]))
    assert result.verdict is Verdict.FAIL
    assert result.value == pytest.approx(expected)
    assert result.samples == 1000


def test_prediction_histograms_must_share_bins() -> None:
    with pytest.raises(ValueError, match="prediction histograms differ in bins: canary 2, stable 3"):
        evaluate_gates(ALL_GATES, cohort(prediction_histogram=(500.0, 500.0)), cohort(), min_samples=200)


@pytest.mark.parametrize(
    ("gate", "canary_changes", "stable_changes"),
    [
        ("traffic", {"requests": 150}, {}),
        ("burn-rate", {"burn_rate": None}, {}),
        ("burn-rate", {"requests": 150}, {}),
        ("error-ratio", {}, {"requests": 10, "errors": 0}),
        ("latency-p99-ratio", {"latency_p99_seconds": None}, {}),
        ("prediction-shift", {"prediction_histogram": (50.0, 50.0, 50.0)}, {}),
        ("prediction-shift", {}, {"prediction_histogram": ()}),
        ("accuracy-drop", {"labelled": 99}, {}),
        ("accuracy-drop", {"accuracy": None}, {}),
    ],
)
def test_insufficient_evidence_is_never_a_failure(
    gate: str, canary_changes: dict[str, Any], stable_changes: dict[str, Any]
) -> None:
    # Even a disastrous canary value is not judged without enough samples.
    canary = cohort(**{"burn_rate": 1000.0, "latency_p99_seconds": 9.0, **canary_changes})
    stable = cohort(**{"requests": 9000, **stable_changes})
    results = by_gate(evaluate_gates(ALL_GATES, canary, stable, min_samples=200))
    result = results[gate]
    assert result.verdict is Verdict.INSUFFICIENT
    assert result.value is None
    assert result.to_reason()["value"] is None


def test_feature_drift_gate_takes_the_worst_feature() -> None:
    features = {"amount": (100.0, 100.0, 800.0), "country": (500.0, 500.0)}
    canary = cohort(feature_histograms=features)
    stable = cohort(9000, feature_histograms={"amount": (3000.0, 3000.0, 3000.0), "country": (4500.0, 4500.0)})
    result = by_gate(evaluate_gates(ALL_GATES, canary, stable, min_samples=200, max_feature_drift=0.1))["feature-drift"]
    assert result.verdict is Verdict.FAIL
    assert result.value == pytest.approx(float(jensenshannon([1, 1, 8], [1, 1, 1])))
    assert "'amount'" in result.message


def test_feature_drift_without_shared_features_is_insufficient() -> None:
    canary = cohort(feature_histograms={"a": (1000.0,)})
    result = by_gate(evaluate_gates(ALL_GATES, canary, cohort(), min_samples=200, max_feature_drift=0.1))
    assert result["feature-drift"].verdict is Verdict.INSUFFICIENT


def test_guard_uses_absolute_gates_only() -> None:
    results = evaluate_guard(ALL_GATES, cohort(burn_rate=3.0), min_samples=200)
    assert [r.gate for r in results] == ["traffic", "burn-rate"]
    assert overall_verdict(results) is Verdict.FAIL


def test_tiny_latencies_are_floored_not_divided_by_zero() -> None:
    canary = cohort(latency_p99_seconds=0.0005)
    stable = cohort(latency_p99_seconds=0.0)
    result = by_gate(evaluate_gates(ALL_GATES, canary, stable, min_samples=200))["latency-p99-ratio"]
    assert result.value == pytest.approx(1.0)


def test_nan_value_fails_and_reason_stays_json_safe() -> None:
    results = evaluate_gates(ALL_GATES, cohort(burn_rate=math.inf), cohort(), min_samples=200)
    burn = by_gate(results)["burn-rate"]
    assert burn.verdict is Verdict.FAIL
    json.dumps(burn.to_reason(), allow_nan=False)


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ([Verdict.PASS, Verdict.INSUFFICIENT, Verdict.FAIL], Verdict.FAIL),
        ([Verdict.PASS, Verdict.INSUFFICIENT], Verdict.INSUFFICIENT),
        ([Verdict.PASS, Verdict.PASS], Verdict.PASS),
    ],
)
def test_overall_verdict_precedence(verdicts: list[Verdict], expected: Verdict) -> None:
    results = [GateResult("g", v, None, None, 0, 0.0, "") for v in verdicts]
    assert overall_verdict(results) is expected


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"requests": -1, "errors": 0}, "requests"),
        ({"errors": 2000}, "errors"),
        ({"labelled": -3}, "labelled"),
        ({"accuracy": 1.5}, "accuracy"),
        ({"latency_p99_seconds": -0.1}, "latency_p99_seconds"),
        ({"burn_rate": math.nan}, "burn_rate"),
        ({"window_seconds": -1.0}, "window_seconds"),
        ({"prediction_histogram": (1.0, -1.0)}, "prediction_histogram"),
        ({"feature_histograms": {"amount": (-1.0,)}}, "amount"),
    ],
)
def test_cohort_rejects_impossible_counts(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        cohort(**changes)


def test_evaluate_gates_rejects_nonsense_minimums() -> None:
    with pytest.raises(ValueError, match="min_samples"):
        evaluate_gates(ALL_GATES, cohort(), cohort(), min_samples=0)
    with pytest.raises(ValueError, match="min_labels"):
        evaluate_gates(ALL_GATES, cohort(), cohort(), min_samples=1, min_labels=0)


# -- distribution gates at the noise floor ---------------------------------------------------


@pytest.mark.parametrize("dof", [1, 2, 3, 5, 9, 19, 49, 99, 199])
@pytest.mark.parametrize("quantile", [0.99, 0.999])
def test_noise_level_chi_square_quantile_is_within_two_percent_of_scipy(dof: int, quantile: float) -> None:
    n = 1000.0
    canary_histogram = [n / (dof + 1)] * (dof + 1)
    level = shift_noise_level(canary_histogram, canary_histogram, z=float(norm.ppf(quantile)))
    n_eff = n / 2
    exact = math.sqrt(float(chi2.ppf(quantile, dof)) / (8 * n_eff))
    assert level == pytest.approx(exact, rel=0.02)
    assert level >= exact * 0.995  # where the approximation errs, it errs towards holding


def test_noise_level_matches_simulated_identical_models() -> None:
    rng = np.random.default_rng(7)
    probabilities = np.full(10, 0.1)
    distances = [
        jensen_shannon(list(rng.multinomial(100, probabilities)), list(rng.multinomial(1000, probabilities)))
        for _ in range(3000)
    ]
    simulated = float(np.quantile(distances, 0.99))
    assert shift_noise_level([10] * 10, [100] * 10, z=float(norm.ppf(0.99))) == pytest.approx(simulated, rel=0.1)


def test_identical_models_at_minimum_traffic_rarely_fail_the_prediction_gate() -> None:
    # 20 prediction bins, 200 canary predictions: the raw distance of two identical models is
    # around 0.11, over the 0.1 threshold half the time. Only shifts beyond the noise level fail.
    rng = np.random.default_rng(11)
    probabilities = rng.dirichlet(np.full(20, 5.0))
    gates = Gates(max_burn_rate=None, max_latency_p99_ratio=None, max_prediction_shift=0.1)
    raw_over_threshold = 0
    failures = 0
    trials = 400
    for _ in range(trials):
        canary_counts = tuple(float(c) for c in rng.multinomial(200, probabilities))
        stable_counts = tuple(float(c) for c in rng.multinomial(5000, probabilities))
        result = by_gate(
            evaluate_gates(
                gates,
                cohort(200, prediction_histogram=canary_counts),
                cohort(5000, prediction_histogram=stable_counts),
                min_samples=200,
            )
        )["prediction-shift"]
        raw_over_threshold += (result.value or 0.0) > 0.1
        failures += result.verdict is Verdict.FAIL
    assert raw_over_threshold > trials * 0.3  # a plain threshold would roll back healthy canaries
    assert failures <= trials * 0.01


def test_a_gross_shift_fails_even_on_little_traffic() -> None:
    canary_counts = (150.0, 30.0, 20.0) + (0.0,) * 17
    stable_counts = (250.0,) * 20
    result = by_gate(
        evaluate_gates(
            ALL_GATES,
            cohort(200, prediction_histogram=canary_counts),
            cohort(5000, prediction_histogram=stable_counts),
            min_samples=200,
        )
    )["prediction-shift"]
    assert result.verdict is Verdict.FAIL


def test_a_shift_within_the_noise_waits_with_its_value() -> None:
    rng = np.random.default_rng(3)
    probabilities = np.full(20, 0.05)
    for _ in range(50):
        canary_counts = tuple(float(c) for c in rng.multinomial(200, probabilities))
        result = by_gate(
            evaluate_gates(
                ALL_GATES,
                cohort(200, prediction_histogram=canary_counts),
                cohort(5000, prediction_histogram=(250.0,) * 20),
                min_samples=200,
            )
        )["prediction-shift"]
        if result.verdict is Verdict.INSUFFICIENT:
            assert result.value is not None
            assert result.value > 0.1
            assert "within the no-shift noise level" in result.message
            return
    pytest.fail("no draw landed between the threshold and the noise level")
