"""Reading one raw prediction as the task says: a score, a class, a confidence or a value.

A model answers a row with a number, a string, a probability vector, or a dict (a DataFrame row, or
``{"label": ..., "score": ...}``). :class:`PredictionReader` turns any of them into a
:class:`Reading`; what it cannot read is ``None`` (counted, never raised).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

BINARY = "binary-classification"
MULTICLASS = "multiclass"
REGRESSION = "regression"

# Keys of dict predictions, most specific first, when no path names the one to read.
SCORE_KEYS = (
    "probabilities",
    "probability",
    "scores",
    "score",
    "proba",
    "prediction",
    "predictions",
    "value",
    "output",
)
CLASS_KEYS = ("label", "class", "predicted_class", "class_name")


class Reading(NamedTuple):
    """One prediction: ``value`` is the score (binary), the confidence (multiclass) or the value (regression)."""

    value: float | None
    label: str | None
    confidence: float | None


def _number(value: object) -> float | None:
    if type(value) is float or type(value) is int:
        return float(value)
    return None


def class_name(value: object, classes: Sequence[str] | None) -> str | None:
    """The class a label or an integer class index stands for.

    >>> class_name(1, ["cat", "dog"]), class_name("dog", None), class_name(2.0, None), class_name(True, None)
    ('dog', 'dog', '2', '1')
    """
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return classes[value] if classes is not None and 0 <= value < len(classes) else str(value)
    if isinstance(value, float) and value.is_integer():
        return class_name(int(value), classes)
    return None


class PredictionReader:
    """Reads raw predictions for one task; configured once per sidecar."""

    __slots__ = ("_classes", "_negative", "_positive", "_task", "_threshold")

    def __init__(self, task: str, *, threshold: float = 0.5, classes: Sequence[str] | None = None) -> None:
        if task not in (BINARY, MULTICLASS, REGRESSION):
            raise ValueError(f"unknown prediction task {task!r}")
        self._task = task
        self._threshold = threshold
        self._classes = list(classes) if classes else None
        self._negative, self._positive = (self._classes[0], self._classes[-1]) if self._classes else ("0", "1")

    @property
    def task(self) -> str:
        """The prediction task."""
        return self._task

    def read(self, raw: object) -> Reading | None:
        """The reading of one raw prediction, or ``None`` when it has no usable shape.

        >>> PredictionReader(BINARY).read(0.8)
        Reading(value=0.8, label='1', confidence=0.8)
        >>> PredictionReader(MULTICLASS, classes=["a", "b", "c"]).read([0.2, 0.5, 0.3])
        Reading(value=0.5, label='b', confidence=0.5)
        >>> PredictionReader(REGRESSION).read({"prediction": 3.5})
        Reading(value=3.5, label=None, confidence=None)
        """
        if type(raw) is float and self._task == BINARY:
            return self._binary_score(raw)
        if isinstance(raw, dict):
            return self._read_dict(raw)
        if self._task == REGRESSION:
            value = _number(raw)
            if value is None and isinstance(raw, list) and len(raw) == 1:
                value = _number(raw[0])
            return None if value is None else Reading(value, None, None)
        if isinstance(raw, list):
            return self._read_vector(raw)
        if self._task == BINARY and type(raw) is float:
            return self._binary_score(raw)
        label = class_name(raw, self._classes)
        return None if label is None else Reading(None, label, None)

    def _binary_score(self, score: float) -> Reading:
        positive = score >= self._threshold
        return Reading(score, self._positive if positive else self._negative, score if positive else 1.0 - score)

    def _read_vector(self, vector: list[object]) -> Reading | None:
        if not vector or not all(type(p) is float or type(p) is int for p in vector):
            return None
        probabilities: list[float] = [float(p) for p in vector]  # type: ignore[arg-type]
        if self._task == BINARY:
            return self._binary_score(probabilities[-1])
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        label = class_name(best, self._classes)
        return Reading(probabilities[best], label, probabilities[best])

    def _read_dict(self, raw: dict[str, object]) -> Reading | None:
        if len(raw) == 1:
            return self.read(next(iter(raw.values())))
        for key in SCORE_KEYS:
            if key in raw:
                reading = self.read(raw[key])
                if reading is not None:
                    label = next((raw[k] for k in CLASS_KEYS if k in raw), None)
                    name = class_name(label, self._classes) if label is not None else None
                    return Reading(reading.value, name or reading.label, reading.confidence)
        for key in CLASS_KEYS:
            if key in raw:
                name = class_name(raw[key], self._classes)
                return None if name is None else Reading(None, name, None)
        return None
