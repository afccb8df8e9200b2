"""Which opted-in pods run without the sidecar (the webhook fails open, so this is how it shows)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from modelmonitor.wiring import keys


def pods_missing_sidecar(pods: Iterable[Mapping[str, Any]], monitor: str) -> list[str]:
    """Names of running or pending pods of ``monitor`` that carry the inject label but no sidecar, sorted."""
    missing = []
    for pod in pods:
        meta = pod.get("metadata") if isinstance(pod.get("metadata"), Mapping) else {}
        labels = meta.get("labels") if isinstance(meta.get("labels"), Mapping) else {}
        annotations = meta.get("annotations") if isinstance(meta.get("annotations"), Mapping) else {}
        if labels.get(keys.INJECT_LABEL) != keys.INJECT_VALUE or annotations.get(keys.MONITOR) != monitor:
            continue
        if meta.get("deletionTimestamp"):
            continue
        phase = (pod.get("status") or {}).get("phase") if isinstance(pod.get("status"), Mapping) else None
        if phase in ("Succeeded", "Failed"):
            continue
        spec = pod.get("spec") if isinstance(pod.get("spec"), Mapping) else {}
        containers = spec.get("containers") if isinstance(spec.get("containers"), list) else []
        if not any(isinstance(c, Mapping) and c.get("name") == keys.SIDECAR_CONTAINER for c in containers):
            missing.append(str(meta.get("name", "?")))
    return sorted(missing)
