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

Drift needs the per-bin feature counts with their edges; they are not read from Prometheus yet, so a
monitor on this source gets SLOs, ground truth and coverage, and drift from the sidecars only.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from modelmonitor.api.durations import parse_duration
from modelmonitor.api.snapshot import Counts
from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.sources.base import Collection, NoData

Vector = list[tuple[dict[str, str], float]]


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
        self, session: aiohttp.ClientSession, spec: ModelMonitorSpec, *, model: str, url: str | None = None
    ) -> None:
        prometheus = spec.analysis.prometheus
        if url is None and prometheus is None:
            raise ValueError("analysis.prometheus.url is required for the prometheus source")
        self.session = session
        self.url = (url or (prometheus.url if prometheus else "")).rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=parse_duration(prometheus.timeout) if prometheus else 10.0)
        self.selector = _selector(model)

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
        return counts

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
