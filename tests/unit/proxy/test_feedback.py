"""Feedback: labels joined to recorded predictions through the bounded TTL buffer.

We test these aspects:
- a single label joins (200) and updates confusion counts, calibration bins and label lag;
- unknown and expired request ids answer 404 naming the id; malformed bodies and items 400;
  a second label for the same row 409; row indexes out of range 400;
- batches as a list or ``{"items": [...]}``: 200 when all join, a common status, else 207;
- the buffer is bounded: capacity evictions and TTL expirations are counted, a zero-size buffer
  joins nothing;
- per-group confusion when ``fairness.groupFeature`` is set; multiclass calibration by correctness;
- regression errors (signed, absolute, squared) and label sums;
- parse_items and read_label on their own.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from modelmonitor_proxy.feedback import FeedbackItem, PendingPredictions, parse_items, read_label
from modelmonitor_proxy.recorder import Recorder
from tests.unit.proxy.builders import T0, config, exchange


def post(recorder: Recorder, document: object, now: float = T0 + 10) -> tuple[int, dict[str, Any]]:
    return recorder.feedback(orjson.dumps(document), now)


def feedback(recorder: Recorder, now: float = T0 + 60) -> dict[str, Any]:
    return recorder.snapshot(now)["total"]["feedback"]


def scored(recorder: Recorder, request_id: str, scores: list[float], at: float = T0) -> None:
    recorder.record(
        exchange({"instances": [[1.0]] * len(scores)}, {"predictions": scores}, request_id=request_id, at=at)
    )


def test_a_label_joins_and_counts() -> None:
    recorder = Recorder(config())
    scored(recorder, "r1", [0.83])
    status, body = post(recorder, {"requestId": "r1", "label": 1}, now=T0 + 7)
    assert status == 200
    assert body == {"status": 200, "requestId": "r1", "row": 0}
    counts = feedback(recorder)
    assert counts["results"] == {"joined": 1}
    assert counts["confusion"] == {"classes": ["1"], "counts": [[1]]}
    calibration = counts["calibration"]
    assert calibration["counts"][8] == 1
    assert calibration["hits"][8] == 1
    assert calibration["confidenceSums"][8] == pytest.approx(0.83)
    assert counts["lagSeconds"]["counts"][2] == 1  # 7 s is in (5, 30]
    assert counts["lagSeconds"]["sum"] == pytest.approx(7.0)
    assert recorder.pending_predictions == 0


def test_confusion_of_a_wrong_prediction() -> None:
    recorder = Recorder(config(prediction={"classes": ["legit", "fraud"]}))
    scored(recorder, "r1", [0.2])
    assert post(recorder, {"requestId": "r1", "label": "fraud"})[0] == 200
    confusion = feedback(recorder)["confusion"]
    assert confusion == {"classes": ["fraud", "legit"], "counts": [[0, 1], [0, 0]]}
    calibration = feedback(recorder)["calibration"]
    assert calibration["counts"][2] == 1
    assert calibration["hits"][2] == 1  # binary calibration: the score against P(positive)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"requestId": "nope", "label": 1}, "no recorded prediction for request id 'nope'"),
    ],
)
def test_unknown_ids_answer_404(document: object, message: str) -> None:
    recorder = Recorder(config())
    status, body = post(recorder, document)
    assert status == 404
    assert message in str(body["error"])
    assert feedback(recorder)["results"] == {"unknown": 1}


def test_expired_predictions_answer_404() -> None:
    recorder = Recorder(config(sidecar={"feedbackTtl": "1m"}))
    scored(recorder, "r1", [0.9])
    status, body = post(recorder, {"requestId": "r1", "label": 1}, now=T0 + 61)
    assert status == 404
    assert "TTL (1m)" in str(body["error"])
    assert recorder.buffer_counts() == {"evicted": 0, "expired": 1}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"not json", "not JSON"),
        (b"[]", "no items"),
        (b'{"items": 3}', "'items' must be a list"),
    ],
)
def test_malformed_bodies_answer_400(raw: bytes, message: str) -> None:
    recorder = Recorder(config())
    status, body = recorder.feedback(raw, T0)
    assert status == 400
    assert message in str(body["error"])


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"label": 1}, "'requestId' must be a non-empty string"),
        ({"requestId": "", "label": 1}, "'requestId' must be a non-empty string"),
        ({"requestId": "r1"}, "'label' is required"),
        ({"requestId": "r1", "label": 1, "row": -1}, "'row' must be a non-negative integer"),
        ({"requestId": "r1", "label": 1, "row": 5}, "row 5 is out of range"),
        ({"requestId": "r1", "label": [1]}, "is not a class name"),
        ("r1", "must be an object"),
    ],
)
def test_malformed_items_answer_400(item: object, message: str) -> None:
    recorder = Recorder(config())
    scored(recorder, "r1", [0.9])
    status, body = post(recorder, item)
    assert status == 400
    assert message in str(body["error"])
    assert recorder.pending_predictions == 1


def test_second_label_for_a_row_is_a_conflict() -> None:
    recorder = Recorder(config())
    scored(recorder, "r1", [0.9, 0.1])
    assert post(recorder, {"requestId": "r1", "label": 1})[0] == 200
    status, body = post(recorder, {"requestId": "r1", "label": 1})
    assert status == 409
    assert "already labelled" in str(body["error"])
    assert post(recorder, {"requestId": "r1", "label": 0, "row": 1})[0] == 200
    assert recorder.pending_predictions == 0  # every row labelled: forgotten


@pytest.mark.parametrize("wrap", [lambda items: items, lambda items: {"items": items}])
def test_batches(wrap: Any) -> None:
    recorder = Recorder(config())
    scored(recorder, "a", [0.9])
    scored(recorder, "b", [0.2])
    status, body = post(recorder, wrap([{"requestId": "a", "label": 1}, {"requestId": "b", "label": 0}]))
    assert status == 200
    assert body["joined"] == 2
    status, body = post(recorder, wrap([{"requestId": "x", "label": 1}, {"requestId": "y", "label": 0}]))
    assert status == 404
    scored(recorder, "c", [0.9])
    status, body = post(recorder, wrap([{"requestId": "c", "label": 1}, {"requestId": "z", "label": 0}, {}]))
    assert status == 207
    assert [item["status"] for item in body["items"]] == [200, 404, 400]
    assert feedback(recorder)["results"] == {"joined": 3, "unknown": 3, "malformed": 1}


def test_capacity_evictions_are_counted() -> None:
    recorder = Recorder(config(sidecar={"feedbackBufferSize": 2}))
    for i in range(5):
        scored(recorder, f"r{i}", [0.5])
    assert recorder.pending_predictions == 2
    assert recorder.buffer_counts() == {"evicted": 3, "expired": 0}
    assert post(recorder, {"requestId": "r0", "label": 1})[0] == 404
    assert post(recorder, {"requestId": "r4", "label": 1})[0] == 200


def test_a_zero_buffer_joins_nothing() -> None:
    recorder = Recorder(config(sidecar={"feedbackBufferSize": 0}))
    scored(recorder, "r1", [0.5])
    assert post(recorder, {"requestId": "r1", "label": 1})[0] == 404


def test_group_confusion_with_fairness() -> None:
    cfg = config(
        features=[{"name": "age"}, {"name": "sex", "type": "categorical"}],
        fairness={"groupFeature": "sex"},
    )
    recorder = Recorder(cfg)
    rows = [{"age": 30.0, "sex": "f"}, {"age": 40.0, "sex": "m"}, {"age": 50.0}]
    recorder.record(exchange({"instances": rows}, {"predictions": [0.9, 0.9, 0.1]}, request_id="r1"))
    items = [{"requestId": "r1", "label": label, "row": row} for row, label in enumerate([1, 0, 0])]
    assert post(recorder, items)[0] == 200
    groups = feedback(recorder)["groups"]
    assert set(groups) == {"f", "m"}
    assert groups["f"]["counts"][groups["f"]["classes"].index("1")][groups["f"]["classes"].index("1")] == 1
    assert groups["m"]["counts"][groups["m"]["classes"].index("0")][groups["m"]["classes"].index("1")] == 1


def test_multiclass_calibration_by_correctness() -> None:
    recorder = Recorder(config(prediction={"task": "multiclass", "classes": ["a", "b", "c"]}))
    recorder.record(exchange({"instances": [[1.0], [2.0]]}, {"predictions": [[0.1, 0.75, 0.15], [0.6, 0.3, 0.1]]}))
    assert post(recorder, [{"requestId": "r1", "label": "b"}, {"requestId": "r1", "label": 2, "row": 1}])[0] == 200
    counts = feedback(recorder)
    assert counts["calibration"]["counts"][7] == 1
    assert counts["calibration"]["hits"][7] == 1
    assert counts["calibration"]["counts"][6] == 1
    assert counts["calibration"]["hits"][6] == 0
    classes = counts["confusion"]["classes"]
    assert counts["confusion"]["counts"][classes.index("c")][classes.index("a")] == 1


def test_regression_errors() -> None:
    recorder = Recorder(config(prediction={"task": "regression"}))
    recorder.record(exchange({"instances": [[1.0], [2.0]]}, {"predictions": [3.0, 5.0]}))
    assert post(recorder, [{"requestId": "r1", "label": 4.0}, {"requestId": "r1", "label": 5, "row": 1}])[0] == 200
    regression = feedback(recorder)["regression"]
    assert regression == {
        "count": 2,
        "errorSum": -1.0,
        "absoluteErrorSum": 1.0,
        "squaredErrorSum": 1.0,
        "labelSum": 9.0,
        "squaredLabelSum": 41.0,
    }
    assert "confusion" not in feedback(recorder)


def test_regression_label_must_be_a_number() -> None:
    recorder = Recorder(config(prediction={"task": "regression"}))
    recorder.record(exchange({"instances": [[1.0]]}, {"predictions": [3.0]}))
    status, body = post(recorder, {"requestId": "r1", "label": "high"})
    assert status == 400
    assert "is not a number" in str(body["error"])


def test_parse_items_shapes() -> None:
    assert parse_items(b'{"items": [{"requestId": "a", "label": "x", "row": 2}]}') == [FeedbackItem("a", "x", 2)]
    assert parse_items(b'[{"requestId": "a", "label": 0}, 5]')[1] == (
        "each feedback item must be an object with 'requestId' and 'label'"
    )
    with pytest.raises(ValueError, match="at most"):
        parse_items(orjson.dumps([{"requestId": "a", "label": 1}] * 10001))


@pytest.mark.parametrize(
    ("label", "task", "classes", "expected"),
    [
        (1, "binary-classification", None, "1"),
        (False, "binary-classification", None, "0"),
        (1, "binary-classification", ["neg", "pos"], "pos"),
        (1.0, "multiclass", None, "1"),
        (2.5, "multiclass", None, None),
        ("cat", "multiclass", None, "cat"),
        (3, "regression", None, 3.0),
        (True, "regression", None, None),
    ],
)
def test_read_label(label: object, task: str, classes: list[str] | None, expected: object) -> None:
    assert read_label(label, task, classes) == expected


def test_buffer_rejects_bad_bounds() -> None:
    with pytest.raises(ValueError, match="capacity"):
        PendingPredictions(-1, 10)
