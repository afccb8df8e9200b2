"""Ground-truth feedback: labels joined to recorded predictions by request id.

The recorder keeps each request's readable predictions in a :class:`PendingPredictions` buffer,
bounded in size and in age (``spec.sidecar.feedbackBufferSize`` and ``feedbackTtl``); the oldest
entry makes room for a new one and is counted as evicted. ``POST <prefix>/v1/feedback`` then
carries ``{"requestId": ..., "label": ...}`` (``"row"`` picks a row of a batched request, default
0), or a batch of them as a list or ``{"items": [...]}``. A joined label updates
:class:`LabelCounts`: confusion counts (per group too, when ``spec.fairness.groupFeature`` is set),
calibration bins, regression errors and the label lag. Everything here is pure: the HTTP shell
only hands over the body and sends back the (status, JSON) this module returns.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from modelmonitor_proxy.extract.predictions import BINARY, MULTICLASS, REGRESSION, Reading, class_name

OTHER = "__other__"
LAG_BOUNDS_SECONDS = (1.0, 5.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 43200.0, 86400.0, 259200.0, 604800.0)
CALIBRATION_BINS = 10
MAX_FEEDBACK_ITEMS = 10000


@dataclass(slots=True)
class Pending:
    """A recorded request waiting for labels: one reading (and group) per row, ``None`` once labelled."""

    at: float
    readings: list[Reading | None]
    groups: Sequence[str | None] | None
    labelled: int = 0


class PendingPredictions:
    """Recorded predictions by request id, bounded by ``capacity`` entries and ``ttl_seconds`` of age."""

    __slots__ = ("_entries", "capacity", "evicted", "expired", "ttl_seconds")

    def __init__(self, capacity: int, ttl_seconds: float) -> None:
        if capacity < 0 or ttl_seconds <= 0:
            raise ValueError(f"feedback buffer needs capacity >= 0 and ttl > 0, got {capacity} and {ttl_seconds}")
        self.capacity = capacity
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[str, Pending] = OrderedDict()
        self.evicted = 0
        """Entries dropped to make room before their time was up."""
        self.expired = 0
        """Entries dropped because they outlived the TTL."""

    def __len__(self) -> int:
        return len(self._entries)

    def put(self, request_id: str, pending: Pending) -> None:
        """Remember ``pending``; the oldest entry makes room when full (expired or evicted)."""
        entries = self._entries
        if len(entries) >= self.capacity:
            if not self.capacity:
                return
            _, oldest = entries.popitem(last=False)
            if pending.at - oldest.at > self.ttl_seconds:
                self.expired += 1
            else:
                self.evicted += 1
        entries[request_id] = pending

    def sweep(self, now: float) -> None:
        """Drop the entries that outlived the TTL (oldest first, so it stops at the first young one)."""
        entries = self._entries
        while entries:
            request_id, oldest = next(iter(entries.items()))
            if now - oldest.at <= self.ttl_seconds:
                return
            del entries[request_id]
            self.expired += 1

    def get(self, request_id: str, now: float) -> Pending | None:
        """The live entry of ``request_id``, or ``None`` when unknown or expired."""
        self.sweep(now)
        return self._entries.get(request_id)

    def done(self, request_id: str) -> None:
        """Forget a fully labelled request."""
        self._entries.pop(request_id, None)


class LabelCounts:
    """Additive counts of joined labels for one time bucket."""

    __slots__ = (
        "calibration",
        "classes",
        "confusion",
        "groups",
        "lag",
        "lag_sum",
        "max_classes",
        "regression",
        "results",
    )

    def __init__(self, max_classes: int) -> None:
        self.max_classes = max_classes
        self.results: dict[str, int] = {}
        self.classes: dict[str, None] = {}
        self.confusion: dict[tuple[str, str], int] = {}
        self.groups: dict[str, dict[tuple[str, str], int]] = {}
        self.lag = [0] * (len(LAG_BOUNDS_SECONDS) + 1)
        self.lag_sum = 0.0
        self.calibration = [[0, 0.0, 0] for _ in range(CALIBRATION_BINS)]
        self.regression = [0, 0.0, 0.0, 0.0, 0.0, 0.0]

    def count(self, result: str, n: int = 1) -> None:
        """Count a feedback outcome (joined, unknown, expired, duplicate, malformed)."""
        self.results[result] = self.results.get(result, 0) + n

    def _class(self, name: str) -> str:
        if name in self.classes or len(self.classes) < self.max_classes:
            self.classes[name] = None
            return name
        return OTHER

    def add_class(self, reading: Reading, label: str, group: str | None, positive: str | None) -> None:
        """A joined classification label."""
        actual = self._class(label)
        predicted = self._class(reading.label) if reading.label is not None else OTHER
        self.confusion[actual, predicted] = self.confusion.get((actual, predicted), 0) + 1
        if group is not None:
            cells = self.groups.setdefault(group, {})
            cells[actual, predicted] = cells.get((actual, predicted), 0) + 1
        # Binary: reliability of the score as P(positive); multiclass: of the confidence as P(correct).
        confidence = reading.value if positive is not None else reading.confidence
        if confidence is not None and 0.0 <= confidence <= 1.0:
            hit = label == positive if positive is not None else label == reading.label
            cell = self.calibration[min(int(confidence * CALIBRATION_BINS), CALIBRATION_BINS - 1)]
            cell[0] += 1
            cell[1] += confidence
            cell[2] += hit

    def add_value(self, reading: Reading, label: float) -> None:
        """A joined regression label."""
        if reading.value is None:
            return
        error = reading.value - label
        r = self.regression
        r[0] += 1
        r[1] += error
        r[2] += abs(error)
        r[3] += error * error
        r[4] += label
        r[5] += label * label

    def add_lag(self, seconds: float) -> None:
        """Time between the prediction and its label."""
        self.lag[bisect_left(LAG_BOUNDS_SECONDS, seconds)] += 1
        self.lag_sum += seconds

    def to_json(self, task: str) -> dict[str, Any]:
        """The snapshot form (see ``modelmonitor.api.snapshot``)."""
        body: dict[str, Any] = {
            "results": dict(self.results),
            "lagSeconds": {"bounds": list(LAG_BOUNDS_SECONDS), "counts": list(self.lag), "sum": self.lag_sum},
        }
        if task == REGRESSION:
            count, error, absolute, squared, label, label_squared = self.regression
            body["regression"] = {
                "count": int(count),
                "errorSum": error,
                "absoluteErrorSum": absolute,
                "squaredErrorSum": squared,
                "labelSum": label,
                "squaredLabelSum": label_squared,
            }
            return body
        body["confusion"] = _confusion(list(self.classes), self.confusion)
        body["groups"] = {group: _confusion(list(self.classes), cells) for group, cells in self.groups.items()}
        body["calibration"] = {
            "edges": [i / CALIBRATION_BINS for i in range(CALIBRATION_BINS + 1)],
            "counts": [cell[0] for cell in self.calibration],
            "confidenceSums": [cell[1] for cell in self.calibration],
            "hits": [cell[2] for cell in self.calibration],
        }
        return body


def _confusion(classes: list[str], cells: dict[tuple[str, str], int]) -> dict[str, Any]:
    if any(OTHER in key for key in cells):
        classes = [*classes, OTHER]
    return {"classes": classes, "counts": [[cells.get((a, p), 0) for p in classes] for a in classes]}


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    """One label for one row of one request."""

    request_id: str
    label: object
    row: int


def parse_items(body: bytes) -> list[FeedbackItem | str]:
    """The items of a feedback body, each one an item or the message saying why it is malformed.

    Raises ``ValueError`` when the body as a whole is unusable.

    >>> parse_items(b'{"requestId": "r1", "label": 1}')
    [FeedbackItem(request_id='r1', label=1, row=0)]
    >>> parse_items(b'[{"label": 1}]')
    ["'requestId' must be a non-empty string"]
    """
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise ValueError(f"feedback body is not JSON: {error}") from None
    if isinstance(document, dict) and "items" in document:
        document = document["items"]
        if not isinstance(document, list):
            raise ValueError("'items' must be a list of feedback objects")
    raw_items = document if isinstance(document, list) else [document]
    if not raw_items:
        raise ValueError("feedback has no items")
    if len(raw_items) > MAX_FEEDBACK_ITEMS:
        raise ValueError(f"feedback has {len(raw_items)} items; at most {MAX_FEEDBACK_ITEMS} per request")
    return [_item(raw) for raw in raw_items]


def _item(raw: object) -> FeedbackItem | str:
    if not isinstance(raw, dict):
        return "each feedback item must be an object with 'requestId' and 'label'"
    request_id = raw.get("requestId")
    if not isinstance(request_id, str) or not request_id:
        return "'requestId' must be a non-empty string"
    if raw.get("label") is None:
        return f"{request_id}: 'label' is required"
    row = raw.get("row", 0)
    if not isinstance(row, int) or isinstance(row, bool) or row < 0:
        return f"{request_id}: 'row' must be a non-negative integer"
    return FeedbackItem(request_id, raw["label"], row)


def read_label(label: object, task: str, classes: Sequence[str] | None) -> float | str | None:
    """The label as the task needs it (a number for regression, a class name otherwise), or ``None``.

    >>> read_label(1, "binary-classification", None), read_label("3.5", "regression", None)
    ('1', None)
    """
    if task == REGRESSION:
        if type(label) is float or type(label) is int:
            return float(label)
        return None
    return class_name(label, classes)


__all__ = [
    "BINARY",
    "MULTICLASS",
    "REGRESSION",
    "FeedbackItem",
    "LabelCounts",
    "Pending",
    "PendingPredictions",
    "parse_items",
    "read_label",
]
