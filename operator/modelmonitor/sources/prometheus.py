"""The fleet source: the same counts as the sidecars' snapshots, from Prometheus or Thanos with PromQL.

For each window ``w`` the source asks, at the evaluation time, for the increase of the sidecars'
counters summed over pods (``sum by``, never an average), selected by the monitor's ``model`` label:

- ``sum by (code) (increase(modelmonitor_requests_total{model="m"}[w]))`` → ``requests``;
- ``sum by (le) (increase(modelmonitor_request_duration_seconds_bucket{...}[w]))`` → ``latencySeconds``
  (cumulative ``le`` buckets turned back into the snapshot's per-bucket counts);
- ``sum by (result) (increase(modelmonitor_predictions_total{...}[w]))`` → ``prediction.readable``;
- ``sum by (actual, predicted) (increase(modelmonitor_confusion_total{...}[w]))`` → ``feedback.confusion``.

**No data is explicit:** a window whose request query returns an empty vector (no series: no traffic, or
nothing scraped) is ``None``, never zero, and an unreachable Prometheus is :class:`NoData`. ``increase()``
extrapolates to the window's edges, so counts are rounded to whole events. History is the age of the oldest
request sample within the longest window (a 1-minute subquery), so windows Prometheus has not covered
yet are no data, as with the sidecars' rings.

Drift. For the drift window (``spec.drift.window``) only, the source also reads the feature bins, nulls,
violations and rows, and the prediction bins:

- ``sum by (feature, bin) (increase(modelmonitor_feature_bin_total{...}[w]))`` → ``features.<name>.sketch``;
- ``sum by (feature) (increase(modelmonitor_feature_nulls_total{...}[w]))`` → the sketch's ``nulls``;
- ``sum by (feature, kind) (increase(modelmonitor_feature_violations_total{...}[w]))`` → ``missing`` ...;
- ``sum(increase(modelmonitor_rows_total{...}[w]))`` → ``rows``;
- ``sum by (bin) (increase(modelmonitor_prediction_bin_total{...}[w]))`` → ``prediction.values``.

A bin label is only an index, so a sketch is rebuilt on the reference profile's edges (numeric) or
categories (categorical, last bin "other"), for exactly the features the sidecars bin that way (the
recorder's rule: a numeric feature with a numeric profile column, a categorical one with a categorical
column). The source therefore needs the reference profile; without it, or for other features (learned
categories, default edges), no feature counts are returned. A feature without any bin series, or whose
bin indexes do not fit the reference, is left out: evaluation reads that as no data (insufficient
samples), never as zero counts. Per-bin sums are not exported, so they are estimated from the
reference's per-bin means: PSI, KS, chi-square, Jensen-Shannon and Hellinger read counts only and judge
exactly as on the sidecars' snapshots; Wasserstein reads the estimate.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from modelmonitor.api.durations import parse_duration
from modelmonitor.api.profile import CategoricalProfile, NumericProfile, ReferenceProfile
from modelmonitor.api.snapshot import Counts
from modelmonitor.api.spec import FeatureType, ModelMonitorSpec
from modelmonitor.sources.base import Collection, NoData
from modelmonitor.stats.binning import CategoryBins, NumericBins
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch

Vector = list[tuple[dict[str, str], float]]
BinnedProfile = NumericProfile | CategoricalProfile

VIOLATION_KEYS = {"missing": "missing", "wrong_type": "wrongType", "out_of_range": "outOfRange",
                  "not_allowed": "notAllowed"}  # fmt: skip
"""The collector's ``kind`` label → the snapshot's key."""


class PrometheusError(RuntimeError):
    """Prometheus did not answer, or answered an error; the message says which."""


def _selector(model: str) -> str:
    escaped = model.replace("\\", "\\\\").replace('"', '\\"')
    return f'{{model="{escaped}"}}'


def _range(window_s: float) -> str:
    return f"{round(window_s)}s"


class PrometheusSource:
    """Counts per window from PromQL (see the module docstring)."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        spec: ModelMonitorSpec,
        *,
        model: str,
        url: str | None = None,
        reference: ReferenceProfile | None = None,
    ) -> None:
        prometheus = spec.analysis.prometheus
        if url is None and prometheus is None:
            raise ValueError("analysis.prometheus.url is required for the prometheus source")
        self.session = session
        self.url = (url or (prometheus.url if prometheus else "")).rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=parse_duration(prometheus.timeout) if prometheus else 10.0)
        self.selector = _selector(model)
        self.drift_window = parse_duration(spec.drift.window)
        self.features = profiled_features(spec, reference)
        prediction = reference.prediction if reference is not None else None
        self.prediction = prediction if isinstance(prediction, NumericProfile) else None

    async def query(self, expression: str, now: float) -> Vector:
        """An instant vector at ``now``; :class:`PrometheusError` on any failure."""
        try:
            async with self.session.get(
                f"{self.url}/api/v1/query", params={"query": expression, "time": f"{now:.3f}"}, timeout=self.timeout
            ) as response:
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise PrometheusError(f"{self.url}: {type(error).__name__}: {error}") from None
        if not isinstance(body, Mapping) or body.get("status") != "success":
            detail = body.get("error") if isinstance(body, Mapping) else body
            raise PrometheusError(f"{self.url}: query failed: {detail}")
        data = body.get("data") or {}
        if data.get("resultType") != "vector":
            raise PrometheusError(f"{self.url}: expected a vector, got {data.get('resultType')}")
        vector: Vector = []
        for item in data.get("result") or []:
            value = float(item["value"][1])
            if math.isfinite(value):
                vector.append((dict(item.get("metric") or {}), value))
        return vector

    async def window(self, window_s: float, now: float) -> Counts | None:
        r, s = _range(window_s), self.selector
        requests, latency, predictions, confusion = await asyncio.gather(
            self.query(f"sum by (code) (increase(modelmonitor_requests_total{s}[{r}]))", now),
            self.query(f"sum by (le) (increase(modelmonitor_request_duration_seconds_bucket{s}[{r}]))", now),
            self.query(f"sum by (result) (increase(modelmonitor_predictions_total{s}[{r}]))", now),
            self.query(f"sum by (actual, predicted) (increase(modelmonitor_confusion_total{s}[{r}]))", now),
        )
        if not requests:
            return None
        counts: Counts = {"requests": {labels.get("code", "other"): round(v) for labels, v in requests}}
        histogram = latency_histogram(latency)
        if histogram is not None:
            counts["latencySeconds"] = histogram
        readable = sum(round(v) for labels, v in predictions if labels.get("result") == "readable")
        counts["prediction"] = {"readable": readable}
        if confusion:
            counts["feedback"] = {"confusion": confusion_counts(confusion)}
        if window_s == self.drift_window:
            await self.add_drift_counts(counts, r, now)
        return counts

    async def add_drift_counts(self, counts: Counts, r: str, now: float) -> None:
        """Rows, the profiled features' entries and the prediction's bins of the drift window, into ``counts``."""
        s = self.selector
        rows = await self.query(f"sum(increase(modelmonitor_rows_total{s}[{r}]))", now)
        if rows:
            counts["rows"] = round(rows[0][1])
        if self.features:
            bins, nulls, violations = await asyncio.gather(
                self.query(f"sum by (feature, bin) (increase(modelmonitor_feature_bin_total{s}[{r}]))", now),
                self.query(f"sum by (feature) (increase(modelmonitor_feature_nulls_total{s}[{r}]))", now),
                self.query(f"sum by (feature, kind) (increase(modelmonitor_feature_violations_total{s}[{r}]))", now),
            )
            features = feature_counts(self.features, bins, nulls, violations)
            if features:
                counts["features"] = features
        if self.prediction is not None:
            vector = await self.query(f"sum by (bin) (increase(modelmonitor_prediction_bin_total{s}[{r}]))", now)
            values = binned_sketch(self.prediction, vector, nulls=0, invalid=0)
            if values is not None:
                counts["prediction"]["values"] = values

    async def history(self, longest_s: float, now: float) -> float:
        expression = (
            f"min_over_time(timestamp(sum(modelmonitor_requests_total{self.selector}))[{_range(longest_s)}:1m])"
        )
        vector = await self.query(expression, now)
        return max(0.0, now - vector[0][1]) if vector else 0.0

    async def collect(self, windows: Sequence[float], now: float) -> Collection | NoData:
        try:
            counts = await asyncio.gather(*(self.window(w, now) for w in windows))
            history = await self.history(max(windows), now) if windows else 0.0
        except PrometheusError as error:
            return NoData(str(error))
        return Collection(counts=dict(zip(windows, counts, strict=True)), history_s=history)


def latency_histogram(vector: Vector) -> dict[str, Any] | None:
    """Cumulative ``le`` buckets → ``{"bounds", "counts", "sum"}`` with per-bucket counts (``sum`` unknown: 0)."""
    cumulative: dict[float, float] = {}
    for labels, value in vector:
        le = labels.get("le")
        if le is not None:
            cumulative[float(le)] = value
    if not cumulative or math.inf not in cumulative:
        return None
    bounds = sorted(b for b in cumulative if math.isfinite(b))
    running = [round(cumulative[b]) for b in [*bounds, math.inf]]
    # increase() of each bucket is extrapolated separately: keep the counts monotone.
    for i in range(1, len(running)):
        running[i] = max(running[i], running[i - 1])
    per_bucket = [running[0], *(b - a for a, b in itertools.pairwise(running))]
    return {"bounds": bounds, "counts": per_bucket, "sum": 0.0}


def confusion_counts(vector: Vector) -> dict[str, Any]:
    """``(actual, predicted) → count`` cells → the statistics core's ``confusion-counts`` shape."""
    cells = {(labels.get("actual", ""), labels.get("predicted", "")): round(v) for labels, v in vector}
    classes = sorted({c for pair in cells for c in pair})
    while len(classes) < 2:
        classes.append(f"__none{len(classes)}__")
    return {
        "type": "confusion-counts",
        "version": 1,
        "classes": classes,
        "counts": [[cells.get((a, p), 0) for p in classes] for a in classes],
        "unknown": 0,
    }


def profiled_features(spec: ModelMonitorSpec, reference: ReferenceProfile | None) -> tuple[BinnedProfile, ...]:
    """The reference columns the sidecars bin on: bin ``i`` of these means the same in every pod.

    The recorder's rule: the spec's features (all the profile's when the spec lists none); a numeric
    one is binned on its profile column's edges when that column is numeric, a categorical one on the
    column's categories when that column is categorical. Other features have bins Prometheus cannot name.
    """
    if reference is None:
        return ()
    columns = {column.name: column for column in reference.features}
    if not spec.features:
        return tuple(columns.values())
    chosen: list[BinnedProfile] = []
    for feature in spec.features:
        column = columns.get(feature.name)
        numeric = feature.type is FeatureType.NUMERIC
        if (numeric and isinstance(column, NumericProfile)) or (not numeric and isinstance(column, CategoricalProfile)):
            chosen.append(column)
    return tuple(chosen)


def _bin_counts(vector: Vector, n_bins: int) -> list[int] | None:
    """``{bin: count}`` series → counts per bin; ``None`` without series or with a bin outside ``[0, n_bins)``."""
    if not vector:
        return None
    counts = [0] * n_bins
    for labels, value in vector:
        index = labels.get("bin", "")
        if not index.isdigit() or int(index) >= n_bins:
            return None  # binned on other edges or categories than this reference's
        counts[int(index)] = round(value)
    return counts


def binned_sketch(profile: BinnedProfile, vector: Vector, *, nulls: int, invalid: int) -> dict[str, Any] | None:
    """A sketch's wire form from ``sum by (bin)`` series on the profile's bins; ``None`` when it cannot be built.

    Numeric sketches get per-bin sums estimated as ``count × the reference's mean in that bin`` (the
    bin's centre, or its edge for a tail, where the reference had no value): Prometheus has no sums.
    """
    if isinstance(profile, CategoricalProfile):
        categorical = CategoricalSketch(CategoryBins(tuple(profile.categories)))
        counts = _bin_counts(vector, categorical.bins.n_bins)
        if counts is None:
            return None
        categorical.counts, categorical.nulls = counts, nulls
        return categorical.to_snapshot()
    numeric = NumericSketch(NumericBins(tuple(profile.edges)))
    counts = _bin_counts(vector, numeric.bins.n_bins)
    if counts is None:
        return None
    edges = profile.edges
    fallback = [edges[0], *((a + b) / 2 for a, b in itertools.pairwise(edges)), edges[-1]]
    means = [s / c if c else f for s, c, f in zip(profile.sums, profile.counts, fallback, strict=True)]
    numeric.counts, numeric.nulls, numeric.invalid = counts, nulls, invalid
    numeric.sums = [c * m for c, m in zip(counts, means, strict=True)]
    numeric.sumsq = sum(c * m * m for c, m in zip(counts, means, strict=True))
    return numeric.to_snapshot()


def feature_counts(
    profiles: Sequence[BinnedProfile], bins: Vector, nulls: Vector, violations: Vector
) -> dict[str, dict[str, Any]]:
    """``features.<name>`` entries (sketch and violations, as in a snapshot) for the profiled features with bins.

    A feature without bin series, or with bins outside its reference's, is left out (no data, not zero).
    """
    by_feature: dict[str, Vector] = {}
    for labels, value in bins:
        by_feature.setdefault(labels.get("feature", ""), []).append((labels, value))
    null_counts = {labels.get("feature", ""): round(value) for labels, value in nulls}
    broken: dict[str, dict[str, int]] = {}
    for labels, value in violations:
        key = VIOLATION_KEYS.get(labels.get("kind", ""))
        if key is not None:
            broken.setdefault(labels.get("feature", ""), {})[key] = round(value)
    entries: dict[str, dict[str, Any]] = {}
    for profile in profiles:
        kinds = broken.get(profile.name, {})
        sketch = binned_sketch(
            profile,
            by_feature.get(profile.name, []),
            nulls=null_counts.get(profile.name, 0),
            invalid=kinds.get("wrongType", 0),
        )
        if sketch is not None:
            entries[profile.name] = {"sketch": sketch, **{key: kinds.get(key, 0) for key in VIOLATION_KEYS.values()}}
    return entries
