"""Wiring a ModelMonitor to its target, and undoing it: reads, pure plans, writes.

Every write here comes from a pure builder in :mod:`modelmonitor.wiring` that returns ``None``
when the object already is as wanted, so running :func:`wire` twice (an update with no change,
an operator restart) sends no second write. The outcome says what was done (for Events), the
conditions to report, and whether to retry (a missing object may still appear).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelmonitor.api.profile import ReferenceProfile
from modelmonitor.api.sidecar_config import SidecarConfig
from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.api.status import ConditionStatus, ConditionType
from modelmonitor.kube.client import KubeApi, KubeError
from modelmonitor.wiring import configmap, deployment, service
from modelmonitor.wiring.conditions import Observation
from modelmonitor.wiring.reference import ReferenceError, profile_from_config_map
from modelmonitor.wiring.retarget import abandoned_target
from modelmonitor.wiring.shapes import dig

READY = ConditionType.READY


def deployment_path(namespace: str, name: str) -> str:
    return f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}"


def service_path(namespace: str, name: str) -> str:
    return f"/api/v1/namespaces/{namespace}/services/{name}"


def config_map_path(namespace: str, name: str | None = None) -> str:
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    return base if name is None else f"{base}/{name}"


@dataclass
class Outcome:
    """What a wiring pass did and found."""

    ready: Observation
    actions: list[tuple[str, str]] = field(default_factory=list)
    """(Event reason, message) for each write that happened."""
    retry: bool = False
    """A missing object may appear later: try again with backoff."""
    digest: str | None = None


def _not_ready(reason: str, message: str, *, retry: bool, actions: list[tuple[str, str]]) -> Outcome:
    return Outcome(Observation(READY, ConditionStatus.FALSE, reason, message), actions, retry=retry)


async def _load_profile(api: KubeApi, namespace: str, spec: ModelMonitorSpec) -> ReferenceProfile | None:
    if spec.reference is None:
        return None
    found = await api.get(config_map_path(namespace, spec.reference.config_map))
    if found is None:
        raise LookupError(f"reference ConfigMap {spec.reference.config_map} not found in {namespace}")
    return profile_from_config_map(found, spec.reference.key)


async def _deliver_config(api: KubeApi, namespace: str, name: str, uid: str, config: SidecarConfig) -> str | None:
    cm_name = configmap.config_map_name(name)
    current = await api.get(config_map_path(namespace, cm_name))
    if current is None:
        body = configmap.build_config_map(monitor=name, namespace=namespace, uid=uid, config=config)
        await api.create(config_map_path(namespace), body)
        return f"ConfigMap {cm_name} created with config {config.digest()}"
    patch = configmap.config_map_patch(current, config)
    if patch is None:
        return None
    await api.patch(config_map_path(namespace, cm_name), patch)
    return f"ConfigMap {cm_name} updated to config {config.digest()}"


async def wire(
    api: KubeApi,
    *,
    namespace: str,
    name: str,
    uid: str,
    spec: ModelMonitorSpec,
    old_raw_spec: Mapping[str, Any] | None = None,
) -> Outcome:
    """Deliver the config, label the target's pod template, rewire the Service.

    On an update, ``old_raw_spec`` is the previous spec: a Deployment or Service no longer
    targeted is restored first. API errors (403, 422 on a concurrent edit, 5xx) are reported as
    ``ApiError`` and retried with backoff, never raised into the framework.
    """
    actions: list[tuple[str, str]] = []
    try:
        abandoned = abandoned_target(old_raw_spec, spec)
        if abandoned is not None:
            actions += await unwire(api, namespace=namespace, name=name, raw_spec=abandoned, keep_config=True)
        return await _wire(api, namespace=namespace, name=name, uid=uid, spec=spec, actions=actions)
    except KubeError as error:
        return _not_ready("ApiError", str(error), retry=True, actions=actions)


async def _wire(
    api: KubeApi, *, namespace: str, name: str, uid: str, spec: ModelMonitorSpec, actions: list[tuple[str, str]]
) -> Outcome:
    target = await api.get(deployment_path(namespace, spec.target.deployment))
    if target is None:
        message = f"Deployment {spec.target.deployment} not found in namespace {namespace}"
        return _not_ready("TargetNotFound", message, retry=True, actions=actions)
    try:
        profile = await _load_profile(api, namespace, spec)
    except LookupError as error:
        return _not_ready("ReferenceNotFound", str(error), retry=True, actions=actions)
    except ReferenceError as error:
        return _not_ready("InvalidReference", str(error), retry=False, actions=actions)

    config = SidecarConfig(namespace=namespace, monitor=name, spec=spec, profile=profile)
    delivered = await _deliver_config(api, namespace, name, uid, config)
    if delivered:
        actions.append(("ConfigDelivered", delivered))

    annotations = deployment.template_annotations(
        monitor=name, spec=spec, digest=config.digest(), config_map=configmap.config_map_name(name)
    )
    template_patch = deployment.wire_patch(target, annotations)
    if template_patch is not None:
        await api.patch(deployment_path(namespace, spec.target.deployment), template_patch)
        actions.append(("TargetLabelled", f"Deployment {spec.target.deployment} pods opted in to injection"))

    if spec.target.service is not None:
        found = await api.get(service_path(namespace, spec.target.service))
        if found is None:
            message = f"Service {spec.target.service} not found in namespace {namespace}"
            return _not_ready("ServiceNotFound", message, retry=True, actions=actions)
        rewire = service.rewire_patch(
            found,
            model_port=spec.target.port,
            proxy_port=spec.sidecar.port,
            named_ports=deployment.container_ports(target),
        )
        if rewire.matched == 0:
            message = f"Service {spec.target.service} has no port targeting the model port {spec.target.port}"
            return _not_ready("ServicePortNotFound", message, retry=False, actions=actions)
        if rewire.patch is not None:
            await api.patch(service_path(namespace, spec.target.service), rewire.patch)
            actions.append(("ServiceRewired", f"Service {spec.target.service} now targets port {spec.sidecar.port}"))

    message = f"Sidecar config {config.digest()} delivered to the pods of Deployment {spec.target.deployment}"
    return Outcome(Observation(READY, ConditionStatus.TRUE, "Wired", message), actions, digest=config.digest())


def _raw_target(raw_spec: Mapping[str, Any] | None) -> tuple[str | None, str | None, int]:
    """Names from a spec that may be invalid: cleanup must work whatever the user wrote."""
    target, sidecar = dig(raw_spec, "target"), dig(raw_spec, "sidecar")
    port, dep, svc = sidecar.get("port"), target.get("deployment"), target.get("service")
    return (
        dep if isinstance(dep, str) else None,
        svc if isinstance(svc, str) else None,
        port if isinstance(port, int) else 8008,
    )


async def unwire(
    api: KubeApi, *, namespace: str, name: str, raw_spec: Mapping[str, Any] | None, keep_config: bool = False
) -> list[tuple[str, str]]:
    """Restore the Service, remove the label and annotations, delete the config (unless ``keep_config``)."""
    actions: list[tuple[str, str]] = []
    dep_name, svc_name, proxy_port = _raw_target(raw_spec)
    if svc_name:
        found = await api.get(service_path(namespace, svc_name))
        restore = service.restore_patch(found, proxy_port=proxy_port) if found is not None else None
        if restore is not None:
            await api.patch(service_path(namespace, svc_name), restore)
            actions.append(("ServiceRestored", f"Service {svc_name} targets the model again"))
    if dep_name:
        found = await api.get(deployment_path(namespace, dep_name))
        undo = deployment.unwire_patch(found) if found is not None else None
        if undo is not None:
            await api.patch(deployment_path(namespace, dep_name), undo)
            actions.append(("TargetReleased", f"Deployment {dep_name} pods no longer injected"))
    if not keep_config and await api.delete(config_map_path(namespace, configmap.config_map_name(name))):
        actions.append(("ConfigRemoved", f"ConfigMap {configmap.config_map_name(name)} deleted"))
    return actions
