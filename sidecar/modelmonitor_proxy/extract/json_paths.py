"""Generic JSON payloads: each feature and the prediction name a dotted path in the body.

A path is dot-separated keys, with integer segments indexing lists (``items.0.price``). One ``*``
segment marks the batch: ``rows.*.amount`` reads ``amount`` from every element of ``rows``, one
observation each. Without ``*``, a body that is a JSON list is a batch of rows, and an object is a
single row. A path that leads nowhere is a missing feature (a schema violation), not an error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modelmonitor_proxy.extract.extraction import ErrorKind, ExtractionFailure, Inputs, Row

_MISSING = object()


@dataclass(frozen=True, slots=True)
class JsonPath:
    """A parsed path: the segments before the batch marker, and those after it (the row part)."""

    text: str
    batch: tuple[str, ...] | None
    row: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> JsonPath:
        """Parse ``text``; ``ValueError`` naming it when it is empty or has two ``*``.

        >>> JsonPath.parse("rows.*.amount")
        JsonPath(text='rows.*.amount', batch=('rows',), row=('amount',))
        """
        segments = tuple(text.split("."))
        if not text or any(not s for s in segments):
            raise ValueError(f"invalid JSON path {text!r}: empty segment")
        stars = segments.count("*")
        if stars > 1:
            raise ValueError(f"invalid JSON path {text!r}: at most one '*' segment")
        if stars == 1:
            at = segments.index("*")
            return cls(text, segments[:at], segments[at + 1 :])
        return cls(text, None, segments)


def resolve(document: object, segments: Sequence[str]) -> object:
    """The value at ``segments`` in ``document``, or the module's missing marker.

    >>> resolve({"a": [{"b": 3}]}, ["a", "0", "b"])
    3
    """
    node = document
    for segment in segments:
        if isinstance(node, Mapping):
            node = node.get(segment, _MISSING)
        elif isinstance(node, list) and segment.lstrip("-").isdigit():
            index = int(segment)
            node = node[index] if -len(node) <= index < len(node) else _MISSING
        else:
            return _MISSING
        if node is _MISSING:
            return _MISSING
    return node


def _batch(document: Any, paths: Sequence[JsonPath]) -> list[object]:
    prefixes = {path.batch for path in paths}
    if len(prefixes) > 1:
        raise ExtractionFailure(ErrorKind.MALFORMED, "feature paths disagree on the batch ('*') position")
    prefix = prefixes.pop() if prefixes else None
    if prefix is None:
        return document if isinstance(document, list) else [document]
    rows = resolve(document, prefix)
    if not isinstance(rows, list):
        raise ExtractionFailure(ErrorKind.MALFORMED, f"{'.'.join(prefix) or 'the body'} is not a list of rows")
    return rows


def parse_request(document: Any, features: Mapping[str, JsonPath]) -> Inputs:
    """Named rows: each feature's value at its path, absent keys for paths that lead nowhere.

    >>> parse_request({"user": {"age": 31}}, {"age": JsonPath.parse("user.age")}).rows
    [{'age': 31}]
    """
    rows: list[Row] = []
    for element in _batch(document, list(features.values())):
        row: dict[str, object] = {}
        for name, path in features.items():
            value = resolve(element, path.row)
            if value is not _MISSING:
                row[name] = value
        rows.append(row)
    return Inputs(rows)


def parse_response(document: Any, path: JsonPath | None) -> list[object]:
    """One raw prediction per row at ``path``; without a path the whole body (or each list element).

    >>> parse_response({"out": [{"p": 0.1}, {"p": 0.8}]}, JsonPath.parse("out.*.p"))
    [0.1, 0.8]
    """
    if path is None:
        return document if isinstance(document, list) else [document]
    predictions: list[object] = []
    for element in _batch(document, [path]):
        value = resolve(element, path.row)
        predictions.append(None if value is _MISSING else value)
    return predictions
