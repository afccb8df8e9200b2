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
from typing import Any, NamedTuple

import orjson

from modelmonitor.stats.base import SNAPSHOT_VERSION
from modelmonitor.stats.outcome_sketches import CalibrationBins, ConfusionCounts, RegressionErrors
from modelmonitor_proxy.extract.predictions import REGRESSION, Reading, class_name

OTHER = "__other__"
LAG_BOUNDS_SECONDS = (1.0, 5.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 14400.0, 43200.0, 86400.0, 259200.0, 604800.0)
CALIBRATION_BINS = 10
MAX_FEEDBACK_ITEMS = 10000


class Pending(NamedTuple):
    """A recorded request waiting for labels: one reading (and group) per row, ``None`` once labelled.

    Immutable and small (one tuple per request); labelling a row replaces the entry
    (:meth:`PendingPredictions.label`).
    """

    at: float
    readings: tuple[Reading | None, ...]
    groups: tuple[str | None, ...] | None


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

    def label(self, request_id: str, row: int) -> None:
        """Mark ``row`` of ``request_id`` labelled; the entry goes once every row is."""
        pending = self._entries[request_id]
        readings = (*pending.readings[:row], None, *pending.readings[row + 1 :])
        if any(reading is not None for reading in readings):
            self._entries[request_id] = pending._replace(readings=readings)  # keeps its place in the order
        else:
            del self._entries[request_id]


class LabelCounts:
    """Additive counts of joined labels for one time bucket, in the statistics core's outcome sketches.

    Calibration and regression errors go straight into :class:`CalibrationBins` and
    :class:`RegressionErrors`. Confusion counts are kept by (actual, predicted) name, because the
    classes of a model without configured classes are learned (up to ``max_classes``, the rest
    being ``__other__``); they are written out as ``confusion-counts`` and ``grouped-confusion``
    snapshots over the classes known so far.
    """

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

    def __init__(self, max_classes: int, classes: Sequence[str] = ()) -> None:
        self.max_classes = max(max_classes, len(classes))
        self.results: dict[str, int] = {}
        self.classes: dict[str, None] = dict.fromkeys(classes)
        self.confusion: dict[tuple[str, str], int] = {}
        self.groups: dict[str, dict[tuple[str, str], int]] = {}
        self.lag = [0] * (len(LAG_BOUNDS_SECONDS) + 1)
        self.lag_sum = 0.0
        self.calibration = CalibrationBins(CALIBRATION_BINS)
        self.regression = RegressionErrors()

    def count(self, result: str, n: int = 1) -> None:
        """Count a feedback outcome (joined, unknown, duplicate, malformed)."""
        self.results[result] = self.results.get(result, 0) + n

    def _class(self, name: str) -> str:
        if name in self.classes or len(self.classes) < self.max_classes:
            self.classes[name] = None
            return name
        return OTHER

    def add_class(self, reading: Reading, label: str, group: str | None, positive: str | None) -> None:
        """A joined classification label (``positive`` names the positive class of a binary model)."""
        actual = self._class(label)
        predicted = self._class(reading.label) if reading.label is not None else OTHER
        self.confusion[actual, predicted] = self.confusion.get((actual, predicted), 0) + 1
        if group is not None:
            cells = self.groups.setdefault(group, {})
            cells[actual, predicted] = cells.get((actual, predicted), 0) + 1
        # Binary: the score as P(positive); multiclass: the confidence as P(correct).
        if positive is not None and reading.value is not None:
            self.calibration.update(reading.value, int(label == positive))
        elif positive is None and reading.confidence is not None:
            self.calibration.update(reading.confidence, int(label == reading.label))

    def add_value(self, reading: Reading, label: float) -> None:
        """A joined regression label."""
        if reading.value is not None:
            self.regression.update(reading.value, label)

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
            body["regression"] = self.regression.to_snapshot()
            return body
        classes = list(self.classes)
        if any(OTHER in key for key in self.confusion):
            classes.append(OTHER)
        while len(classes) < 2:  # a confusion matrix has at least two classes
            classes.append(OTHER if OTHER not in classes else f"{OTHER}2")
        body["confusion"] = _confusion(classes, self.confusion)
        body["groupConfusion"] = {
            "type": "grouped-confusion",
            "version": SNAPSHOT_VERSION,
            "classes": classes,
            "groups": None,
            "maxGroups": self.max_classes,
            "byGroup": {group: _confusion(classes, cells) for group, cells in sorted(self.groups.items())},
        }
        body["calibration"] = self.calibration.to_snapshot()
        return body


def _confusion(classes: list[str], cells: dict[tuple[str, str], int]) -> dict[str, Any]:
    counts = ConfusionCounts(classes)
    counts.counts = [[cells.get((a, p), 0) for p in classes] for a in classes]
    return counts.to_snapshot()


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
    "FeedbackItem",
    "LabelCounts",
    "Pending",
    "PendingPredictions",
    "parse_items",
    "read_label",
]
