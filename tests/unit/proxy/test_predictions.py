"""Reading raw predictions as the task says.

We test these aspects:
- binary scores, thresholds, probability pairs, class indexes, booleans and names;
- multiclass probability vectors (argmax, confidence), class names and indexes;
- regression values, one-element vectors, dict predictions with and without known keys;
- unreadable shapes give ``None``, never an exception.
"""

from __future__ import annotations

import pytest

from modelmonitor_proxy.extract.predictions import BINARY, MULTICLASS, REGRESSION, PredictionReader, Reading


@pytest.mark.parametrize(
    ("task", "kwargs", "raw", "reading"),
    [
        (BINARY, {}, 0.8, Reading(0.8, "1", 0.8)),
        (BINARY, {}, 0.2, Reading(0.2, "0", 0.8)),
        (BINARY, {"threshold": 0.9}, 0.8, Reading(0.8, "0", pytest.approx(0.2))),
        (BINARY, {}, 0.5, Reading(0.5, "1", 0.5)),
        (BINARY, {"classes": ["legit", "fraud"]}, 0.7, Reading(0.7, "fraud", 0.7)),
        (BINARY, {}, [0.3, 0.7], Reading(0.7, "1", 0.7)),
        (BINARY, {}, 1, Reading(None, "1", None)),
        (BINARY, {}, True, Reading(None, "1", None)),
        (BINARY, {"classes": ["no", "yes"]}, 0, Reading(None, "no", None)),
        (BINARY, {}, "yes", Reading(None, "yes", None)),
        (BINARY, {}, {"score": 0.9, "label": "spam"}, Reading(0.9, "spam", 0.9)),
        (BINARY, {}, {"probability": 0.1}, Reading(0.1, "0", 0.9)),
        (MULTICLASS, {}, [0.1, 0.7, 0.2], Reading(0.7, "1", 0.7)),
        (MULTICLASS, {"classes": ["a", "b", "c"]}, [0.1, 0.2, 0.7], Reading(0.7, "c", 0.7)),
        (MULTICLASS, {"classes": ["a", "b", "c"]}, 1, Reading(None, "b", None)),
        (MULTICLASS, {}, "setosa", Reading(None, "setosa", None)),
        (MULTICLASS, {}, {"class": "b", "x": 1}, Reading(None, "b", None)),
        (REGRESSION, {}, 3.5, Reading(3.5, None, None)),
        (REGRESSION, {}, 4, Reading(4.0, None, None)),
        (REGRESSION, {}, [2.5], Reading(2.5, None, None)),
        (REGRESSION, {}, {"value": 1.5, "other": 2}, Reading(1.5, None, None)),
    ],
)
def test_readings(task: str, kwargs: dict[str, object], raw: object, reading: Reading) -> None:
    assert PredictionReader(task, **kwargs).read(raw) == reading  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("task", "raw"),
    [
        (BINARY, None),
        (BINARY, []),
        (BINARY, ["a", "b"]),
        (BINARY, {"a": 1, "b": 2}),
        (MULTICLASS, 1.5),
        (REGRESSION, "high"),
        (REGRESSION, [1.0, 2.0]),
        (REGRESSION, None),
    ],
)
def test_unreadable_predictions_are_none(task: str, raw: object) -> None:
    assert PredictionReader(task).read(raw) is None


def test_unknown_task_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown prediction task"):
        PredictionReader("ranking")
