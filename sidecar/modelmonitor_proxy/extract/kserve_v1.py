"""KServe v1 (TensorFlow Serving style) payloads: ``{"instances": [...]}`` in, ``{"predictions": [...]}`` out.

Instances are lists (positional features), dicts (named features) or scalars (one unnamed feature).
The columnar form ``{"inputs": {"name": [values...]}}`` and the row form ``{"inputs": [...]}`` are
accepted too. Predictions are one entry per instance: a score, a class, a probability vector or a
dict (a DataFrame row). Pure functions over parsed JSON; nothing here knows HTTP.
"""

from __future__ import annotations

from typing import Any

from modelmonitor_proxy.extract.extraction import ErrorKind, ExtractionFailure, Inputs, Row


def looks_like_request(document: object) -> bool:
    """Whether ``document`` is a KServe v1 request (as opposed to an OIP v2 one)."""
    if not isinstance(document, dict):
        return False
    if "instances" in document:
        return True
    inputs = document.get("inputs")
    if isinstance(inputs, dict):
        return True
    if isinstance(inputs, list):
        return not (inputs and isinstance(inputs[0], dict) and "datatype" in inputs[0])
    return False


def parse_request(document: Any) -> Inputs:
    """Rows of a KServe v1 request.

    >>> parse_request({"instances": [[1, 2], [3, 4]]}).rows
    [[1, 2], [3, 4]]
    >>> parse_request({"inputs": {"a": [1, 2], "b": ["x", "y"]}}).rows
    [[1, 'x'], [2, 'y']]
    """
    if not isinstance(document, dict):
        raise ExtractionFailure(ErrorKind.MALFORMED, "a KServe v1 request must be a JSON object")
    instances = document.get("instances")
    if instances is None:
        instances = document.get("inputs")
    if isinstance(instances, dict):
        return _columns(instances)
    if not isinstance(instances, list):
        raise ExtractionFailure(ErrorKind.MALFORMED, "'instances' must be a list of rows")
    rows: list[Row] = instances
    for instance in instances:
        kind = type(instance)
        if kind is not list and kind is not dict:
            # Scalar instances (a string per row): one unnamed feature each. Copy only then.
            rows = [row if isinstance(row, list | dict) else [row] for row in instances]
            break
    return Inputs(rows)


def _columns(columns: dict[str, Any]) -> Inputs:
    names = list(columns)
    values = list(columns.values())
    if not all(isinstance(column, list) for column in values):
        raise ExtractionFailure(ErrorKind.MALFORMED, "columnar 'inputs' must map each name to a list")
    lengths = {len(column) for column in values}
    if len(lengths) > 1:
        raise ExtractionFailure(ErrorKind.SHAPE_MISMATCH, f"columnar 'inputs' have different lengths {sorted(lengths)}")
    return Inputs([list(row) for row in zip(*values, strict=True)], names)


def parse_response(document: Any) -> list[object]:
    """One raw prediction per instance.

    >>> parse_response({"predictions": [0.2, 0.9]})
    [0.2, 0.9]
    """
    if not isinstance(document, dict):
        raise ExtractionFailure(ErrorKind.MALFORMED, "a KServe v1 response must be a JSON object")
    predictions = document.get("predictions")
    if predictions is None:
        predictions = document.get("outputs")
    if isinstance(predictions, dict):
        columns = _columns(predictions)
        names = columns.names or []
        return [dict(zip(names, row, strict=True)) for row in columns.rows if isinstance(row, list)]
    if not isinstance(predictions, list):
        raise ExtractionFailure(ErrorKind.MALFORMED, "'predictions' must be a list")
    return predictions
