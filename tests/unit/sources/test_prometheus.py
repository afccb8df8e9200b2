"""The Prometheus source's drift queries and how their vectors become snapshot-shaped feature counts.

We test these aspects:
- which reference columns are read (the recorder's binning rule: types of spec and profile agree);
- bin series become a sketch on the reference's edges or categories, missing bins are 0, and a
  feature without series or with bins outside the reference is left out (no data, never zeros);
- numeric sums are estimated from the reference's per-bin means; nulls and violations are mapped;
- the drift window (and only it) asks the bin, null, violation, row and prediction queries, selected by model,
  and evaluation judges the result exactly as it judges a sidecar sketch with the same counts.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelmonitor.analysis.evaluate import evaluate
from modelmonitor.api.profile import CategoricalProfile, NumericProfile, ReferenceProfile
from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.sources.base import Collection
from modelmonitor.sources.prometheus import (
    PrometheusSource,
    Vector,
    binned_sketch,
    feature_counts,
    profiled_features,
)
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch

AMOUNT = NumericProfile(
    name="amount", edges=[0.0, 10.0, 20.0], counts=[0, 50, 50, 0], sums=[0.0, 250.0, 750.0, 0.0], mean=10.0, std=5.0
)
COUNTRY = CategoricalProfile(name="country", categories=["de", "fr"], counts=[60, 30, 10])
SCORE = NumericProfile(
    name="prediction", edges=[0.5], counts=[50, 50], sums=[12.5, 37.5], mean=0.5, std=0.25
)  # fmt: skip
REFERENCE = ReferenceProfile(rows=100, features=[AMOUNT, COUNTRY], prediction=SCORE)


def spec(**fields: Any) -> ModelMonitorSpec:
    return ModelMonitorSpec.model_validate({"target": {"deployment": "m"}, **fields})


def series(feature: str | None, **counts: float) -> Vector:
    base = {} if feature is None else {"feature": feature}
    return [({**base, "bin": index.removeprefix("b")}, value) for index, value in counts.items()]


@pytest.mark.parametrize(
    ("features", "reference", "expected"),
    [
        ([], None, []),
        ([], REFERENCE, ["amount", "country"]),
        ([{"name": "amount"}, {"name": "country", "type": "categorical"}], REFERENCE, ["amount", "country"]),
        ([{"name": "amount", "type": "categorical"}, {"name": "country"}], REFERENCE, []),  # default bins
        ([{"name": "other"}, {"name": "amount"}], REFERENCE, ["amount"]),
    ],
)
def test_profiled_features_follow_the_recorders_binning(
    features: list[dict[str, str]], reference: ReferenceProfile | None, expected: list[str]
) -> None:
    assert [p.name for p in profiled_features(spec(features=features), reference)] == expected


def test_numeric_bins_become_a_sketch_on_the_reference_edges() -> None:
    sketch = binned_sketch(AMOUNT, series("amount", b1=3.4, b2=7.0, b3=1.0), nulls=2, invalid=1)
    assert sketch is not None
    parsed = NumericSketch.from_snapshot(sketch)
    assert parsed.bins.edges == (0.0, 10.0, 20.0)
    assert parsed.counts == [0, 3, 7, 1]  # bin 0 had no series: 0; increase() is rounded to whole events
    assert (parsed.nulls, parsed.invalid) == (2, 1)
    # Reference means 5 and 15 in the inner bins; the empty overflow bin falls back to its edge, 20.
    assert parsed.sums == [0.0, 15.0, 105.0, 20.0]
    assert parsed.sumsq == pytest.approx(3 * 25 + 7 * 225 + 400)


def test_categorical_bins_are_the_reference_categories_then_other() -> None:
    sketch = binned_sketch(COUNTRY, series("country", b0=5, b2=4), nulls=1, invalid=0)
    assert sketch is not None
    parsed = CategoricalSketch.from_snapshot(sketch)
    assert (parsed.bins.categories, parsed.counts, parsed.nulls) == (("de", "fr"), [5, 0, 4], 1)


@pytest.mark.parametrize(
    "vector",
    [
        [],  # no series: no data
        series("amount", b0=1, b4=2),  # bin 4 of 4 bins: binned on other edges
        series("amount", bx=1),
        series("amount", **{"b-1": 1}),
    ],
)
def test_no_series_or_foreign_bins_give_no_sketch(vector: Vector) -> None:
    assert binned_sketch(AMOUNT, vector, nulls=0, invalid=0) is None


def test_feature_counts_leave_out_features_without_series_and_map_violations() -> None:
    bins = series("amount", b1=10, b2=5)
    nulls = [({"feature": "amount"}, 3.0), ({"feature": "country"}, 9.0)]
    violations = [
        ({"feature": "amount", "kind": "wrong_type"}, 2.0),
        ({"feature": "amount", "kind": "out_of_range"}, 1.0),
        ({"feature": "amount", "kind": "surprise"}, 7.0),
    ]
    entries = feature_counts([AMOUNT, COUNTRY], bins, nulls, violations)
    assert list(entries) == ["amount"]  # country has nulls but no bin series: no data, not zeros
    entry = entries["amount"]
    assert {k: v for k, v in entry.items() if k != "sketch"} == {
        "missing": 0,
        "wrongType": 2,
        "outOfRange": 1,
        "notAllowed": 0,
    }
    assert (entry["sketch"]["counts"], entry["sketch"]["nulls"], entry["sketch"]["invalid"]) == ([0, 10, 5, 0], 3, 2)


class Canned(PrometheusSource):
    """Answers each query from a table keyed by metric name, and records the expressions."""

    def __init__(self, monitor: ModelMonitorSpec, answers: dict[str, Vector], reference: ReferenceProfile) -> None:
        super().__init__(None, monitor, model='fr"aud', url="http://prometheus", reference=reference)  # type: ignore[arg-type]
        self.answers = answers
        self.asked: list[str] = []

    async def query(self, expression: str, now: float) -> Vector:
        self.asked.append(expression)
        if expression.startswith("min_over_time"):
            return [({}, now - 7200.0)]
        return next((v for name, v in self.answers.items() if f"({name}{{" in expression), [])


async def test_the_drift_window_asks_for_bins_and_evaluation_judges_them_like_a_sidecar_sketch() -> None:
    monitor = spec(drift={"window": "30m", "minSamples": 10})
    drifted = series("amount", b1=2, b2=40)
    answers = {
        "modelmonitor_requests_total": [({"code": "2xx"}, 42.0)],
        "modelmonitor_rows_total": [({}, 42.0)],
        "modelmonitor_feature_bin_total": [*drifted, *series("country", b0=25, b1=12, b2=5)],
        "modelmonitor_prediction_bin_total": series(None, b0=20, b1=22),
    }
    source = Canned(monitor, answers, REFERENCE)
    collected = await source.collect([300.0, 1800.0], 1e9)
    assert isinstance(collected, Collection)
    drift_queries = [q for q in source.asked if "feature" in q or "prediction_bin" in q or "rows" in q]
    assert sorted(drift_queries) == sorted(
        [
            'sum(increase(modelmonitor_rows_total{model="fr\\"aud"}[1800s]))',
            'sum by (feature, bin) (increase(modelmonitor_feature_bin_total{model="fr\\"aud"}[1800s]))',
            'sum by (feature) (increase(modelmonitor_feature_nulls_total{model="fr\\"aud"}[1800s]))',
            'sum by (feature, kind) (increase(modelmonitor_feature_violations_total{model="fr\\"aud"}[1800s]))',
            'sum by (bin) (increase(modelmonitor_prediction_bin_total{model="fr\\"aud"}[1800s]))',
        ]
    )  # the 5-minute window asks none of them
    counts = collected.counts[1800.0]
    assert counts is not None
    assert counts["rows"] == 42
    assert counts["prediction"]["values"]["counts"] == [20, 22]

    # A sidecar's snapshot with the same bin counts (its sums are exact, not estimated).
    amount = NumericSketch.from_snapshot(counts["features"]["amount"]["sketch"])
    amount.sums = [0.0, 9.0, 700.0, 0.0]
    sidecar = {**counts, "features": {**counts["features"], "amount": {"sketch": amount.to_snapshot()}}}
    mine = evaluate(monitor, {1800.0: sidecar}, now=1e9, history_s=7200.0, reference=REFERENCE)
    theirs = evaluate(monitor, collected.counts, now=1e9, history_s=collected.history_s, reference=REFERENCE)
    assert [(v.feature, v.result.verdict, v.result.score) for v in theirs.drift] == [
        (v.feature, v.result.verdict, v.result.score) for v in mine.drift
    ]
    assert [v.result.verdict for v in theirs.drift] == ["drifted", "ok", "ok"]


async def test_no_bin_series_is_insufficient_samples_never_zero() -> None:
    monitor = spec(drift={"window": "5m", "minSamples": 10})
    source = Canned(monitor, {"modelmonitor_requests_total": [({"code": "2xx"}, 42.0)]}, REFERENCE)
    collected = await source.collect([300.0], 1e9)
    assert isinstance(collected, Collection)
    counts = collected.counts[300.0]
    assert counts is not None
    assert "features" not in counts
    assert "values" not in counts["prediction"]
    result = evaluate(monitor, collected.counts, now=1e9, history_s=collected.history_s, reference=REFERENCE)
    assert [v.result.verdict for v in result.drift] == ["insufficient-samples"] * 3
