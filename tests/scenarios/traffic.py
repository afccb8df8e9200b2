"""A seeded traffic and label generator for the analysis tests and scenarios.

It builds a reference profile of ``n_features`` standard-normal features (``f0``, ``f1``, ...), and
makes KServe v1 exchanges whose features follow the reference, or a shifted version of it for the
features named in ``shift``. Predictions are ``sigmoid(f0)``; labels agree with the prediction with
probability ``accuracy``. The same generator feeds an in-process ``Recorder`` (unit tests, with an
injected clock) or real sidecars over HTTP (scenarios).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import orjson

from modelmonitor.api.profile import ReferenceProfile
from modelmonitor.api.sidecar_config import SidecarConfig
from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.stats.binning import fit_numeric_bins
from modelmonitor.stats.sketches import NumericSketch
from modelmonitor_proxy.recorder import Recorder
from tests.unit.proxy.builders import exchange

T0 = 1_800_000_000.0  # a bucket boundary


def feature_names(n: int) -> list[str]:
    return [f"f{i}" for i in range(n)]


def reference_profile(n_features: int, *, rows: int = 20_000, seed: int = 1) -> ReferenceProfile:
    """Standard-normal reference features, binned at 10 reference quantiles."""
    rng = np.random.default_rng(seed)
    columns = []
    for name in feature_names(n_features):
        values = rng.standard_normal(rows)
        columns.append(NumericSketch.from_values(fit_numeric_bins(values, 10), values).to_profile(name))
    return ReferenceProfile(rows=rows, features=columns)


def monitor_spec(**fields: Any) -> ModelMonitorSpec:
    document: dict[str, Any] = {"target": {"deployment": "fraud-scorer"}, "protocol": "kserve-v1"}
    document.update(fields)
    return ModelMonitorSpec.model_validate(document)


def sidecar_config(spec: ModelMonitorSpec, profile: ReferenceProfile | None, monitor: str = "fraud") -> SidecarConfig:
    return SidecarConfig(namespace="ml", monitor=monitor, spec=spec, profile=profile)


@dataclass
class Traffic:
    """Seeded requests: ``error_rate`` of 5xx, ``shift`` adds a mean shift to named features."""

    n_features: int
    seed: int = 7
    error_rate: float = 0.001
    shift: Mapping[str, float] = field(default_factory=dict)
    slow_rate: float = 0.0
    """Share of requests taking 2 s instead of 20 ms."""
    _rng: np.random.Generator = field(init=False)
    _next_id: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(self.seed)

    def rows(self, n: int) -> np.ndarray[Any, np.dtype[np.float64]]:
        values = self._rng.standard_normal((n, self.n_features))
        for index, name in enumerate(feature_names(self.n_features)):
            values[:, index] += self.shift.get(name, 0.0)
        return values

    def requests(self, n: int) -> list[tuple[str, bytes, int, float, float]]:
        """``n`` requests as ``(request id, body, status, duration, score)``."""
        out = []
        rows = self.rows(n)
        errors = self._rng.random(n) < self.error_rate
        slow = self._rng.random(n) < self.slow_rate
        for row, error, is_slow in zip(rows, errors, slow, strict=True):
            self._next_id += 1
            body = orjson.dumps({"instances": [[round(float(x), 6) for x in row]]})
            score = 1.0 / (1.0 + math.exp(-float(row[0])))
            out.append(
                (f"req-{self.seed}-{self._next_id}", body, 500 if error else 200, 2.0 if is_slow else 0.02, score)
            )
        return out

    def labels(self, ids_and_scores: list[tuple[str, float]], accuracy: float) -> list[dict[str, Any]]:
        """Feedback items: the label agrees with the thresholded score with probability ``accuracy``."""
        items = []
        for request_id, score in ids_and_scores:
            predicted = 1 if score >= 0.5 else 0
            label = predicted if self._rng.random() < accuracy else 1 - predicted
            items.append({"requestId": request_id, "label": label})
        return items


def feed(recorder: Recorder, traffic: Traffic, n: int, *, start: float, seconds: float) -> list[tuple[str, float]]:
    """Record ``n`` requests spread evenly over ``[start, start + seconds)``; returns (id, score) of the 2xx ones."""
    answered = []
    for i, (request_id, body, status, duration, score) in enumerate(traffic.requests(n)):
        at = start + seconds * i / max(n, 1)
        response = orjson.dumps({"predictions": [score]}) if status == 200 else b'{"error": "boom"}'
        recorder.record(
            exchange(
                None,
                request_id=request_id,
                status=status,
                at=at,
                duration=duration,
                raw_request=body,
                raw_response=response,
            )
        )
        if status == 200:
            answered.append((request_id, score))
    return answered
