"""Rewiring the target Service's ``targetPort`` to the proxy, and restoring it.

Ports are a list, and a merge patch would replace the whole list, so these are JSON patches that
``test`` each value before replacing it: a concurrent edit makes the patch fail (422) instead of
being overwritten. The original targetPorts are kept in an annotation, keyed by service port.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelmonitor.wiring import keys

JsonPatch = list[dict[str, Any]]


@dataclass(frozen=True)
class Rewire:
    """What rewiring a Service needs: the patch (``None`` when nothing to do) and how many ports matched."""

    patch: JsonPatch | None
    matched: int


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _ports(service: Mapping[str, Any]) -> list[Any]:
    spec = service.get("spec")
    ports = spec.get("ports") if isinstance(spec, Mapping) else None
    return ports if isinstance(ports, list) else []


def _annotations(service: Mapping[str, Any]) -> Mapping[str, Any] | None:
    meta = service.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    return annotations if isinstance(annotations, Mapping) else None


def recorded_ports(service: Mapping[str, Any]) -> dict[str, int | str]:
    """The original targetPorts recorded on the Service (``{}`` when absent or unreadable)."""
    raw = (_annotations(service) or {}).get(keys.ORIGINAL_TARGET_PORTS)
    try:
        parsed = json.loads(raw) if isinstance(raw, str) else {}
    except ValueError:
        return {}
    return {str(k): v for k, v in parsed.items() if isinstance(v, int | str)} if isinstance(parsed, dict) else {}


def rewire_patch(
    service: Mapping[str, Any], *, model_port: int, proxy_port: int, named_ports: Mapping[str, int]
) -> Rewire:
    """Point every port that reaches ``model_port`` at ``proxy_port`` instead.

    A port reaches the model when its targetPort is ``model_port``, a container port name that
    resolves to it, or absent while ``port`` is ``model_port`` (the API default). Ports already on
    the proxy count as matched, so a second call returns no patch.
    """
    recorded = recorded_ports(service)
    ops: JsonPatch = []
    originals: dict[str, int | str] = dict(recorded)
    matched = 0
    for index, port in enumerate(_ports(service)):
        if not isinstance(port, Mapping) or not isinstance(port.get("port"), int):
            continue
        target = port.get("targetPort", port["port"])
        resolved = named_ports.get(target) if isinstance(target, str) else target
        key = str(port["port"])
        if target == proxy_port and key in recorded:
            matched += 1
            continue
        if resolved != model_port:
            continue
        matched += 1
        originals[key] = target
        if "targetPort" in port:
            ops.append({"op": "test", "path": f"/spec/ports/{index}/targetPort", "value": target})
            ops.append({"op": "replace", "path": f"/spec/ports/{index}/targetPort", "value": proxy_port})
        else:
            ops.append({"op": "add", "path": f"/spec/ports/{index}/targetPort", "value": proxy_port})
    if not ops:
        return Rewire(patch=None, matched=matched)
    ops.append(_annotation_op(service, json.dumps(originals, sort_keys=True)))
    return Rewire(patch=ops, matched=matched)


def _annotation_op(service: Mapping[str, Any], value: str) -> dict[str, Any]:
    if _annotations(service) is None:
        if not isinstance(service.get("metadata"), Mapping):
            return {"op": "add", "path": "/metadata", "value": {"annotations": {keys.ORIGINAL_TARGET_PORTS: value}}}
        return {"op": "add", "path": "/metadata/annotations", "value": {keys.ORIGINAL_TARGET_PORTS: value}}
    return {"op": "add", "path": f"/metadata/annotations/{_escape(keys.ORIGINAL_TARGET_PORTS)}", "value": value}


def restore_patch(service: Mapping[str, Any], *, proxy_port: int) -> JsonPatch | None:
    """Put back the recorded targetPorts (where still on the proxy) and drop the annotation."""
    annotations = _annotations(service)
    if annotations is None or keys.ORIGINAL_TARGET_PORTS not in annotations:
        return None
    recorded = recorded_ports(service)
    ops: JsonPatch = []
    for index, port in enumerate(_ports(service)):
        if not isinstance(port, Mapping):
            continue
        key = str(port.get("port"))
        if key in recorded and port.get("targetPort") == proxy_port:
            ops.append({"op": "test", "path": f"/spec/ports/{index}/targetPort", "value": proxy_port})
            ops.append({"op": "replace", "path": f"/spec/ports/{index}/targetPort", "value": recorded[key]})
    if set(annotations) == {keys.ORIGINAL_TARGET_PORTS}:
        ops.append({"op": "remove", "path": "/metadata/annotations"})  # the map was ours alone
    else:
        ops.append({"op": "remove", "path": f"/metadata/annotations/{_escape(keys.ORIGINAL_TARGET_PORTS)}"})
    return ops
