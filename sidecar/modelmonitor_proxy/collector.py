"""The ``/metrics`` content: a prometheus_client collector over the recorder's counts.

Nothing calls prometheus_client on the request path: the recorder keeps plain counts and this
collector renders the cumulative totals when Prometheus scrapes. Every metric carries ``model``,
``version`` and ``cohort``; the other labels are bounded (status classes, error kinds, feature
names from the configuration or discovery cap, bin indexes, class names under the cardinality cap).
Request ids and feature values are never labels: bins are numbered (bin ``i`` of a numeric feature
is its ``i``-th interval of the profile edges, of a categorical one its ``i``-th category, the
last being "other"). docs/sidecar-metrics.md lists every metric.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from modelmonitor_proxy.recorder import Recorder

BASE_LABELS = ("model", "version", "cohort")
VIOLATIONS = (
    ("missing", "missing"),
    ("wrongType", "wrong_type"),
    ("outOfRange", "out_of_range"),
    ("notAllowed", "not_allowed"),
)


def _histogram(
    name: str, documentation: str, base: list[str], histogram: Mapping[str, Any] | None
) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, documentation, labels=BASE_LABELS)
    bounds: Sequence[float] = histogram["bounds"] if histogram else ()
    counts: Sequence[int] = histogram["counts"] if histogram else [0]
    cumulative = 0
    buckets: list[tuple[str, float]] = []
    for bound, count in zip(bounds, counts, strict=False):
        cumulative += count
        buckets.append((_le(bound), cumulative))
    buckets.append(("+Inf", cumulative + counts[-1]))
    family.add_metric(base, buckets, float(histogram["sum"]) if histogram else 0.0)
    return family


def _le(bound: float) -> str:
    return repr(float(bound))


class RecorderCollector(Collector):
    """Renders a :class:`~modelmonitor_proxy.recorder.Recorder`'s cumulative counts as metric families."""

    def __init__(self, recorder: Recorder, clock: Callable[[], float]) -> None:
        self._recorder = recorder
        self._clock = clock

    def describe(self) -> list[Metric]:
        """Nothing up front: the families depend on the features seen, so registration does not collect."""
        return []

    def collect(self) -> Iterator[Metric]:
        """One scrape: every family, computed from the current totals."""
        recorder = self._recorder
        total = recorder.total(self._clock())
        labels = recorder.labels
        base = [labels["model"], labels["version"], labels["cohort"]]
        yield from self._traffic(total, base)
        yield from self._features(total, base)
        yield from self._predictions(total, base)
        yield from self._feedback(total, base)

    def _traffic(self, total: Mapping[str, Any], base: list[str]) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "modelmonitor_requests", "Proxied requests by status class.", labels=[*BASE_LABELS, "code"]
        )
        for code, count in sorted(total.get("requests", {}).items()):
            requests.add_metric([*base, code], count)
        yield requests
        yield _histogram(
            "modelmonitor_request_duration_seconds",
            "Time from receiving the request to the end of the upstream response.",
            base,
            total.get("latencySeconds"),
        )
        yield _histogram(
            "modelmonitor_request_size_bytes", "Size of request bodies.", base, total.get("requestSizeBytes")
        )
        yield _histogram(
            "modelmonitor_response_size_bytes", "Size of response bodies.", base, total.get("responseSizeBytes")
        )
        errors = CounterMetricFamily(
            "modelmonitor_extraction_errors",
            "Bodies that could not be read, by kind (still proxied untouched).",
            labels=[*BASE_LABELS, "kind"],
        )
        for kind, count in sorted(total.get("extractionErrors", {}).items()):
            errors.add_metric([*base, kind], count)
        yield errors
        rows = CounterMetricFamily("modelmonitor_rows", "Observations (rows of requests) read.", labels=BASE_LABELS)
        rows.add_metric(base, total.get("rows", 0))
        yield rows
        unexpected = CounterMetricFamily(
            "modelmonitor_unexpected_fields", "Fields in requests that are not monitored features.", labels=BASE_LABELS
        )
        unexpected.add_metric(base, total.get("unexpectedFields", 0))
        yield unexpected

    def _features(self, total: Mapping[str, Any], base: list[str]) -> Iterator[Metric]:
        bins = CounterMetricFamily(
            "modelmonitor_feature_bin",
            "Values per feature bin: numeric bins index the edges, categorical bins the categories (last: other).",
            labels=[*BASE_LABELS, "feature", "bin"],
        )
        nulls = CounterMetricFamily(
            "modelmonitor_feature_nulls", "Null values per feature.", labels=[*BASE_LABELS, "feature"]
        )
        violations = CounterMetricFamily(
            "modelmonitor_feature_violations",
            "Schema and expectation violations per feature: missing, wrong_type, out_of_range, not_allowed.",
            labels=[*BASE_LABELS, "feature", "kind"],
        )
        for name, feature in total.get("features", {}).items():
            for index, count in enumerate(feature["counts"]):
                bins.add_metric([*base, name, str(index)], count)
            nulls.add_metric([*base, name], feature["nulls"])
            for key, kind in VIOLATIONS:
                violations.add_metric([*base, name, kind], feature[key])
        yield bins
        yield nulls
        yield violations

    def _predictions(self, total: Mapping[str, Any], base: list[str]) -> Iterator[Metric]:
        prediction = total.get("prediction", {})
        results = CounterMetricFamily(
            "modelmonitor_predictions",
            "Predictions read, by whether they had a usable shape.",
            labels=[*BASE_LABELS, "result"],
        )
        results.add_metric([*base, "readable"], prediction.get("readable", 0))
        results.add_metric([*base, "unreadable"], prediction.get("unreadable", 0))
        yield results
        values = CounterMetricFamily(
            "modelmonitor_prediction_bin",
            "Predictions per bin of their score (classification) or value (regression).",
            labels=[*BASE_LABELS, "bin"],
        )
        for index, count in enumerate(prediction.get("values", {}).get("counts", [])):
            values.add_metric([*base, str(index)], count)
        yield values
        classes = CounterMetricFamily(
            "modelmonitor_prediction_class",
            "Predicted classes (capped; the rest is __other__).",
            labels=[*BASE_LABELS, "class"],
        )
        predicted = prediction.get("classes", {"categories": [], "counts": [0]})
        for name, count in zip([*predicted["categories"], "__other__"], predicted["counts"], strict=True):
            classes.add_metric([*base, name], count)
        yield classes
        confidence = CounterMetricFamily(
            "modelmonitor_prediction_confidence_bin",
            "Classification predictions per tenth of confidence (bin 1 is [0, 0.1), bin 10 is [0.9, 1]).",
            labels=[*BASE_LABELS, "bin"],
        )
        for index, count in enumerate(prediction.get("confidence", {}).get("counts", [])):
            confidence.add_metric([*base, str(index)], count)
        yield confidence

    def _feedback(self, total: Mapping[str, Any], base: list[str]) -> Iterator[Metric]:
        feedback = total.get("feedback", {})
        results = CounterMetricFamily(
            "modelmonitor_feedback",
            "Feedback items by result: joined, unknown (or expired), duplicate, malformed.",
            labels=[*BASE_LABELS, "result"],
        )
        for result, count in sorted(feedback.get("results", {}).items()):
            results.add_metric([*base, result], count)
        yield results
        yield _histogram(
            "modelmonitor_label_lag_seconds", "Time from a prediction to its label.", base, feedback.get("lagSeconds")
        )
        confusion = CounterMetricFamily(
            "modelmonitor_confusion",
            "Joined labels by actual and predicted class.",
            labels=[*BASE_LABELS, "actual", "predicted"],
        )
        matrix = feedback.get("confusion", {"classes": [], "counts": []})
        for actual, row in zip(matrix["classes"], matrix["counts"], strict=True):
            for predicted, count in zip(matrix["classes"], row, strict=True):
                if count:
                    confusion.add_metric([*base, actual, predicted], count)
        yield confusion
        calibration = feedback.get("calibration")
        bins = CounterMetricFamily(
            "modelmonitor_calibration_bin", "Labelled predictions per confidence tenth.", labels=[*BASE_LABELS, "bin"]
        )
        hits = CounterMetricFamily(
            "modelmonitor_calibration_hits",
            "Labelled predictions per confidence tenth that were positive (binary) or correct (multiclass).",
            labels=[*BASE_LABELS, "bin"],
        )
        sums = CounterMetricFamily(
            "modelmonitor_calibration_confidence",
            "Sum of the confidences of the labelled predictions per tenth.",
            labels=[*BASE_LABELS, "bin"],
        )
        if calibration is not None:
            for index, (count, hit, confidence) in enumerate(
                zip(calibration["counts"], calibration["hits"], calibration["confidenceSums"], strict=True)
            ):
                bins.add_metric([*base, str(index)], count)
                hits.add_metric([*base, str(index)], hit)
                sums.add_metric([*base, str(index)], confidence)
        yield bins
        yield hits
        yield sums
        regression = feedback.get("regression")
        if regression is not None:
            for key, name, documentation in (
                ("count", "modelmonitor_regression_labels", "Labelled regression predictions."),
                ("absoluteErrorSum", "modelmonitor_regression_absolute_error", "Sum of absolute errors."),
                ("squaredErrorSum", "modelmonitor_regression_squared_error", "Sum of squared errors."),
            ):
                family = CounterMetricFamily(name, documentation, labels=BASE_LABELS)
                family.add_metric(base, regression[key])
                yield family
            signed = GaugeMetricFamily(
                "modelmonitor_regression_error_sum",
                "Sum of signed errors (prediction minus label).",
                labels=BASE_LABELS,
            )
            signed.add_metric(base, regression["errorSum"])
            yield signed
        recorder = self._recorder
        buffer = recorder.buffer_counts()
        evictions = CounterMetricFamily(
            "modelmonitor_feedback_buffer_evictions",
            "Predictions dropped before a label arrived: capacity (buffer full) or ttl (too old).",
            labels=[*BASE_LABELS, "reason"],
        )
        evictions.add_metric([*base, "capacity"], buffer["evicted"])
        evictions.add_metric([*base, "ttl"], buffer["expired"])
        yield evictions
        entries = GaugeMetricFamily(
            "modelmonitor_feedback_buffer_entries", "Predictions waiting for a label.", labels=BASE_LABELS
        )
        entries.add_metric(base, recorder.pending_predictions)
        yield entries
