"""Which opted-in pods run without the sidecar (the webhook fails open, so this is how it shows)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from modelmonitor.wiring import keys
from modelmonitor.wiring.shapes import dig, items, mapping


def pods_missing_sidecar(pods: Iterable[Mapping[str, Any]], monitor: str) -> list[str]:
    """Names of running or pending pods of ``monitor`` that carry the inject label but no sidecar, sorted."""
    missing = []
    for pod in pods:
        meta = dig(pod, "metadata")
        labels, annotations = mapping(meta.get("labels")), mapping(meta.get("annotations"))
        if labels.get(keys.INJECT_LABEL) != keys.INJECT_VALUE or annotations.get(keys.MONITOR) != monitor:
            continue
        if meta.get("deletionTimestamp"):
            continue
        if dig(pod, "status").get("phase") in ("Succeeded", "Failed"):
            continue
        containers = items(dig(pod, "spec").get("containers"))
        if not any(mapping(c).get("name") == keys.SIDECAR_CONTAINER for c in containers):
            missing.append(str(meta.get("name", "?")))
    return sorted(missing)
