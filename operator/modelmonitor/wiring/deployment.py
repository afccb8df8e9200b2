"""Pod-template patches of the target Deployment: opt its pods into injection, and undo that.

The label selects pods for the webhook; the annotations tell the webhook how to build the sidecar
and carry the config hash, so a config change changes the template and rolls the pods. Nothing
else of the user's Deployment is touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.wiring import keys
from modelmonitor.wiring.shapes import dig, items, mapping


def _template_meta(deployment: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    meta = dig(deployment, "spec", "template", "metadata")
    return mapping(meta.get("labels")), mapping(meta.get("annotations"))


def template_annotations(*, monitor: str, spec: ModelMonitorSpec, digest: str, config_map: str) -> dict[str, str]:
    """The annotations the operator puts on the pod template."""
    return {
        keys.MONITOR: monitor,
        keys.CONFIG_HASH: digest,
        keys.CONFIG_MAP: config_map,
        keys.SIDECAR_PORT: str(spec.sidecar.port),
        keys.UPSTREAM_PORT: str(spec.target.port),
        keys.PATH_PREFIX: spec.sidecar.path_prefix,
        keys.VERSION_LABEL: spec.model.version_label,
    }


def wire_patch(deployment: Mapping[str, Any], annotations: Mapping[str, str]) -> dict[str, Any] | None:
    """A merge patch setting the inject label and ``annotations``; ``None`` when already set."""
    labels, current = _template_meta(deployment)
    if labels.get(keys.INJECT_LABEL) == keys.INJECT_VALUE and all(current.get(k) == v for k, v in annotations.items()):
        return None
    return {
        "spec": {
            "template": {
                "metadata": {"labels": {keys.INJECT_LABEL: keys.INJECT_VALUE}, "annotations": dict(annotations)}
            }
        }
    }


def unwire_patch(deployment: Mapping[str, Any]) -> dict[str, Any] | None:
    """A merge patch removing the inject label and the operator's annotations; ``None`` if none is there."""
    labels, annotations = _template_meta(deployment)
    drop_labels = {keys.INJECT_LABEL: None} if keys.INJECT_LABEL in labels else {}
    drop_annotations = {k: None for k in keys.TEMPLATE_ANNOTATIONS if k in annotations}
    if not drop_labels and not drop_annotations:
        return None
    meta: dict[str, Any] = {}
    # When only the operator's keys are there, drop the whole map: the template is then exactly
    # as the user wrote it (the API server omits empty maps, an emulator might not).
    if drop_labels:
        meta["labels"] = None if set(labels) <= set(drop_labels) else drop_labels
    if drop_annotations:
        meta["annotations"] = None if set(annotations) <= set(drop_annotations) else drop_annotations
    return {"spec": {"template": {"metadata": meta}}}


def container_ports(deployment: Mapping[str, Any]) -> dict[str, int]:
    """Named container ports of the pod template (to resolve a Service's named targetPort)."""
    ports: dict[str, int] = {}
    for container in items(dig(deployment, "spec", "template", "spec").get("containers")):
        for port in items(mapping(container).get("ports")):
            if isinstance(port, Mapping) and port.get("name") and isinstance(port.get("containerPort"), int):
                ports[str(port["name"])] = port["containerPort"]
    return ports
