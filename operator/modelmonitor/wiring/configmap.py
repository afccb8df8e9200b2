"""The ConfigMap that carries a monitor's sidecar config (``config.json``, reference profile included).

It is owned by the ModelMonitor (ownerReference), so Kubernetes deletes it with the monitor.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelmonitor.api.crd import GROUP, KIND, VERSION
from modelmonitor.api.sidecar_config import CONFIG_FILE_NAME, SidecarConfig
from modelmonitor.wiring import keys
from modelmonitor.wiring.shapes import dig, mapping


def config_map_name(monitor: str) -> str:
    """The ConfigMap's name for a monitor (a DNS subdomain as long as the monitor's name is)."""
    return f"{monitor}-modelmonitor"[:253]


def build_config_map(*, monitor: str, namespace: str, uid: str, config: SidecarConfig) -> dict[str, Any]:
    """The full ConfigMap body, as created."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": config_map_name(monitor),
            "namespace": namespace,
            "labels": {"app.kubernetes.io/managed-by": "model-monitor", keys.MONITOR: monitor[:63]},
            "annotations": {keys.CONFIG_HASH: config.digest()},
            "ownerReferences": [
                {
                    "apiVersion": f"{GROUP}/{VERSION}",
                    "kind": KIND,
                    "name": monitor,
                    "uid": uid,
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "data": {CONFIG_FILE_NAME: config.to_json()},
    }


def config_map_patch(current: Mapping[str, Any], config: SidecarConfig) -> dict[str, Any] | None:
    """A merge patch bringing an existing ConfigMap to ``config``; ``None`` when it already holds it."""
    data = mapping(current.get("data"))
    annotations = dig(current, "metadata", "annotations")
    text, digest = config.to_json(), config.digest()
    if data.get(CONFIG_FILE_NAME) == text and annotations.get(keys.CONFIG_HASH) == digest:
        return None
    return {"metadata": {"annotations": {keys.CONFIG_HASH: digest}}, "data": {CONFIG_FILE_NAME: text}}
