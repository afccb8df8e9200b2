"""Which opted-in pods run without the sidecar (the webhook fails open, so this is how it shows)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from modelmonitor.api.status import ConditionStatus, ConditionType
from modelmonitor.wiring import keys
from modelmonitor.wiring.conditions import Observation
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


def sidecar_observation(missing: list[str], *, shown: int = 5) -> Observation:
    """The ``SidecarMissing`` condition for these pod names (the first ``shown`` are named)."""
    if not missing:
        return Observation(
            ConditionType.SIDECAR_MISSING, ConditionStatus.FALSE, "AllInjected", "Every opted-in pod runs the sidecar"
        )
    names = ", ".join(missing[:shown]) + (" ..." if len(missing) > shown else "")
    message = f"{len(missing)} pod(s) labelled for injection run without the sidecar: {names}"
    return Observation(ConditionType.SIDECAR_MISSING, ConditionStatus.TRUE, "PodsWithoutSidecar", message)
