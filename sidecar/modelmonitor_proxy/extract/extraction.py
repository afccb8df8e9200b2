"""The common result of reading one request/response pair: rows of feature values and predictions.

Every protocol module turns a parsed JSON document into these plain shapes, so the recorder has one
hot loop whatever the wire format. Rows stay as the JSON parser built them (lists or dicts) to avoid
copying on the request path; a row is either positional (a list, named by ``names`` or by the
configured feature order) or named (a dict from feature name to value; an absent key is a missing
feature, a ``None`` value a null one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ErrorKind(StrEnum):
    """Why a body could not be read; each kind is one label value of the extraction error counter."""

    NOT_CAPTURED = "not_captured"
    """The proxy did not buffer the body (streamed, or over the parse limit)."""
    TOO_LARGE = "too_large"
    """The body is longer than the parse limit."""
    NOT_JSON = "not_json"
    """The body is not a JSON document."""
    BINARY_EXTENSION = "binary_extension"
    """An Open Inference Protocol binary-tensor body: skipped, never parsed."""
    UNKNOWN_PROTOCOL = "unknown_protocol"
    """The document matches neither KServe v1 nor Open Inference Protocol v2."""
    MALFORMED = "malformed"
    """The document has the protocol's keys but not its structure (e.g. ``instances`` is not a list)."""
    SHAPE_MISMATCH = "shape_mismatch"
    """A tensor's ``data`` does not have the number of elements its ``shape`` announces."""
    UNSUPPORTED_SHAPE = "unsupported_shape"
    """A tensor of rank three or more (images, sequences): not tabular features."""
    ROW_MISMATCH = "row_mismatch"
    """The response has a different number of predictions than the request has rows."""


class ExtractionFailure(Exception):  # noqa: N818 - a failure of one body, not a programming error
    """A body that cannot be read; ``kind`` labels the counter, the message explains it to a human."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind


Row = list[object] | dict[str, object]


@dataclass(slots=True)
class Inputs:
    """The rows of one request, one observation per row.

    ``names`` names the positions of positional rows when the protocol carries names (Open
    Inference Protocol tensors); ``None`` means the configured feature order, or ``f0``, ``f1``, ...
    """

    rows: list[Row]
    names: list[str] | None = None


@dataclass(slots=True)
class Extraction:
    """What the recorder learns from one exchange.

    ``inputs`` is ``None`` when the request was not read; ``predictions`` holds one raw prediction
    per row (a number, a string, a probability vector or a dict), or is ``None`` when the response
    was not read. ``errors`` lists the kinds of every failure, request side first.
    """

    protocol: str | None = None
    inputs: Inputs | None = None
    predictions: list[object] | None = None
    errors: list[ErrorKind] = field(default_factory=list)
