"""Open Inference Protocol v2 payloads: named, typed tensors in ``inputs`` and ``outputs``.

A request is tabular in one of three ways:

- ``parameters.content_type == "pd"`` (the pandas codec of MLServer and KServe), or several inputs of
  shape ``[N]`` or ``[N, 1]``: each input is one column, named by the tensor;
- a single input of shape ``[N, M]``: N positional rows of M features;
- a single input of shape ``[N]``: one column of N rows.

``data`` is row-major and may be nested or flat; ``shape`` decides. A tensor whose element count
differs from its shape is a shape mismatch; rank three and more is not tabular. The binary-tensor
extension never reaches this module (the caller skips those bodies).
"""

from __future__ import annotations

from math import prod
from typing import Any

from modelmonitor_proxy.extract.extraction import ErrorKind, ExtractionFailure, Inputs, Row


def looks_like_request(document: object) -> bool:
    """Whether ``document`` is an OIP v2 inference request."""
    if not isinstance(document, dict):
        return False
    inputs = document.get("inputs")
    return isinstance(inputs, list) and bool(inputs) and isinstance(inputs[0], dict) and "datatype" in inputs[0]


def looks_like_response(document: object) -> bool:
    """Whether ``document`` is an OIP v2 inference response."""
    if not isinstance(document, dict):
        return False
    outputs = document.get("outputs")
    return isinstance(outputs, list) and bool(outputs) and isinstance(outputs[0], dict) and "datatype" in outputs[0]


def flatten(data: Any) -> list[object]:
    """Row-major elements of nested ``data``.

    >>> flatten([[1, 2], [3, [4]]])
    [1, 2, 3, 4]
    """
    if not isinstance(data, list):
        return [data]
    if not any(isinstance(item, list) for item in data):
        return data
    flat: list[object] = []
    stack = [iter(data)]
    while stack:
        for item in stack[-1]:
            if isinstance(item, list):
                stack.append(iter(item))
                break
            flat.append(item)
        else:
            stack.pop()
    return flat


def _tensor(tensor: Any, where: str) -> tuple[str, list[int], list[object]]:
    """The name, shape and flat data of one tensor, checked against each other."""
    if not isinstance(tensor, dict):
        raise ExtractionFailure(ErrorKind.MALFORMED, f"{where}: a tensor must be a JSON object")
    name = tensor.get("name")
    shape = tensor.get("shape")
    if not isinstance(name, str):
        raise ExtractionFailure(ErrorKind.MALFORMED, f"{where}: tensor has no string 'name'")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise ExtractionFailure(ErrorKind.MALFORMED, f"{where} {name!r}: 'shape' must be a list of sizes")
    if "data" not in tensor:
        raise ExtractionFailure(ErrorKind.MALFORMED, f"{where} {name!r}: no 'data' (binary tensors are not read)")
    data = flatten(tensor["data"])
    if len(data) != prod(shape):
        raise ExtractionFailure(
            ErrorKind.SHAPE_MISMATCH,
            f"{where} {name!r}: shape {shape} needs {prod(shape)} elements, data has {len(data)}",
        )
    return name, shape, data


def _is_column(shape: list[int]) -> bool:
    return len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)


def parse_request(document: Any) -> Inputs:
    """Rows of an OIP v2 request.

    >>> parse_request({"inputs": [{"name": "x", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]}]}).rows
    [[1, 2], [3, 4]]
    """
    if not isinstance(document, dict) or not isinstance(document.get("inputs"), list):
        raise ExtractionFailure(ErrorKind.MALFORMED, "an OIP v2 request needs an 'inputs' list")
    tensors = [_tensor(t, f"inputs[{i}]") for i, t in enumerate(document["inputs"])]
    if not tensors:
        raise ExtractionFailure(ErrorKind.MALFORMED, "'inputs' is empty")
    parameters = document.get("parameters")
    pandas = isinstance(parameters, dict) and parameters.get("content_type") == "pd"
    if pandas or len(tensors) > 1:
        for name, shape, _ in tensors:
            if not _is_column(shape):
                raise ExtractionFailure(
                    ErrorKind.UNSUPPORTED_SHAPE, f"input {name!r}: shape {shape} is not a column ([N] or [N, 1])"
                )
        lengths = {len(data) for _, _, data in tensors}
        if len(lengths) > 1:
            raise ExtractionFailure(ErrorKind.SHAPE_MISMATCH, f"input columns have different lengths {sorted(lengths)}")
        columns = [data for _, _, data in tensors]
        return Inputs([list(row) for row in zip(*columns, strict=True)], [name for name, _, _ in tensors])
    name, shape, data = tensors[0]
    if len(shape) == 1:
        return Inputs([[value] for value in data], [name])
    if len(shape) == 2:
        width = shape[1]
        rows: list[Row] = [data[start : start + width] for start in range(0, len(data), width)] if width else []
        return Inputs(rows)
    raise ExtractionFailure(ErrorKind.UNSUPPORTED_SHAPE, f"input {name!r}: rank {len(shape)} tensors are not tabular")


def parse_response(document: Any, output: str | None = None) -> list[object]:
    """One raw prediction per row, from the output named ``output`` (default: the first one).

    A ``[N]`` or ``[N, 1]`` output gives N scalars; ``[N, C]`` gives N vectors of C values.

    >>> parse_response({"outputs": [{"name": "p", "shape": [2, 2], "datatype": "FP32", "data": [0.1, 0.9, 0.7, 0.3]}]})
    [[0.1, 0.9], [0.7, 0.3]]
    """
    if not isinstance(document, dict) or not isinstance(document.get("outputs"), list):
        raise ExtractionFailure(ErrorKind.MALFORMED, "an OIP v2 response needs an 'outputs' list")
    outputs = document["outputs"]
    if not outputs:
        raise ExtractionFailure(ErrorKind.MALFORMED, "'outputs' is empty")
    chosen = outputs[0]
    if output is not None:
        named = [t for t in outputs if isinstance(t, dict) and t.get("name") == output]
        if not named:
            raise ExtractionFailure(ErrorKind.MALFORMED, f"response has no output named {output!r}")
        chosen = named[0]
    name, shape, data = _tensor(chosen, "outputs")
    if _is_column(shape):
        return data
    if len(shape) == 2:
        width = shape[1]
        return [data[start : start + width] for start in range(0, len(data), width)] if width else []
    raise ExtractionFailure(ErrorKind.UNSUPPORTED_SHAPE, f"output {name!r}: rank {len(shape)} is not a prediction")
