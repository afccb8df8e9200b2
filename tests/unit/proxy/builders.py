"""Builders of sidecar configurations and exchanges for the recorder tests."""

from __future__ import annotations

from typing import Any

import orjson

from modelmonitor.api.profile import CategoricalProfile, NumericProfile, ReferenceProfile
from modelmonitor.api.sidecar_config import SidecarConfig
from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor_proxy.recorder import Exchange

T0 = 1_800_000_000.0  # a bucket boundary (divisible by 60)


def config(profile: ReferenceProfile | None = None, **spec: Any) -> SidecarConfig:
    """A sidecar config from camelCase spec fields (target defaults to a Deployment named 'm')."""
    document = {"target": {"deployment": "m"}, **spec}
    return SidecarConfig(monitor="fraud", spec=ModelMonitorSpec.model_validate(document), profile=profile)


def numeric(name: str, edges: list[float]) -> NumericProfile:
    size = len(edges) + 1
    return NumericProfile(name=name, edges=edges, counts=[1] * size, sums=[0.0] * size, mean=0.0, std=1.0)


def categorical(name: str, categories: list[str]) -> CategoricalProfile:
    return CategoricalProfile(name=name, categories=categories, counts=[1] * (len(categories) + 1))


def profile(
    *columns: NumericProfile | CategoricalProfile, prediction: NumericProfile | None = None
) -> ReferenceProfile:
    return ReferenceProfile(rows=10, features=list(columns), prediction=prediction)


def exchange(
    request: object,
    response: object = None,
    *,
    request_id: str = "r1",
    status: int = 200,
    at: float = T0,
    duration: float = 0.02,
    method: str = "POST",
    raw_request: bytes | None = None,
    raw_response: bytes | None = None,
    binary: bool = False,
) -> Exchange:
    request_body = raw_request if raw_request is not None else orjson.dumps(request)
    response_body = raw_response if raw_response is not None else orjson.dumps(response)
    return Exchange(
        request_id=request_id,
        method=method,
        path="/v1/models/m:predict",
        status=status,
        duration_seconds=duration,
        started_at=at,
        request_body=request_body,
        response_body=response_body,
        request_content_type="application/json",
        response_content_type="application/json",
        request_bytes=len(request_body),
        response_bytes=len(response_body),
        request_headers_extension=binary,
    )
