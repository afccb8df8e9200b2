"""Extraction of features and predictions from every supported wire shape.

We test these aspects:
- KServe v1: instances as lists, dicts and scalars; the columnar and row ``inputs`` forms;
  predictions as scores, classes, vectors, dicts and DataFrame-style columns;
- Open Inference Protocol v2: ``pd`` columns, several named columns, one ``[N, M]`` tensor, a
  ``[N]`` tensor, nested and flat data, BYTES, output selection by name;
- generic JSON paths: dotted keys, list indexes, the ``*`` batch marker, missing paths;
- protocol detection, and every malformed shape mapping to its error kind (never an exception):
  not captured, over the parse limit, not JSON, binary extension, unknown protocol, malformed,
  shape mismatch, unsupported rank, row count mismatch.
"""

from __future__ import annotations

import orjson
import pytest

from modelmonitor_proxy.extract import ErrorKind, Extractor, detect_protocol, json_paths, kserve_v1, open_inference_v2
from modelmonitor_proxy.extract.extraction import ExtractionFailure
from modelmonitor_proxy.extract.json_paths import JsonPath


def tensor(name: str, shape: list[int], data: object, datatype: str = "FP32") -> dict[str, object]:
    return {"name": name, "shape": shape, "datatype": datatype, "data": data}


@pytest.mark.parametrize(
    ("document", "rows", "names"),
    [
        ({"instances": [[1.0, 2.0], [3.0, 4.0]]}, [[1.0, 2.0], [3.0, 4.0]], None),
        ({"instances": [{"a": 1, "b": "x"}]}, [{"a": 1, "b": "x"}], None),
        ({"instances": ["some text", "more"]}, [["some text"], ["more"]], None),
        ({"instances": [[1.0], {"a": 2}, 3]}, [[1.0], {"a": 2}, [3]], None),
        ({"inputs": [[5, 6]]}, [[5, 6]], None),
        ({"inputs": {"a": [1, 2], "b": ["x", "y"]}}, [[1, "x"], [2, "y"]], ["a", "b"]),
        ({"instances": []}, [], None),
    ],
)
def test_kserve_v1_requests(document: object, rows: object, names: object) -> None:
    inputs = kserve_v1.parse_request(document)
    assert inputs.rows == rows
    assert inputs.names == names


@pytest.mark.parametrize(
    ("document", "kind"),
    [
        ({"instances": {"not": "rows"}, "x": 1}, ErrorKind.MALFORMED),
        ({"instances": 3}, ErrorKind.MALFORMED),
        ([1, 2], ErrorKind.MALFORMED),
        ({"inputs": {"a": [1, 2], "b": [1]}}, ErrorKind.SHAPE_MISMATCH),
        ({"inputs": {"a": 1}}, ErrorKind.MALFORMED),
    ],
)
def test_kserve_v1_malformed_requests(document: object, kind: ErrorKind) -> None:
    with pytest.raises(ExtractionFailure) as raised:
        kserve_v1.parse_request(document)
    assert raised.value.kind is kind


@pytest.mark.parametrize(
    ("document", "predictions"),
    [
        ({"predictions": [0.1, 0.9]}, [0.1, 0.9]),
        ({"predictions": ["cat", "dog"]}, ["cat", "dog"]),
        ({"predictions": [[0.2, 0.8]]}, [[0.2, 0.8]]),
        ({"predictions": [{"label": "a", "score": 0.7}]}, [{"label": "a", "score": 0.7}]),
        (
            {"predictions": {"label": ["a", "b"], "score": [0.7, 0.6]}},
            [{"label": "a", "score": 0.7}, {"label": "b", "score": 0.6}],
        ),
        ({"outputs": [1, 0]}, [1, 0]),
    ],
)
def test_kserve_v1_responses(document: object, predictions: object) -> None:
    assert kserve_v1.parse_response(document) == predictions


def test_kserve_v1_response_without_predictions_is_malformed() -> None:
    with pytest.raises(ExtractionFailure) as raised:
        kserve_v1.parse_response({"error": "model failed"})
    assert raised.value.kind is ErrorKind.MALFORMED


@pytest.mark.parametrize(
    ("document", "rows", "names"),
    [
        (
            {
                "parameters": {"content_type": "pd"},
                "inputs": [tensor("age", [2], [31, 45], "INT64"), tensor("city", [2], ["Paris", "Lyon"], "BYTES")],
            },
            [[31, "Paris"], [45, "Lyon"]],
            ["age", "city"],
        ),
        (
            {"inputs": [tensor("a", [2, 1], [[1], [2]]), tensor("b", [2, 1], [3, 4])]},
            [[1, 3], [2, 4]],
            ["a", "b"],
        ),
        ({"inputs": [tensor("x", [2, 3], [1, 2, 3, 4, 5, 6])]}, [[1, 2, 3], [4, 5, 6]], None),
        ({"inputs": [tensor("x", [2, 3], [[1, 2, 3], [4, 5, 6]])]}, [[1, 2, 3], [4, 5, 6]], None),
        ({"inputs": [tensor("x", [3], [7, 8, 9])]}, [[7], [8], [9]], ["x"]),
        ({"inputs": [tensor("x", [0, 4], [])]}, [], None),
        ({"inputs": [tensor("flag", [2], [True, False], "BOOL")]}, [[True], [False]], ["flag"]),
    ],
)
def test_open_inference_requests(document: object, rows: object, names: object) -> None:
    inputs = open_inference_v2.parse_request(document)
    assert inputs.rows == rows
    assert inputs.names == names


@pytest.mark.parametrize(
    ("document", "kind"),
    [
        ({"inputs": [tensor("x", [2, 3], [1, 2, 3, 4, 5])]}, ErrorKind.SHAPE_MISMATCH),
        ({"inputs": [tensor("x", [1, 2, 2], [1, 2, 3, 4])]}, ErrorKind.UNSUPPORTED_SHAPE),
        ({"inputs": [tensor("a", [2], [1, 2]), tensor("b", [3], [1, 2, 3])]}, ErrorKind.SHAPE_MISMATCH),
        ({"inputs": [tensor("a", [2, 2], [1, 2, 3, 4]), tensor("b", [2], [1, 2])]}, ErrorKind.UNSUPPORTED_SHAPE),
        ({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32"}]}, ErrorKind.MALFORMED),
        ({"inputs": [{"name": "x", "shape": "1", "datatype": "FP32", "data": [1]}]}, ErrorKind.MALFORMED),
        ({"inputs": [{"shape": [1], "datatype": "FP32", "data": [1]}]}, ErrorKind.MALFORMED),
        ({"inputs": ["x"]}, ErrorKind.MALFORMED),
        ({"inputs": []}, ErrorKind.MALFORMED),
        ({"inputs": "x"}, ErrorKind.MALFORMED),
    ],
)
def test_open_inference_malformed_requests(document: object, kind: ErrorKind) -> None:
    with pytest.raises(ExtractionFailure) as raised:
        open_inference_v2.parse_request(document)
    assert raised.value.kind is kind


@pytest.mark.parametrize(
    ("document", "output", "predictions"),
    [
        ({"outputs": [tensor("p", [2, 2], [0.1, 0.9, 0.7, 0.3])]}, None, [[0.1, 0.9], [0.7, 0.3]]),
        ({"outputs": [tensor("p", [2], [0.1, 0.9])]}, None, [0.1, 0.9]),
        ({"outputs": [tensor("p", [2, 1], [[0.1], [0.9]])]}, None, [0.1, 0.9]),
        ({"outputs": [tensor("label", [1], ["cat"], "BYTES"), tensor("p", [1], [0.4])]}, "p", [0.4]),
    ],
)
def test_open_inference_responses(document: object, output: str | None, predictions: object) -> None:
    assert open_inference_v2.parse_response(document, output) == predictions


@pytest.mark.parametrize(
    ("document", "output", "kind"),
    [
        ({"outputs": [tensor("p", [1], [0.4])]}, "missing", ErrorKind.MALFORMED),
        ({"outputs": []}, None, ErrorKind.MALFORMED),
        ({"error": "boom"}, None, ErrorKind.MALFORMED),
        ({"outputs": [tensor("p", [1, 2, 2], [0] * 4)]}, None, ErrorKind.UNSUPPORTED_SHAPE),
        ({"outputs": [tensor("p", [3], [0.4])]}, None, ErrorKind.SHAPE_MISMATCH),
    ],
)
def test_open_inference_malformed_responses(document: object, output: str | None, kind: ErrorKind) -> None:
    with pytest.raises(ExtractionFailure) as raised:
        open_inference_v2.parse_response(document, output)
    assert raised.value.kind is kind


def test_flatten_keeps_row_major_order() -> None:
    assert open_inference_v2.flatten([[[1, 2], [3]], 4, [[5]]]) == [1, 2, 3, 4, 5]
    assert open_inference_v2.flatten(7) == [7]


@pytest.mark.parametrize(
    ("document", "paths", "rows"),
    [
        (
            {"user": {"age": 31, "tags": ["a", "b"]}},
            {"age": "user.age", "tag": "user.tags.1"},
            [{"age": 31, "tag": "b"}],
        ),
        ([{"x": 1}, {"x": 2}], {"x": "x"}, [{"x": 1}, {"x": 2}]),
        ({"rows": [{"x": 1}, {"y": 2}]}, {"x": "rows.*.x"}, [{"x": 1}, {}]),
        ({"user": {}}, {"age": "user.age"}, [{}]),
        ({"user": {"age": None}}, {"age": "user.age"}, [{"age": None}]),
        ({"a": [1]}, {"v": "a.5"}, [{}]),
        ({"a": 3}, {"v": "a.b"}, [{}]),
    ],
)
def test_json_path_requests(document: object, paths: dict[str, str], rows: object) -> None:
    parsed = {name: JsonPath.parse(path) for name, path in paths.items()}
    assert json_paths.parse_request(document, parsed).rows == rows


def test_json_paths_must_agree_on_the_batch() -> None:
    paths = {"a": JsonPath.parse("rows.*.a"), "b": JsonPath.parse("other.*.b")}
    with pytest.raises(ExtractionFailure) as raised:
        json_paths.parse_request({"rows": [], "other": []}, paths)
    assert raised.value.kind is ErrorKind.MALFORMED


def test_json_path_batch_must_be_a_list() -> None:
    with pytest.raises(ExtractionFailure):
        json_paths.parse_request({"rows": 3}, {"a": JsonPath.parse("rows.*.a")})


@pytest.mark.parametrize("text", ["", "a..b", "a.*.b.*", "."])
def test_invalid_json_paths_are_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="invalid JSON path"):
        JsonPath.parse(text)


def test_json_path_responses() -> None:
    assert json_paths.parse_response({"out": {"p": 0.3}}, JsonPath.parse("out.p")) == [0.3]
    assert json_paths.parse_response([{"p": 1}, {"q": 2}], JsonPath.parse("p")) == [1, None]
    assert json_paths.parse_response([0.1, 0.2], None) == [0.1, 0.2]
    assert json_paths.parse_response(0.5, None) == [0.5]


@pytest.mark.parametrize(
    ("document", "protocol"),
    [
        ({"instances": [[1]]}, "kserve-v1"),
        ({"inputs": [[1, 2]]}, "kserve-v1"),
        ({"inputs": {"a": [1]}}, "kserve-v1"),
        ({"inputs": [tensor("x", [1], [1])]}, "open-inference-v2"),
        ({"data": [1]}, None),
        ([1, 2], None),
        ("text", None),
    ],
)
def test_protocol_detection(document: object, protocol: str | None) -> None:
    assert detect_protocol(document) == protocol


def body(document: object) -> bytes:
    return orjson.dumps(document)


def test_extractor_reads_both_bodies() -> None:
    extraction = Extractor().extract(body({"instances": [[1.0, 2.0]]}), body({"predictions": [0.4]}))
    assert extraction.protocol == "kserve-v1"
    assert extraction.inputs is not None
    assert extraction.inputs.rows == [[1.0, 2.0]]
    assert extraction.predictions == [0.4]
    assert extraction.errors == []


def test_extractor_auto_detects_open_inference() -> None:
    request = {"inputs": [tensor("x", [1, 2], [1.0, 2.0])]}
    response = {"outputs": [tensor("y", [1], [0.3])]}
    extraction = Extractor().extract(body(request), body(response))
    assert extraction.protocol == "open-inference-v2"
    assert extraction.predictions == [0.3]


def test_extractor_json_protocol_uses_paths() -> None:
    extractor = Extractor("json", feature_paths={"amount": "tx.amount"}, prediction_path="result.score")
    extraction = extractor.extract(body({"tx": {"amount": 12.5}}), body({"result": {"score": 0.9}}))
    assert extraction.inputs is not None
    assert extraction.inputs.rows == [{"amount": 12.5}]
    assert extraction.predictions == [0.9]


@pytest.mark.parametrize(
    ("request_body", "response_body", "kwargs", "errors", "has_inputs"),
    [
        (None, b"{}", {}, [ErrorKind.NOT_CAPTURED], False),
        (b"x" * 101, b"{}", {}, [ErrorKind.TOO_LARGE], False),
        (b"\x89PNG\r\n", b"{}", {}, [ErrorKind.NOT_JSON], False),
        (b'{"instances": [[1]]', b"{}", {}, [ErrorKind.NOT_JSON], False),
        (b'{"instances": [[1]]}', b"{}", {"binary_extension": True}, [ErrorKind.BINARY_EXTENSION], False),
        (b'{"data": 1}', b"{}", {}, [ErrorKind.UNKNOWN_PROTOCOL], False),
        (b'{"instances": [[1]]}', b"not json", {}, [ErrorKind.NOT_JSON], True),
        (b'{"instances": [[1]]}', None, {}, [ErrorKind.NOT_CAPTURED], True),
        (b'{"instances": [[1], [2]]}', b'{"predictions": [1]}', {}, [ErrorKind.ROW_MISMATCH], True),
        (b'{"instances": [[1]]}', b'{"error": "x"}', {}, [ErrorKind.MALFORMED], True),
        (b'{"instances": [[1]]}', b'{"error": "x"}', {"read_response": False}, [], True),
        (b'{"instances": 5}', b"{}", {}, [ErrorKind.MALFORMED], False),
        (b"null", b"{}", {}, [ErrorKind.UNKNOWN_PROTOCOL], False),
    ],
)
def test_malformed_bodies_become_error_kinds(
    request_body: bytes | None,
    response_body: bytes | None,
    kwargs: dict[str, bool],
    errors: list[ErrorKind],
    has_inputs: bool,
) -> None:
    extraction = Extractor(parse_limit_bytes=100).extract(request_body, response_body, **kwargs)
    assert extraction.errors == errors
    assert (extraction.inputs is not None) is has_inputs
    if errors:
        assert extraction.predictions is None


def test_explicit_protocol_does_not_guess() -> None:
    extraction = Extractor("open-inference-v2").extract(body({"instances": [[1]]}), body({}))
    assert extraction.errors == [ErrorKind.MALFORMED]


@pytest.mark.parametrize(
    ("protocol", "kwargs", "message"),
    [
        ("soap", {}, "unknown protocol"),
        ("json", {}, "needs a path"),
    ],
)
def test_extractor_configuration_errors(protocol: str, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Extractor(protocol, **kwargs)  # type: ignore[arg-type]
