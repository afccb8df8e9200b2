"""The recorder's counts: traffic, features, schema violations, predictions, windows and privacy.

We test these aspects:
- status classes, latency and size histograms are counted for every method; bodies only for POST/PUT;
- profile bins: underflow, inner bins (last one closed), overflow, per-bin sums, as the profile defines them;
- the fast positional path and the general path count identically (nulls, strings, bools, ints);
- discovery without configuration: positional ``f0``.. names, dict keys, OIP tensor names, types from values;
- schema violations: missing, unexpected, wrong type, out of range, not allowed; nulls;
- categorical features: profile categories plus other, learned categories capped at maxCategories;
- predictions: score histogram, classes, confidence, unreadable ones; regression values;
- extraction errors by kind, and failed bodies still count the request;
- batches record one observation per row; OIP named columns map to configured features by name;
- tumbling buckets: alignment, retirement into the cumulative total, totals that never decrease;
- redaction (never a feature, never unexpected, removed from samples) and bounded payload sampling;
- the snapshot carries labels (model, version, cohort) and passes the wire-format check.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelmonitor.api.snapshot import check_snapshot
from modelmonitor_proxy.recorder import BUCKET_SECONDS, DEFAULT_NUMERIC_EDGES, Recorder
from tests.unit.proxy.builders import T0, categorical, config, exchange, numeric, profile


def total(recorder: Recorder, now: float = T0 + 1) -> dict[str, Any]:
    return recorder.snapshot(now)["total"]


def test_traffic_counts_for_every_method() -> None:
    recorder = Recorder(config())
    recorder.record(exchange({"instances": [[1.0]]}, {"predictions": [0.5]}, duration=0.004))
    recorder.record(exchange(None, None, method="GET", status=404, duration=2.0, raw_request=b"", raw_response=b"x"))
    recorder.record(exchange({"instances": [[1.0]]}, {"error": "boom"}, status=503, duration=0.3))
    counts = total(recorder)
    assert counts["requests"] == {"2xx": 1, "4xx": 1, "5xx": 1}
    latency = counts["latencySeconds"]
    bounds = latency["bounds"]
    assert latency["counts"][bounds.index(0.005)] == 1
    assert latency["counts"][bounds.index(2.5)] == 1
    assert latency["counts"][bounds.index(0.5)] == 1
    assert latency["sum"] == pytest.approx(2.304)
    assert sum(counts["requestSizeBytes"]["counts"]) == 3
    assert counts["rows"] == 2  # the GET was not read
    assert counts["extractionErrors"] == {}  # a 5xx response is not read for predictions


def test_profile_bins_follow_the_profile_semantics() -> None:
    recorder = Recorder(config(profile(numeric("x", [0.0, 1.0, 2.0]))))
    values = [-1.0, 0.0, 0.5, 1.0, 2.0, 2.5]
    recorder.record(exchange({"instances": [[v] for v in values]}, {"predictions": [0.5] * len(values)}))
    feature = total(recorder)["features"]["x"]
    assert feature["edges"] == [0.0, 1.0, 2.0]
    assert feature["counts"] == [1, 2, 2, 1]
    assert feature["sums"] == [-1.0, 0.5, 3.0, 2.5]


def test_fast_and_general_paths_count_alike() -> None:
    edges = [0.0, 10.0]
    cfg = config(profile(numeric("a", edges), numeric("b", edges)))
    fast, general = Recorder(cfg), Recorder(cfg)
    rows = [[1.0, 5], [11.0, True], [None, -3.0], ["7", 2.0]]
    for row in rows:
        fast.record(exchange({"instances": [row]}, {"predictions": [0.1]}))
    general.record(exchange({"instances": rows}, {"predictions": [0.1] * 4}))
    for recorder in (fast, general):
        features = total(recorder)["features"]
        assert features["a"]["counts"] == [0, 1, 1]
        assert features["a"]["nulls"] == 1
        assert features["a"]["wrongType"] == 1
        assert features["b"]["counts"] == [1, 3, 0]
        assert features["b"]["sums"] == [-3.0, 8.0, 0.0]


def test_discovery_names_positions_and_infers_types() -> None:
    recorder = Recorder(config())
    recorder.record(exchange({"instances": [[1.5, "red", 3]]}, {"predictions": [0.2]}))
    recorder.record(exchange({"instances": [[2.5, "blue", 4, 9.0]]}, {"predictions": [0.2]}))
    assert recorder.feature_names == ["f0", "f1", "f2", "f3"]
    features = total(recorder)["features"]
    assert features["f0"]["type"] == "numeric"
    assert features["f0"]["edges"] == list(DEFAULT_NUMERIC_EDGES)
    assert features["f1"] == {
        "type": "categorical",
        "categories": ["red", "blue"],
        "counts": [1, 1, 0],
        "nulls": 0,
        "missing": 0,
        "wrongType": 0,
        "outOfRange": 0,
        "notAllowed": 0,
    }
    assert sum(features["f3"]["counts"]) == 1
    assert features["f3"]["missing"] == 0  # f3 did not exist when the first row was seen


def test_discovery_by_key_and_missing_keys() -> None:
    recorder = Recorder(config())
    recorder.record(exchange({"instances": [{"age": 30, "city": "Lyon"}, {"age": 40}]}, {"predictions": [1, 0]}))
    features = total(recorder)["features"]
    assert recorder.feature_names == ["age", "city"]
    assert features["city"]["missing"] == 1
    assert sum(features["age"]["counts"]) == 2


def test_configured_features_count_schema_violations() -> None:
    spec = {
        "features": [
            {"name": "amount", "type": "numeric", "expectations": {"min": 0, "max": 100}},
            {"name": "country", "type": "categorical", "expectations": {"allowedValues": ["FR", "DE"]}},
        ]
    }
    recorder = Recorder(config(**spec))
    rows = [
        {"amount": 50.0, "country": "FR"},
        {"amount": -1.0, "country": "US"},
        {"amount": "12", "country": None, "extra": 1},
        {"country": ["FR"]},
    ]
    recorder.record(exchange({"instances": rows}, {"predictions": [0.1] * 4}))
    counts = total(recorder)
    amount, country = counts["features"]["amount"], counts["features"]["country"]
    assert amount["outOfRange"] == 1
    assert amount["wrongType"] == 1
    assert amount["missing"] == 1
    assert country["notAllowed"] == 1
    assert country["nulls"] == 1
    assert country["wrongType"] == 1
    assert country["categories"] == ["FR", "DE"]
    assert country["counts"] == [1, 0, 1]  # US is "other"
    assert counts["unexpectedFields"] == 1


def test_positional_rows_of_the_wrong_length() -> None:
    cfg = config(profile(numeric("a", [0.0]), numeric("b", [0.0])))
    recorder = Recorder(cfg)
    recorder.record(exchange({"instances": [[1.0], [1.0, 2.0, 3.0, 4.0]]}, {"predictions": [0.5, 0.5]}))
    counts = total(recorder)
    assert counts["features"]["b"]["missing"] == 1
    assert counts["unexpectedFields"] == 2
    assert recorder.feature_names == ["a", "b"]  # a profile fixes the features


def test_categorical_profile_and_learned_cap() -> None:
    recorder = Recorder(config(profile(categorical("c", ["a", "b"]))))
    recorder.record(exchange({"instances": [["a"], ["z"], [3]]}, {"predictions": [0.1] * 3}))
    assert total(recorder)["features"]["c"]["counts"] == [1, 0, 2]

    learned = Recorder(config(privacy={"maxCategories": 2}))
    learned.record(exchange({"instances": [["x"], ["y"], ["z"], ["x"], [True]]}, {"predictions": [0.1] * 5}))
    feature = total(learned)["features"]["f0"]
    assert feature["categories"] == ["x", "y"]
    assert feature["counts"] == [2, 1, 2]


def test_predictions_of_a_binary_classifier() -> None:
    recorder = Recorder(config(prediction={"task": "binary-classification", "threshold": 0.5}))
    recorder.record(exchange({"instances": [[1.0]] * 4}, {"predictions": [0.95, 0.3, {"a": 1, "b": 2}, 0.55]}))
    prediction = total(recorder)["prediction"]
    assert prediction["readable"] == 3
    assert prediction["unreadable"] == 1
    assert prediction["values"]["counts"][1 + 9] == 1  # [0.9, 1.0]
    assert prediction["values"]["counts"][1 + 3] == 1  # [0.3, 0.4)
    assert prediction["classes"] == {"categories": ["1", "0"], "counts": [2, 1, 0]}
    assert sum(prediction["confidence"]["counts"]) == 3


def test_predictions_of_a_regression_model_use_profile_edges() -> None:
    cfg = config(
        profile(numeric("x", [0.0]), prediction=numeric("prediction", [0.0, 10.0])), prediction={"task": "regression"}
    )
    recorder = Recorder(cfg)
    recorder.record(exchange({"instances": [[1.0], [2.0]]}, {"predictions": [5.0, 50.0]}))
    prediction = total(recorder)["prediction"]
    assert prediction["values"]["edges"] == [0.0, 10.0]
    assert prediction["values"]["counts"] == [0, 1, 1]
    assert "classes" not in prediction


def test_extraction_errors_are_counted_and_requests_still_are() -> None:
    recorder = Recorder(config())
    recorder.record(exchange(None, raw_request=b"<xml/>", raw_response=b"{}"))
    recorder.record(exchange({"instances": [[1.0]]}, None, binary=True))
    recorder.record(exchange({"instances": [[1.0], [2.0]]}, {"predictions": [0.1]}))
    counts = total(recorder)
    assert counts["extractionErrors"] == {"not_json": 1, "binary_extension": 1, "row_mismatch": 1}
    assert counts["requests"] == {"2xx": 3}
    assert counts["rows"] == 2  # the mismatched request's rows are still features
    assert counts["prediction"]["readable"] == 0


def test_open_inference_columns_map_by_name() -> None:
    cfg = config(features=[{"name": "age"}, {"name": "city", "type": "categorical"}])
    recorder = Recorder(cfg)
    request = {
        "parameters": {"content_type": "pd"},
        "inputs": [
            {"name": "city", "shape": [2], "datatype": "BYTES", "data": ["Paris", "Lyon"]},
            {"name": "other", "shape": [2], "datatype": "FP32", "data": [1, 2]},
        ],
    }
    response = {"outputs": [{"name": "p", "shape": [2], "datatype": "FP32", "data": [0.2, 0.9]}]}
    recorder.record(exchange(request, response))
    counts = total(recorder)
    assert counts["features"]["city"]["categories"] == ["Paris", "Lyon"]
    assert counts["features"]["age"]["missing"] == 2
    assert counts["unexpectedFields"] == 2
    assert counts["prediction"]["readable"] == 2


def test_json_protocol_reads_paths() -> None:
    cfg = config(
        protocol="json",
        features=[{"name": "amount", "path": "tx.amount"}],
        prediction={"path": "result.score"},
    )
    recorder = Recorder(cfg)
    recorder.record(exchange({"tx": {"amount": 20.0}}, {"result": {"score": 0.8}}))
    recorder.record(exchange({"tx": {}}, {"result": {"score": 0.1}}))
    counts = total(recorder)
    assert sum(counts["features"]["amount"]["counts"]) == 1
    assert counts["features"]["amount"]["missing"] == 1
    assert counts["prediction"]["readable"] == 2


def test_buckets_align_and_retire_into_the_total() -> None:
    recorder = Recorder(config())
    first = T0 + 5
    recorder.record(exchange({"instances": [[1.0]]}, {"predictions": [0.5]}, at=first))
    snapshot = recorder.snapshot(first)
    assert [b["start"] for b in snapshot["buckets"]] == [T0]
    later = first + recorder.n_buckets * BUCKET_SECONDS
    recorder.record(exchange({"instances": [[1.0]]}, {"predictions": [0.5]}, at=later, request_id="r2"))
    snapshot = recorder.snapshot(later)
    assert len(snapshot["buckets"]) == 1  # the first bucket left the ring
    assert snapshot["total"]["requests"] == {"2xx": 2}  # but still counts in the total
    far = later + 10 * recorder.n_buckets * BUCKET_SECONDS
    assert recorder.snapshot(far)["buckets"] == []
    assert recorder.snapshot(far)["total"]["rows"] == 2


def test_retention_follows_the_drift_window() -> None:
    assert Recorder(config(drift={"window": "1h"})).n_buckets == 61
    assert Recorder(config(drift={"window": "3h"})).n_buckets == 181
    assert Recorder(config(drift={"window": "30d"})).n_buckets == 1441


def test_redacted_fields_are_never_features() -> None:
    recorder = Recorder(config(privacy={"redact": ["email"]}))
    recorder.record(exchange({"instances": [{"email": "a@b.c", "age": 3}]}, {"predictions": [0.5]}))
    counts = total(recorder)
    assert list(counts["features"]) == ["age"]
    assert counts["unexpectedFields"] == 0
    configured = Recorder(config(privacy={"redact": ["email"]}, features=[{"name": "email", "type": "categorical"}]))
    assert configured.feature_names == []


def test_sampling_is_off_by_default_and_bounded_when_on() -> None:
    off = Recorder(config())
    off.record(exchange({"instances": [[1.0]]}, {"predictions": [0.5]}))
    assert "samples" not in off.snapshot(T0)
    on = Recorder(config(privacy={"sampleRate": 1.0, "redact": ["ssn"]}), rng_seed=1)
    for i in range(150):
        on.record(exchange({"instances": [{"ssn": "123", "x": i}]}, {"predictions": [0.5]}, request_id=f"r{i}"))
    samples = on.snapshot(T0)["samples"]
    assert len(samples) == 100
    assert samples[-1]["request"] == {"instances": [{"x": 149}]}
    assert samples[-1]["requestId"] == "r149"


def test_sampling_rate_is_a_fraction() -> None:
    recorder = Recorder(config(privacy={"sampleRate": 0.25}), rng_seed=7)
    for i in range(400):
        recorder.record(exchange({"instances": [[1.0]]}, {"predictions": [0.5]}, request_id=f"r{i}"))
    assert 60 <= len(recorder.snapshot(T0)["samples"]) <= 100


def test_snapshot_labels_and_format() -> None:
    recorder = Recorder(config(), version="v2", cohort="canary")
    recorder.record(exchange({"instances": [[1.0]]}, {"predictions": [0.5]}))
    snapshot = check_snapshot(recorder.snapshot(T0 + 30))
    assert snapshot["labels"] == {"model": "fraud", "version": "v2", "cohort": "canary"}
    assert snapshot["takenAt"] == T0 + 30
    assert snapshot["bucketSeconds"] == BUCKET_SECONDS


def test_parse_limit_comes_from_the_config() -> None:
    assert Recorder(config(sidecar={"parseLimitBytes": 1234})).parse_limit_bytes == 1234
    recorder = Recorder(config(sidecar={"parseLimitBytes": 10}))
    recorder.record(exchange({"instances": [[1.0, 2.0, 3.0]]}, {"predictions": [0.5]}))
    assert total(recorder)["extractionErrors"] == {"too_large": 1}
