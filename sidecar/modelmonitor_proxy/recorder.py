"""The recorder: what the sidecar keeps of every proxied exchange, in bounded, mergeable counts.

The proxy builds an :class:`Exchange` per request and calls :meth:`Recorder.record` after the
response is sent. The recorder reads the bodies once (``modelmonitor_proxy.extract``) and adds
to the counts of the current time bucket: status class, latency, body sizes, and per feature its
bin (numeric) or category (categorical), nulls and schema violations; then the prediction's
value, class and confidence. Readable predictions wait in a bounded buffer for their labels
(``modelmonitor_proxy.feedback``).

Time is cut into tumbling buckets of :data:`BUCKET_SECONDS`, aligned on the epoch so that every
pod's buckets line up, kept in a ring covering the drift window (at least an hour, at most a
day). A bucket leaving the ring is folded into the cumulative total, which backs the Prometheus
counters, so memory is bounded whatever the traffic and counters never go down.

Bins. A feature with a reference profile is binned with the profile's edges (numeric) or top
categories plus "other" (categorical). Without a profile, numeric features use the fixed
:data:`DEFAULT_NUMERIC_EDGES` (signed decades from 1e-3 to 1e6): the same in every pod, so pods
stay mergeable, and wide enough to show a shift of scale; categorical features use
``expectations.allowedValues`` when given, or learn their first ``privacy.maxCategories`` values
(past the cap, values count as "other"). Without any configured feature, features are
discovered: named by key (dict rows, OIP tensor names) or by position (``f0``, ``f1``, ...),
numeric or categorical by the type of their first non-null value.

The hot path is plain Python on lists (bisect into edges, list increments): per-row numpy and
per-feature prometheus calls cost more than the whole update at this size (see
``benchmarks/bench_recorder.py``). Metrics are rendered from these counts at scrape time by
``modelmonitor_proxy.collector``.
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from prometheus_client.registry import Collector

from modelmonitor.api.durations import parse_duration
from modelmonitor.api.profile import CategoricalProfile, NumericProfile
from modelmonitor.api.sidecar_config import SidecarConfig
from modelmonitor.api.snapshot import SNAPSHOT_KIND, SNAPSHOT_VERSION, Counts, Snapshot, merge_counts
from modelmonitor.api.spec import Feature, FeatureType, Protocol
from modelmonitor_proxy.extract.detect import Extractor
from modelmonitor_proxy.extract.extraction import Inputs, Row
from modelmonitor_proxy.extract.predictions import BINARY, MULTICLASS, REGRESSION, PredictionReader, Reading
from modelmonitor_proxy.feedback import (
    OTHER,
    FeedbackItem,
    LabelCounts,
    Pending,
    PendingPredictions,
    parse_items,
    read_label,
)
from modelmonitor_proxy.privacy import PayloadSampler, Redactor, Sample

BUCKET_SECONDS = 60.0
MIN_RETENTION_SECONDS = 3600.0
MAX_RETENTION_SECONDS = 86400.0
MAX_DISCOVERED_FEATURES = 256

DEFAULT_NUMERIC_EDGES: tuple[float, ...] = (
    *(-(10.0**k) for k in range(6, -4, -1)),
    0.0,
    *(10.0**k for k in range(-3, 7)),
)
SCORE_EDGES: tuple[float, ...] = tuple(i / 10 for i in range(11))
LATENCY_BOUNDS_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
SIZE_BOUNDS_BYTES = (256.0, 1024.0, 4096.0, 16384.0, 65536.0, 262144.0, 1048576.0, 4194304.0, 16777216.0)
STATUS_CLASSES = ("other", "1xx", "2xx", "3xx", "4xx", "5xx")
RECORDED_METHODS = frozenset({"POST", "PUT"})

_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Exchange:
    """One proxied request/response, built by the proxy."""

    request_id: str
    method: str
    path: str
    status: int
    duration_seconds: float
    started_at: float
    request_body: bytes | None
    """``None`` when not captured (streamed, or over the parse limit)."""
    response_body: bytes | None
    request_content_type: str | None
    response_content_type: str | None
    request_bytes: int
    response_bytes: int
    request_headers_extension: bool = False
    """True when ``inference-header-content-length`` was present (OIP binary tensors)."""


def search_edges(edges: Sequence[float]) -> list[float]:
    """Edges for ``bisect_right`` giving bins ``(-inf, e0)``, ``[e0, e1)``, ..., ``[e_{k-1}, e_k]``, ``(e_k, inf)``.

    The last inner bin is closed (as in the reference profile), so its upper edge moves up by one ulp.

    >>> from bisect import bisect_right
    >>> edges = search_edges([0.0, 1.0, 2.0])
    >>> [bisect_right(edges, x) for x in (-1.0, 0.0, 0.5, 1.0, 2.0, 2.5)]
    [0, 1, 1, 2, 2, 3]
    """
    return [*edges[:-1], math.nextafter(edges[-1], math.inf)]


class FeatureSpec:
    """How one feature is read and binned; shared by every bucket."""

    __slots__ = ("allowed", "categories", "edges", "fixed", "hi", "lo", "name", "numeric", "search")

    def __init__(
        self,
        name: str,
        numeric: bool,
        *,
        edges: Sequence[float] = DEFAULT_NUMERIC_EDGES,
        categories: Sequence[str] | None = None,
        allowed: Sequence[str] | None = None,
        lo: float | None = None,
        hi: float | None = None,
    ) -> None:
        self.name = name
        self.numeric = numeric
        self.edges = list(edges)
        self.search = search_edges(edges)
        self.fixed = categories is not None
        """Whether the categories are fixed (profile or allowed values) or learned."""
        self.categories: dict[str, None] = dict.fromkeys(categories or ())
        self.allowed = frozenset(allowed) if allowed is not None else None
        self.lo = -math.inf if lo is None else lo
        self.hi = math.inf if hi is None else hi


class FeatureCounts:
    """One feature's counts in one bucket."""

    __slots__ = ("cats", "counts", "missing", "not_allowed", "nulls", "other", "out_of_range", "sums", "wrong_type")

    def __init__(self, spec: FeatureSpec) -> None:
        size = len(spec.edges) + 1 if spec.numeric else 0
        self.counts = [0] * size
        self.sums = [0.0] * size
        self.cats: dict[str, int] = {}
        self.other = 0
        self.nulls = 0
        self.missing = 0
        self.wrong_type = 0
        self.out_of_range = 0
        self.not_allowed = 0

    def to_json(self, spec: FeatureSpec) -> dict[str, Any]:
        """The snapshot form of these counts."""
        quality = {
            "nulls": self.nulls,
            "missing": self.missing,
            "wrongType": self.wrong_type,
            "outOfRange": self.out_of_range,
            "notAllowed": self.not_allowed,
        }
        if spec.numeric:
            return {
                "type": "numeric",
                "edges": spec.edges,
                "counts": list(self.counts),
                "sums": list(self.sums),
                **quality,
            }
        names = list(spec.categories)
        return {
            "type": "categorical",
            "categories": names,
            "counts": [*(self.cats.get(name, 0) for name in names), self.other],
            **quality,
        }


class Bucket:
    """Everything recorded in one tumbling time bucket."""

    __slots__ = (
        "confidence",
        "counts_refs",
        "errors",
        "features",
        "labels",
        "latency",
        "latency_sum",
        "predicted",
        "prediction",
        "readable",
        "request_size",
        "request_size_sum",
        "response_size",
        "response_size_sum",
        "rows",
        "start",
        "status",
        "sums_refs",
        "unexpected",
        "unreadable",
    )

    def __init__(self, start: float, features: list[FeatureSpec], prediction: FeatureSpec, confidence: FeatureSpec):
        self.start = start
        self.status: dict[str, int] = {}
        self.latency = [0] * (len(LATENCY_BOUNDS_SECONDS) + 1)
        self.latency_sum = 0.0
        self.request_size = [0] * (len(SIZE_BOUNDS_BYTES) + 1)
        self.request_size_sum = 0
        self.response_size = [0] * (len(SIZE_BOUNDS_BYTES) + 1)
        self.response_size_sum = 0
        self.errors: dict[str, int] = {}
        self.rows = 0
        self.unexpected = 0
        self.features: list[FeatureCounts] = []
        self.counts_refs: list[list[int]] = []
        self.sums_refs: list[list[float]] = []
        self.extend(features)
        self.prediction = FeatureCounts(prediction)
        self.predicted = FeatureCounts(FeatureSpec("class", numeric=False, categories=()))
        self.confidence = FeatureCounts(confidence)
        self.readable = 0
        self.unreadable = 0
        self.labels: LabelCounts | None = None

    def extend(self, features: list[FeatureSpec]) -> None:
        """Add counts for the features discovered since this bucket was created."""
        for spec in features[len(self.features) :]:
            acc = FeatureCounts(spec)
            self.features.append(acc)
            self.counts_refs.append(acc.counts)
            self.sums_refs.append(acc.sums)


def _histogram(bounds: Sequence[float], counts: list[int], total: float) -> dict[str, Any]:
    return {"bounds": list(bounds), "counts": list(counts), "sum": total}


class Recorder:
    """Bounded, mergeable monitoring state of one sidecar, fed one :class:`Exchange` at a time.

    ``clock`` (wall-clock seconds) is injected for tests; ``rng_seed`` seeds payload sampling.
    """

    def __init__(
        self,
        config: SidecarConfig,
        *,
        version: str = "unknown",
        cohort: str = "stable",
        clock: Callable[[], float] = time.time,
        rng_seed: int | None = None,
    ) -> None:
        import random

        spec = config.spec
        self.config = config
        self.labels = {"model": config.model_name, "version": version, "cohort": cohort}
        self._clock = clock
        self._redactor = Redactor(spec.privacy.redact)
        self._sampler = PayloadSampler(spec.privacy.sample_rate, rng=random.Random(rng_seed))
        self._max_categories = spec.privacy.max_categories
        self._task = spec.prediction.task.value
        self._classes = spec.prediction.classes
        self._reader = PredictionReader(self._task, threshold=spec.prediction.threshold, classes=self._classes)
        self._positive = (self._classes[-1] if self._classes else "1") if self._task == BINARY else None
        self._extractor = Extractor(
            spec.protocol.value,
            parse_limit_bytes=spec.sidecar.parse_limit_bytes,
            feature_paths={f.name: f.path for f in spec.features if f.path} if spec.protocol is Protocol.JSON else None,
            prediction_path=spec.prediction.path if spec.protocol is Protocol.JSON else None,
            prediction_output=spec.prediction.output,
        )
        self._features: list[FeatureSpec] = []
        self._searches: list[list[float] | None] = []
        self._unbounded = True
        self._all_numeric = True
        """Whether no numeric feature has min/max expectations (the fast path skips range checks)."""
        self._by_name: dict[str, int] = {}
        self._discover = not spec.features and config.profile is None
        for feature in self._configured_features():
            self._add_feature(feature)
        self._prediction = self._prediction_spec()
        self._confidence = FeatureSpec("confidence", numeric=True, edges=SCORE_EDGES)
        self._group = spec.fairness.group_feature if spec.fairness is not None else None
        if self._group is not None and self._redactor.is_redacted(self._group):
            self._group = None
        self._pending = PendingPredictions(spec.sidecar.feedback_buffer_size, parse_duration(spec.sidecar.feedback_ttl))
        drift_window = parse_duration(spec.drift.window)
        retention = min(max(drift_window, MIN_RETENTION_SECONDS), MAX_RETENTION_SECONDS)
        self.bucket_seconds = BUCKET_SECONDS
        self.n_buckets = math.ceil(retention / BUCKET_SECONDS) + 1
        self._buckets: dict[int, Bucket] = {}
        self._current_key = -1
        self._current: Bucket | None = None
        self._retired: Counts = {}

    # -- configuration ---------------------------------------------------------------------------

    @property
    def parse_limit_bytes(self) -> int:
        """Bodies longer than this are proxied but not parsed; the proxy buffers at most this much."""
        return self.config.spec.sidecar.parse_limit_bytes

    @property
    def feature_names(self) -> list[str]:
        """The features recorded so far (configured, from the profile, or discovered)."""
        return [spec.name for spec in self._features]

    def _configured_features(self) -> list[FeatureSpec]:
        spec = self.config.spec
        profile = self.config.profile
        columns = {column.name: column for column in profile.features} if profile is not None else {}
        features: list[Feature] = list(spec.features)
        if not features and profile is not None:
            features = [
                Feature(name=c.name, type=FeatureType.NUMERIC if c.type == "numeric" else FeatureType.CATEGORICAL)
                for c in profile.features
            ]
        built = []
        for feature in features:
            if self._redactor.is_redacted(feature.name):
                continue
            column = columns.get(feature.name)
            expectations = feature.expectations
            if feature.type is FeatureType.NUMERIC:
                built.append(
                    FeatureSpec(
                        feature.name,
                        numeric=True,
                        edges=column.edges if isinstance(column, NumericProfile) else DEFAULT_NUMERIC_EDGES,
                        lo=expectations.min if expectations else None,
                        hi=expectations.max if expectations else None,
                    )
                )
            else:
                allowed = expectations.allowed_values if expectations else None
                categories = column.categories if isinstance(column, CategoricalProfile) else allowed
                built.append(FeatureSpec(feature.name, numeric=False, categories=categories, allowed=allowed))
        return built

    def _prediction_spec(self) -> FeatureSpec:
        profile = self.config.profile
        column = profile.prediction if profile is not None else None
        if isinstance(column, NumericProfile):
            return FeatureSpec("prediction", numeric=True, edges=column.edges)
        if self._task == REGRESSION:
            return FeatureSpec("prediction", numeric=True, edges=DEFAULT_NUMERIC_EDGES)
        return FeatureSpec("prediction", numeric=True, edges=SCORE_EDGES)

    def _add_feature(self, spec: FeatureSpec) -> None:
        self._by_name[spec.name] = len(self._features)
        self._features.append(spec)
        self._searches.append(spec.search if spec.numeric else None)
        self._unbounded = self._unbounded and spec.lo == -math.inf and spec.hi == math.inf
        self._all_numeric = self._unbounded and self._all_numeric and spec.numeric

    def _discover_feature(self, name: str, value: object) -> int | None:
        """Add a feature seen for the first time (discovery mode); its index, or ``None`` if not a feature."""
        if (
            len(self._features) >= MAX_DISCOVERED_FEATURES
            or self._redactor.is_redacted(name)
            or value is None
            or isinstance(value, list | dict)
        ):
            return None
        numeric = type(value) is float or type(value) is int
        self._add_feature(FeatureSpec(name, numeric=numeric))
        return len(self._features) - 1

    # -- buckets ---------------------------------------------------------------------------------

    def _bucket(self, at: float) -> Bucket:
        key = int(at // BUCKET_SECONDS)
        if key == self._current_key and self._current is not None:
            return self._current
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = Bucket(key * BUCKET_SECONDS, self._features, self._prediction, self._confidence)
            self._buckets[key] = bucket
        if key > self._current_key:
            self._current_key = key
            self._current = bucket
            self._retire(key)
        return bucket

    def _retire(self, newest_key: int) -> None:
        """Fold the buckets that left the ring into the cumulative total."""
        oldest_kept = newest_key - self.n_buckets + 1
        for key in [k for k in self._buckets if k < oldest_kept]:
            self._retired = merge_counts(self._retired, self._bucket_json(self._buckets.pop(key)))

    def _advance(self, now: float) -> None:
        key = int(now // BUCKET_SECONDS)
        if key > self._current_key:
            self._current_key = key
            self._current = None
            self._retire(key)

    # -- recording -------------------------------------------------------------------------------

    def record(self, exchange: Exchange) -> None:
        """Add one exchange to the counts; cheap, and meant to run after the response is sent."""
        bucket = self._bucket(exchange.started_at)
        status = exchange.status
        code = STATUS_CLASSES[status // 100] if 100 <= status < 600 else "other"
        bucket.status[code] = bucket.status.get(code, 0) + 1
        duration = exchange.duration_seconds
        bucket.latency[bisect_left(LATENCY_BOUNDS_SECONDS, duration)] += 1
        bucket.latency_sum += duration
        bucket.request_size[bisect_left(SIZE_BOUNDS_BYTES, exchange.request_bytes)] += 1
        bucket.request_size_sum += exchange.request_bytes
        bucket.response_size[bisect_left(SIZE_BOUNDS_BYTES, exchange.response_bytes)] += 1
        bucket.response_size_sum += exchange.response_bytes
        if exchange.method not in RECORDED_METHODS:
            return
        extraction = self._extractor.extract(
            exchange.request_body, exchange.response_body, 200 <= status < 300, exchange.request_headers_extension
        )
        if extraction.errors:
            errors = bucket.errors
            for kind in extraction.errors:
                errors[kind.value] = errors.get(kind.value, 0) + 1
        inputs = extraction.inputs
        if inputs is None:
            return
        if len(bucket.features) < len(self._features):
            bucket.extend(self._features)
        self._record_rows(bucket, inputs)
        predictions = extraction.predictions
        if predictions is not None:
            readings, readable = self._record_predictions(bucket, predictions)
            if readable and self._pending.capacity:
                groups = self._groups(inputs) if self._group is not None else None
                self._pending.put(exchange.request_id, Pending(exchange.started_at, readings, groups))
        if self._sampler.rate and self._sampler.wants():
            self._sample(exchange)

    def _record_rows(self, bucket: Bucket, inputs: Inputs) -> None:
        rows = inputs.rows
        bucket.rows += len(rows)
        if inputs.names is not None:
            self._record_named_columns(bucket, rows, inputs.names)
            return
        specs = self._features
        accs = bucket.features
        searches = self._searches
        counts_refs = bucket.counts_refs
        sums_refs = bucket.sums_refs
        observe = self._observe
        unbounded = self._unbounded
        all_numeric = self._all_numeric
        for row in rows:
            if type(row) is list:
                if len(row) != len(specs):
                    self._record_ragged(bucket, row)
                    continue
                if all_numeric:
                    # The common case without a bytecode per comparison: bisect every value in C; a
                    # null, a string or a nested value makes it raise before anything is counted,
                    # and that row takes the general path below.
                    try:
                        indexes = list(map(bisect_right, searches, row))  # type: ignore[arg-type]
                    except TypeError:
                        pass
                    else:
                        for counts, sums, i, value in zip(counts_refs, sums_refs, indexes, row, strict=True):
                            counts[i] += 1
                            sums[i] += value  # type: ignore[operator]
                        continue
                if unbounded:
                    # The common case, kept free of attribute lookups: every numeric feature's edges,
                    # counts and sums come in by position, and only odd values take the general path.
                    for search, counts, sums, spec, acc, value in zip(
                        searches, counts_refs, sums_refs, specs, accs, row, strict=True
                    ):
                        if search is not None and (type(value) is float or type(value) is int):
                            i = bisect_right(search, value)
                            counts[i] += 1
                            sums[i] += value
                        else:
                            observe(spec, acc, value)
                else:
                    for spec, acc, value in zip(specs, accs, row, strict=True):
                        observe(spec, acc, value)
            elif type(row) is dict:
                self._record_dict(bucket, row)

    def _record_ragged(self, bucket: Bucket, row: list[object]) -> None:
        """A positional row whose length differs from the known features."""
        if self._discover:
            for position in range(len(self._features), len(row)):
                self._discover_feature(f"f{position}", row[position])
            self._extend(bucket)
        specs = self._features
        accs = bucket.features
        for spec, acc, value in zip(specs, accs, row, strict=False):
            self._observe(spec, acc, value)
        for acc in accs[len(row) :]:
            acc.missing += 1
        if len(row) > len(specs):
            bucket.unexpected += len(row) - len(specs)

    def _extend(self, bucket: Bucket) -> None:
        if len(bucket.features) < len(self._features):
            bucket.extend(self._features)

    def _record_dict(self, bucket: Bucket, row: dict[str, object]) -> None:
        specs = self._features
        accs = bucket.features
        found = 0
        for spec, acc in zip(specs, accs, strict=True):
            value = row.get(spec.name, _MISSING)
            if value is _MISSING:
                acc.missing += 1
                continue
            found += 1
            if spec.numeric and (type(value) is float or type(value) is int):
                i = bisect_right(spec.search, value)
                acc.counts[i] += 1
                acc.sums[i] += value
                if value < spec.lo or value > spec.hi:
                    acc.out_of_range += 1
            else:
                self._observe(spec, acc, value)
        if len(row) > found:
            for name, value in row.items():
                if name in self._by_name:
                    continue
                if self._redactor.is_redacted(name):
                    continue
                if self._discover and self._discover_feature(name, value) is not None:
                    self._extend(bucket)
                    self._observe(self._features[-1], bucket.features[-1], value)
                else:
                    bucket.unexpected += 1

    def _record_named_columns(self, bucket: Bucket, rows: list[Row], names: list[str]) -> None:
        """Positional rows whose positions are named (OIP v2 tensors)."""
        positions: list[tuple[int, int]] = []
        unexpected = 0
        first = rows[0] if rows else None
        for position, name in enumerate(names):
            index = self._by_name.get(name)
            if index is None and self._discover and isinstance(first, list) and not self._redactor.is_redacted(name):
                sample = next((r[position] for r in rows if isinstance(r, list) and r[position] is not None), None)
                index = self._discover_feature(name, sample)
            if index is not None:
                positions.append((position, index))
            elif not self._redactor.is_redacted(name):
                unexpected += 1
        self._extend(bucket)
        specs = self._features
        accs = bucket.features
        covered = {index for _, index in positions}
        absent = [accs[index] for index in range(len(specs)) if index not in covered]
        for row in rows:
            if not isinstance(row, list):
                continue
            for position, index in positions:
                self._observe(specs[index], accs[index], row[position])
            for acc in absent:
                acc.missing += 1
        bucket.unexpected += unexpected * len(rows)

    def _observe(self, spec: FeatureSpec, acc: FeatureCounts, value: object) -> None:
        """Count one value of one feature (the general path: nulls, categories, wrong types)."""
        if value is None:
            acc.nulls += 1
            return
        kind = type(value)
        if spec.numeric:
            if kind is float or kind is int or kind is bool:
                number = float(value)  # type: ignore[arg-type]
                i = bisect_right(spec.search, number)
                acc.counts[i] += 1
                acc.sums[i] += number
                if number < spec.lo or number > spec.hi:
                    acc.out_of_range += 1
            else:
                acc.wrong_type += 1
            return
        if kind is str:
            key: str = value  # type: ignore[assignment]
        elif kind is int or kind is float or kind is bool:
            key = str(value)
        else:
            acc.wrong_type += 1
            return
        if spec.allowed is not None and key not in spec.allowed:
            acc.not_allowed += 1
        categories = spec.categories
        if key not in categories:
            if spec.fixed or len(categories) >= self._max_categories:
                acc.other += 1
                return
            categories[key] = None
        acc.cats[key] = acc.cats.get(key, 0) + 1

    def _groups(self, inputs: Inputs) -> list[str | None]:
        """The fairness group of each row (its category, or "other" past the cap)."""
        name = self._group
        assert name is not None
        index = self._by_name.get(name)
        position = inputs.names.index(name) if inputs.names is not None and name in inputs.names else index
        spec = self._features[index] if index is not None else None
        groups: list[str | None] = []
        for row in inputs.rows:
            if isinstance(row, dict):
                value = row.get(name)
            elif position is not None and position < len(row):
                value = row[position]
            else:
                value = None
            if value is None or isinstance(value, list | dict):
                groups.append(None)
                continue
            key = value if isinstance(value, str) else str(value)
            groups.append(key if spec is None or spec.numeric or key in spec.categories else OTHER)
        return groups

    def _record_predictions(self, bucket: Bucket, predictions: list[object]) -> tuple[list[Reading | None], int]:
        """Count each prediction's value, class and confidence; the readings and how many were readable."""
        read = self._reader.read
        value_search = self._prediction.search
        value_counts = bucket.prediction.counts
        value_sums = bucket.prediction.sums
        confidence_search = self._confidence.search
        confidence_counts = bucket.confidence.counts
        confidence_sums = bucket.confidence.sums
        classes = bucket.predicted.cats
        readings: list[Reading | None] = []
        readable = 0
        for raw in predictions:
            reading = read(raw)
            readings.append(reading)
            if reading is None:
                continue
            readable += 1
            value, label, confidence = reading
            if value is not None:
                i = bisect_right(value_search, value)
                value_counts[i] += 1
                value_sums[i] += value
            if label is not None:
                if label in classes or len(classes) < self._max_categories:
                    classes[label] = classes.get(label, 0) + 1
                else:
                    bucket.predicted.other += 1
            if confidence is not None:
                i = bisect_right(confidence_search, confidence)
                confidence_counts[i] += 1
                confidence_sums[i] += confidence
        bucket.readable += readable
        bucket.unreadable += len(predictions) - readable
        return readings, readable

    def _sample(self, exchange: Exchange) -> None:
        def load(body: bytes | None) -> object:
            try:
                return self._redactor.redact(orjson.loads(body)) if body is not None else None
            except orjson.JSONDecodeError:
                return None

        self._sampler.keep(
            Sample(
                exchange.request_id,
                exchange.started_at,
                exchange.status,
                load(exchange.request_body),
                load(exchange.response_body),
            )
        )

    # -- feedback --------------------------------------------------------------------------------

    def feedback(self, body: bytes, now: float) -> tuple[int, dict[str, object]]:
        """Join labels to recorded predictions; (HTTP status, JSON body) for the proxy to send.

        A single item answers with its own status (200, 400, 404 or 409); a batch answers 200 when
        every item was joined, the items' common status when they all failed alike, else 207, with
        one result per item.
        """
        bucket = self._bucket(now)
        labels = bucket.labels
        if labels is None:
            labels = bucket.labels = LabelCounts(self._max_categories)
        try:
            items = parse_items(body)
        except ValueError as error:
            labels.count("malformed")
            return 400, {"error": str(error)}
        results = [self._join(item, labels, now) for item in items]
        statuses = {result["status"] for result in results}
        if len(results) == 1:
            only = results[0]
            return int(only["status"]), only  # type: ignore[call-overload]
        status = statuses.pop() if len(statuses) == 1 else 207
        return int(status), {  # type: ignore[call-overload]
            "joined": sum(1 for r in results if r["status"] == 200),
            "items": results,
        }

    def _join(self, item: FeedbackItem | str, labels: LabelCounts, now: float) -> dict[str, object]:
        if isinstance(item, str):
            labels.count("malformed")
            return {"status": 400, "error": item}
        request_id = item.request_id
        pending = self._pending.get(request_id, now)
        if pending is None:
            labels.count("unknown")
            return {
                "status": 404,
                "requestId": request_id,
                "error": f"no recorded prediction for request id {request_id!r}: unknown, evicted, "
                f"or older than the feedback TTL ({self.config.spec.sidecar.feedback_ttl})",
            }
        if item.row >= len(pending.readings):
            labels.count("malformed")
            return {
                "status": 400,
                "requestId": request_id,
                "error": f"row {item.row} is out of range: request {request_id!r} had {len(pending.readings)} rows",
            }
        reading = pending.readings[item.row]
        if reading is None:
            labels.count("duplicate")
            return {
                "status": 409,
                "requestId": request_id,
                "error": f"row {item.row} of request {request_id!r} is already labelled or had no readable prediction",
            }
        label = read_label(item.label, self._task, self._classes)
        if label is None:
            labels.count("malformed")
            expected = "a number" if self._task == REGRESSION else "a class name, an integer or a boolean"
            return {"status": 400, "requestId": request_id, "error": f"label {item.label!r} is not {expected}"}
        if isinstance(label, float):
            labels.add_value(reading, label)
        else:
            group = pending.groups[item.row] if pending.groups is not None else None
            labels.add_class(reading, label, group, self._positive)
        labels.add_lag(max(0.0, now - pending.at))
        labels.count("joined")
        pending.readings[item.row] = None
        pending.labelled += 1
        if pending.labelled >= len(pending.readings):
            self._pending.done(request_id)
        return {"status": 200, "requestId": request_id, "row": item.row}

    # -- output ----------------------------------------------------------------------------------

    def _bucket_json(self, bucket: Bucket) -> Counts:
        counts: Counts = {
            "requests": dict(bucket.status),
            "latencySeconds": _histogram(LATENCY_BOUNDS_SECONDS, bucket.latency, bucket.latency_sum),
            "requestSizeBytes": _histogram(SIZE_BOUNDS_BYTES, bucket.request_size, bucket.request_size_sum),
            "responseSizeBytes": _histogram(SIZE_BOUNDS_BYTES, bucket.response_size, bucket.response_size_sum),
            "extractionErrors": dict(bucket.errors),
            "rows": bucket.rows,
            "unexpectedFields": bucket.unexpected,
            "features": {},
            "prediction": {
                "readable": bucket.readable,
                "unreadable": bucket.unreadable,
                "values": bucket.prediction.to_json(self._prediction),
            },
        }
        features = counts["features"]
        accs = bucket.features
        for index, spec in enumerate(self._features):
            acc = accs[index] if index < len(accs) else FeatureCounts(spec)
            features[spec.name] = acc.to_json(spec)
        prediction = counts["prediction"]
        if self._task != REGRESSION:
            cats = bucket.predicted.cats
            prediction["classes"] = {"categories": list(cats), "counts": [*cats.values(), bucket.predicted.other]}
            prediction["confidence"] = bucket.confidence.to_json(self._confidence)
        if bucket.labels is not None:
            counts["feedback"] = bucket.labels.to_json(self._task)
        return counts

    def total(self, now: float | None = None) -> Counts:
        """Cumulative counts since the sidecar started (what the Prometheus counters show)."""
        self._advance(self._clock() if now is None else now)
        total = self._retired
        for key in sorted(self._buckets):
            total = merge_counts(total, self._bucket_json(self._buckets[key]))
        return total

    def snapshot(self, now: float) -> Snapshot:
        """The versioned, mergeable snapshot (see ``modelmonitor.api.snapshot``)."""
        self._advance(now)
        self._pending.sweep(now)
        buckets: list[dict[str, Any]] = [
            {"start": self._buckets[key].start, "counts": self._bucket_json(self._buckets[key])}
            for key in sorted(self._buckets)
        ]
        total = self._retired
        for bucket in buckets:
            total = merge_counts(total, bucket["counts"])
        total = {**total, "feedbackBuffer": self.buffer_counts()}
        snapshot: Snapshot = {
            "kind": SNAPSHOT_KIND,
            "version": SNAPSHOT_VERSION,
            "labels": dict(self.labels),
            "bucketSeconds": BUCKET_SECONDS,
            "takenAt": now,
            "task": self._task,
            "buckets": buckets,
            "total": total,
        }
        if self._sampler.rate:
            snapshot["samples"] = [sample.to_json() for sample in self._sampler.samples()]
        return snapshot

    def buffer_counts(self) -> dict[str, int]:
        """Cumulative evictions of the feedback buffer (additive across pods)."""
        return {"evicted": self._pending.evicted, "expired": self._pending.expired}

    @property
    def pending_predictions(self) -> int:
        """Predictions waiting for a label right now."""
        return len(self._pending)

    @property
    def task(self) -> str:
        """The prediction task (binary-classification, multiclass or regression)."""
        return self._task

    def collector(self) -> Collector:
        """A prometheus_client collector rendering these counts at scrape time."""
        from modelmonitor_proxy.collector import RecorderCollector

        return RecorderCollector(self, self._clock)


__all__ = [
    "BUCKET_SECONDS",
    "DEFAULT_NUMERIC_EDGES",
    "MULTICLASS",
    "Exchange",
    "Recorder",
]
