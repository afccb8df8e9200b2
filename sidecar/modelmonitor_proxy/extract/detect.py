"""Reading one exchange: parse each body once, pick the protocol, dispatch to its module.

With ``protocol: auto`` each request is classified on its own (``instances`` or untyped
``inputs``: KServe v1; typed ``inputs`` tensors: Open Inference Protocol v2), so one sidecar can
front a server that speaks both. Every failure becomes an :class:`ErrorKind` in the result; the
bodies themselves are never changed (the proxy has already forwarded them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from modelmonitor_proxy.extract import json_paths, kserve_v1, open_inference_v2
from modelmonitor_proxy.extract.extraction import ErrorKind, Extraction, ExtractionFailure, Inputs
from modelmonitor_proxy.extract.json_paths import JsonPath

AUTO = "auto"
KSERVE_V1 = "kserve-v1"
OPEN_INFERENCE_V2 = "open-inference-v2"
JSON = "json"
PROTOCOLS = (AUTO, KSERVE_V1, OPEN_INFERENCE_V2, JSON)


def detect_protocol(document: object) -> str | None:
    """The protocol of a parsed request, or ``None`` when it is neither.

    >>> detect_protocol({"instances": [[1.0]]})
    'kserve-v1'
    >>> detect_protocol({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]}]})
    'open-inference-v2'
    """
    if open_inference_v2.looks_like_request(document):
        return OPEN_INFERENCE_V2
    if kserve_v1.looks_like_request(document):
        return KSERVE_V1
    return None


class Extractor:
    """Turns request and response bodies into an :class:`Extraction`; configured once, pure."""

    __slots__ = ("_feature_paths", "_output", "_parse_limit", "_prediction_path", "_protocol")

    def __init__(
        self,
        protocol: str = AUTO,
        *,
        parse_limit_bytes: int = 1 << 20,
        feature_paths: Mapping[str, str] | None = None,
        prediction_path: str | None = None,
        prediction_output: str | None = None,
    ) -> None:
        if protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r}; expected one of {', '.join(PROTOCOLS)}")
        if protocol == JSON and not feature_paths:
            raise ValueError("protocol json needs a path for each feature")
        self._protocol = protocol
        self._parse_limit = parse_limit_bytes
        self._feature_paths = {name: JsonPath.parse(path) for name, path in (feature_paths or {}).items()}
        self._prediction_path = JsonPath.parse(prediction_path) if prediction_path else None
        self._output = prediction_output

    def _load(self, body: bytes | None, errors: list[ErrorKind]) -> Any:
        """The parsed body, or ``None`` with the reason appended to ``errors``."""
        if body is None:
            errors.append(ErrorKind.NOT_CAPTURED)
            return None
        if len(body) > self._parse_limit:
            errors.append(ErrorKind.TOO_LARGE)
            return None
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            errors.append(ErrorKind.NOT_JSON)
            return None

    def extract(
        self,
        request_body: bytes | None,
        response_body: bytes | None,
        read_response: bool = True,
        binary_extension: bool = False,
    ) -> Extraction:
        """Read both bodies; ``read_response`` is false for error responses (no predictions in them)."""
        result = Extraction()
        errors = result.errors
        if binary_extension:
            errors.append(ErrorKind.BINARY_EXTENSION)
            return result
        if request_body is not None and len(request_body) <= self._parse_limit:
            try:
                document = orjson.loads(request_body)
            except orjson.JSONDecodeError:
                errors.append(ErrorKind.NOT_JSON)
                return result
        else:
            errors.append(ErrorKind.NOT_CAPTURED if request_body is None else ErrorKind.TOO_LARGE)
            return result
        protocol = self._protocol
        if protocol == AUTO:
            # Checked first: the cheapest test, and the most common shape.
            detected = KSERVE_V1 if type(document) is dict and "instances" in document else detect_protocol(document)
            if detected is None:
                errors.append(ErrorKind.UNKNOWN_PROTOCOL)
                return result
            protocol = detected
        result.protocol = protocol
        try:
            result.inputs = self._parse_request(protocol, document)
        except ExtractionFailure as failure:
            errors.append(failure.kind)
            return result
        if not read_response:
            return result
        answer = self._load(response_body, errors)
        if errors:
            return result
        try:
            predictions = self._parse_response(protocol, answer)
        except ExtractionFailure as failure:
            errors.append(failure.kind)
            return result
        if len(predictions) != len(result.inputs.rows):
            errors.append(ErrorKind.ROW_MISMATCH)
            return result
        result.predictions = predictions
        return result

    def _parse_request(self, protocol: str, document: Any) -> Inputs:
        if protocol == KSERVE_V1:
            return kserve_v1.parse_request(document)
        if protocol == OPEN_INFERENCE_V2:
            return open_inference_v2.parse_request(document)
        return json_paths.parse_request(document, self._feature_paths)

    def _parse_response(self, protocol: str, document: Any) -> list[object]:
        if protocol == KSERVE_V1:
            return kserve_v1.parse_response(document)
        if protocol == OPEN_INFERENCE_V2:
            return open_inference_v2.parse_response(document, self._output)
        return json_paths.parse_response(document, self._prediction_path)
