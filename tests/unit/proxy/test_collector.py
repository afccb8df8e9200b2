"""The /metrics exposition rendered from the recorder's counts.

We test these aspects:
- names follow the conventions (modelmonitor_ prefix, _total counters, base units) and every
  sample carries model, version and cohort;
- requests by status class, the latency histogram (cumulative le buckets, count, sum);
- feature bins, nulls and violations, prediction bins and classes, extraction errors, feedback
  results, confusion cells and buffer evictions have the values the recorder counted;
- request ids and feature values never appear as label values;
- a scrape does not change the counts, and counters keep their values after buckets retire.
"""

from __future__ import annotations

import orjson
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from modelmonitor_proxy.recorder import BUCKET_SECONDS, Recorder
from tests.unit.proxy.builders import T0, config, exchange

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(recorder: Recorder) -> tuple[str, Samples]:
    registry = CollectorRegistry()
    registry.register(recorder.collector())
    text = generate_latest(registry).decode()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[sample.name, tuple(sorted(sample.labels.items()))] = sample.value
    return text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    base = {"model": "fraud", "version": "v1", "cohort": "stable"}
    return samples[name, tuple(sorted({**base, **labels}.items()))]


def busy_recorder(clock: list[float]) -> Recorder:
    recorder = Recorder(config(privacy={"maxCategories": 5}), version="v1", clock=lambda: clock[0])
    recorder.record(
        exchange(
            {"instances": [{"amount": 12.0, "email": "secret@x"}, {"amount": None}]},
            {"predictions": [0.9, 0.2]},
            request_id="req-123",
        )
    )
    recorder.record(
        exchange(None, raw_request=b"<html>", raw_response=b"", status=400, duration=0.2, request_id="req-9")
    )
    recorder.feedback(orjson.dumps({"requestId": "req-123", "label": 1}), T0 + 3)
    recorder.feedback(orjson.dumps({"requestId": "nope", "label": 1}), T0 + 3)
    return recorder


def test_exposition_values_and_labels() -> None:
    clock = [T0 + 5]
    recorder = busy_recorder(clock)
    text, samples = scrape(recorder)
    assert value(samples, "modelmonitor_requests_total", code="2xx") == 1
    assert value(samples, "modelmonitor_requests_total", code="4xx") == 1
    assert value(samples, "modelmonitor_request_duration_seconds_count") == 2
    assert value(samples, "modelmonitor_request_duration_seconds_bucket", le="0.025") == 1
    assert value(samples, "modelmonitor_request_duration_seconds_bucket", le="+Inf") == 2
    assert value(samples, "modelmonitor_request_duration_seconds_sum") == 0.22
    assert value(samples, "modelmonitor_extraction_errors_total", kind="not_json") == 1
    assert value(samples, "modelmonitor_rows_total") == 2
    assert value(samples, "modelmonitor_feature_nulls_total", feature="amount") == 1
    assert value(samples, "modelmonitor_feature_violations_total", feature="amount", kind="missing") == 0
    assert (
        sum(
            v
            for (name, labels), v in samples.items()
            if name == "modelmonitor_feature_bin_total" and ("feature", "amount") in labels
        )
        == 1
    )
    assert value(samples, "modelmonitor_prediction_class_total", **{"class": "1"}) == 1
    assert value(samples, "modelmonitor_predictions_total", result="readable") == 2
    assert value(samples, "modelmonitor_feedback_total", result="joined") == 1
    assert value(samples, "modelmonitor_feedback_total", result="unknown") == 1
    assert value(samples, "modelmonitor_confusion_total", actual="1", predicted="1") == 1
    assert value(samples, "modelmonitor_feedback_buffer_entries") == 1
    assert value(samples, "modelmonitor_feedback_buffer_evictions_total", reason="capacity") == 0
    assert "req-123" not in text
    assert "secret@x" not in text
    assert 'feature="email"' in text  # discovered (not redacted here), but its values are bins, not labels


def test_every_sample_is_labelled_and_named_by_convention() -> None:
    _, samples = scrape(busy_recorder([T0 + 5]))
    for name, labels in samples:
        assert name.startswith("modelmonitor_")
        keys = dict(labels)
        assert (keys["model"], keys["version"], keys["cohort"]) == ("fraud", "v1", "stable")
    counters = {name for name, _ in samples if name.endswith("_total")}
    assert "modelmonitor_requests_total" in counters


def test_scrapes_are_stable_and_counters_survive_retirement() -> None:
    clock = [T0 + 5]
    recorder = busy_recorder(clock)
    _, first = scrape(recorder)
    _, second = scrape(recorder)
    assert first == second
    clock[0] = T0 + 5 + 10 * recorder.n_buckets * BUCKET_SECONDS
    _, later = scrape(recorder)
    assert recorder.snapshot(clock[0])["buckets"] == []
    assert value(later, "modelmonitor_requests_total", code="2xx") == 1
    assert value(later, "modelmonitor_feedback_total", result="joined") == 1
