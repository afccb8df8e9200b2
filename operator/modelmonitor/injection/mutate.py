"""Build the JSON patch that adds the proxy sidecar and its config volume to a pod.

The webhook sees only the pod, so everything per-monitor (ports, ConfigMap, path prefix) comes
from the pod-template annotations the operator wrote (``wiring.keys``), with the spec defaults
when absent; everything per-installation (image, resources, user id) from :class:`InjectionConfig`.
The patch only ever *adds*: user containers, init containers, volumes and labels are never
replaced, removed or reordered. A pod that already carries the ``injected`` annotation or a
container named like the sidecar gets an empty patch, so a re-invoked webhook is a no-op.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelmonitor.wiring import keys

JsonPatch = list[dict[str, Any]]

DEFAULT_SIDECAR_PORT = 8008
DEFAULT_UPSTREAM_PORT = 8080
DEFAULT_PATH_PREFIX = "/modelmonitor"
DEFAULT_VERSION_LABEL = "app.kubernetes.io/version"


@dataclass(frozen=True)
class InjectionConfig:
    """Installation-wide settings of the injected container."""

    image: str
    image_pull_policy: str = "IfNotPresent"
    requests: Mapping[str, str] = field(default_factory=lambda: {"cpu": "50m", "memory": "64Mi"})
    limits: Mapping[str, str] = field(default_factory=lambda: {"cpu": "500m", "memory": "256Mi"})
    run_as_user: int = 65532


def _escape(key: str) -> str:
    """A JSON-pointer path segment (RFC 6901)."""
    return key.replace("~", "~0").replace("/", "~1")


def _port(value: Any, default: int) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        return default
    return port if 1 <= port <= 65535 else default


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def needs_injection(pod: Mapping[str, Any]) -> bool:
    """Whether ``pod`` opted in, has containers, and has no sidecar yet."""
    meta = _mapping(pod.get("metadata"))
    if _mapping(meta.get("labels")).get(keys.INJECT_LABEL) != keys.INJECT_VALUE:
        return False
    if keys.INJECTED in _mapping(meta.get("annotations")):
        return False
    containers = _mapping(pod.get("spec")).get("containers")
    if not isinstance(containers, list) or not containers:
        return False  # not a runnable pod: leave it to the API server's validation
    return not any(_mapping(c).get("name") == keys.SIDECAR_CONTAINER for c in containers)


def _volume_name(pod_spec: Mapping[str, Any]) -> str:
    taken = {_mapping(v).get("name") for v in _list(pod_spec.get("volumes"))}
    name, suffix = keys.CONFIG_VOLUME, 1
    while name in taken:
        name, suffix = f"{keys.CONFIG_VOLUME}-{suffix}", suffix + 1
    return name


def sidecar_container(annotations: Mapping[str, Any], config: InjectionConfig, volume: str) -> dict[str, Any]:
    """The proxy container for a pod with these pod-template annotations."""
    port = _port(annotations.get(keys.SIDECAR_PORT), DEFAULT_SIDECAR_PORT)
    upstream = _port(annotations.get(keys.UPSTREAM_PORT), DEFAULT_UPSTREAM_PORT)
    prefix = str(annotations.get(keys.PATH_PREFIX) or DEFAULT_PATH_PREFIX).rstrip("/")
    version_label = str(annotations.get(keys.VERSION_LABEL) or DEFAULT_VERSION_LABEL)

    def probe(path: str, period: int, failures: int) -> dict[str, Any]:
        return {
            "httpGet": {"path": f"{prefix}/{path}", "port": port, "scheme": "HTTP"},
            "periodSeconds": period,
            "timeoutSeconds": 2,
            "failureThreshold": failures,
        }

    def field_env(name: str, path: str) -> dict[str, Any]:
        return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}

    return {
        "name": keys.SIDECAR_CONTAINER,
        "image": config.image,
        "imagePullPolicy": config.image_pull_policy,
        "args": [
            "--upstream",
            f"http://127.0.0.1:{upstream}",
            "--listen",
            f"0.0.0.0:{port}",
            "--config",
            f"{keys.CONFIG_MOUNT_PATH}/config.json",
        ],
        "ports": [{"name": "mm-proxy", "containerPort": port, "protocol": "TCP"}],
        "env": [
            field_env("MODELMONITOR_POD_NAME", "metadata.name"),
            field_env("MODELMONITOR_POD_NAMESPACE", "metadata.namespace"),
            # The proxy's own names (modelmonitor-proxy --help); a missing label gives an empty value,
            # which the proxy reads as "unknown" version and "stable" cohort.
            field_env("MODELMONITOR_VERSION", f"metadata.labels['{version_label}']"),
            field_env("MODELMONITOR_COHORT", f"metadata.labels['{keys.COHORT_LABEL}']"),
            {"name": "MODELMONITOR_POD_LABELS_FILE", "value": f"{keys.CONFIG_MOUNT_PATH}/podinfo/labels"},
        ],
        "resources": {"requests": dict(config.requests), "limits": dict(config.limits)},
        "readinessProbe": probe("readyz", 5, 3),
        "livenessProbe": probe("healthz", 10, 6),
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": config.run_as_user,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": volume, "mountPath": keys.CONFIG_MOUNT_PATH, "readOnly": True}],
    }


def config_volume(annotations: Mapping[str, Any], name: str) -> dict[str, Any]:
    """A projected volume: the monitor's ConfigMap plus the pod's labels (downward API)."""
    config_map = str(annotations.get(keys.CONFIG_MAP) or "")
    sources: list[dict[str, Any]] = []
    if config_map:
        sources.append({"configMap": {"name": config_map, "optional": True}})
    sources.append(
        {"downwardAPI": {"items": [{"path": "podinfo/labels", "fieldRef": {"fieldPath": "metadata.labels"}}]}}
    )
    return {"name": name, "projected": {"sources": sources}}


def mutate(pod: Mapping[str, Any], config: InjectionConfig) -> JsonPatch:
    """The JSON patch adding the sidecar, its volume and the ``injected`` annotation; ``[]`` if not needed."""
    if not needs_injection(pod):
        return []
    meta = _mapping(pod.get("metadata"))
    spec = _mapping(pod.get("spec"))
    annotations = _mapping(meta.get("annotations"))
    volume = _volume_name(spec)
    ops: JsonPatch = [
        {"op": "add", "path": "/spec/containers/-", "value": sidecar_container(annotations, config, volume)}
    ]
    if isinstance(spec.get("volumes"), list):
        ops.append({"op": "add", "path": "/spec/volumes/-", "value": config_volume(annotations, volume)})
    else:
        ops.append({"op": "add", "path": "/spec/volumes", "value": [config_volume(annotations, volume)]})
    if isinstance(meta.get("annotations"), Mapping):
        ops.append({"op": "add", "path": f"/metadata/annotations/{_escape(keys.INJECTED)}", "value": config.image})
    else:
        ops.append({"op": "add", "path": "/metadata/annotations", "value": {keys.INJECTED: config.image}})
    return ops
