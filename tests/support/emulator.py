"""A stricter kmock Kubernetes emulator that Kopf 1.45 can work against, plus declaration helpers.

Plain kmock 0.8 never sets ``resourceVersion``, replays every object on each watch, answers 500
to a failed JSON-patch ``test`` op and ignores ``generateName``; Kopf then never runs a handler
(see /work/shared/research/test-infra.md). :class:`StrictEmulator` fills those gaps and nothing
more, so tests still see kmock's semantics otherwise: merge patches merge dicts and replace lists,
no ownerReference garbage collection, no admission chain, no controllers.
"""

from __future__ import annotations

import copy
import datetime
import uuid
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import jsonpatch
import jsonpointer
import kmock
import yaml
from kmock._internal import dicts, enums, rendering


@attrs.define(kw_only=True)
class StrictEmulator(kmock.KubernetesEmulator):
    """kmock's emulator with resource versions, generations, generateName and 422 on bad patches."""

    _resource_version: int = attrs.field(default=0, init=False)

    def _next_rv(self) -> str:
        self._resource_version += 1
        return str(self._resource_version)

    async def _handle(self, request: rendering.Request) -> Any:
        if request.resource is not None:
            if request.action == enums.action.CREATE and isinstance(request.data, dict):
                self._fill_create(request)
            elif request.action == enums.action.UPDATE and request.name is not None:
                self._stamp_patch(request)
            elif request.action == enums.action.DELETE and request.name is not None:
                current = self._current(request)
                if current is not None and current.get("metadata", {}).get("finalizers"):
                    self._objects[request.resource, request.namespace, request.name].patch(
                        {"metadata": {"resourceVersion": self._next_rv()}}
                    )
        return await super()._handle(request)

    def _current(self, request: rendering.Request) -> dict[str, Any] | None:
        key = (request.resource, request.namespace, request.name)
        if key not in self._objects or self._objects[key].deleted:
            return None
        raw: dict[str, Any] = copy.deepcopy(self._objects[key].raw)
        return raw

    def _fill_create(self, request: rendering.Request) -> None:
        meta = request.data.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:6]
        if request.namespace and not meta.get("namespace"):
            meta["namespace"] = request.namespace
        meta["resourceVersion"] = self._next_rv()
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("generation", 1)
        meta.setdefault("creationTimestamp", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    def _stamp_patch(self, request: rendering.Request) -> None:
        current = self._current(request)
        if current is None:
            return  # kmock answers 404 itself
        try:
            patched = dicts.patch_dict(current, request.data)
        except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException, ValueError, TypeError) as exc:
            raise kmock.KubernetesError(status=422, reason="Invalid", message=str(exc)) from None
        rv = self._next_rv()
        spec_changed = patched.get("spec") != current.get("spec")
        generation = int(current.get("metadata", {}).get("generation", 1)) + (1 if spec_changed else 0)
        if isinstance(request.data, dict):
            meta = request.data.setdefault("metadata", {}) or {}
            request.data["metadata"] = meta
            meta["resourceVersion"] = rv
            meta["generation"] = generation
        elif isinstance(request.data, list):
            request.data.append({"op": "add", "path": "/metadata/resourceVersion", "value": rv})
            request.data.append({"op": "add", "path": "/metadata/generation", "value": generation})

    async def _serve_list(self, request: rendering.Request) -> Any:
        result = await super()._serve_list(request)
        resource = request.resource
        info = self._resources.get(resource, None)
        kind = info.kind if info is not None and info.kind else "List"
        group_version = f"{resource.group}/{resource.version}" if resource.group else resource.version
        return {
            "apiVersion": group_version,
            "kind": f"{kind}List",
            **result,
            "metadata": {"resourceVersion": str(self._resource_version)},
        }

    async def _serve_watch(self, request: rendering.Request) -> AsyncIterator[Any]:
        since = int(request.params.get("resourceVersion") or 0)
        async for event in super()._serve_watch(request):
            if isinstance(event, dict) and event.get("type") == "ADDED":
                rv = event.get("object", {}).get("metadata", {}).get("resourceVersion")
                if rv is not None and int(rv) <= since:
                    continue
            yield event

    async def _serve_version(self, request: rendering.Request) -> Any:
        result: dict[str, Any] = await super()._serve_version(request)
        result["groupVersion"] = result["groupVersion"].lstrip("/")
        return result

    def seed(self, resource: str, namespace: str | None, body: Mapping[str, Any]) -> dict[str, Any]:
        """Store an object as if it had been created through the API (uid, resourceVersion, generation)."""
        obj = copy.deepcopy(dict(body))
        meta = obj.setdefault("metadata", {})
        if namespace is not None:
            meta["namespace"] = namespace
        meta["resourceVersion"] = self._next_rv()
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("generation", 1)
        meta.setdefault("creationTimestamp", "2026-01-01T00:00:00Z")
        self._objects[resource, namespace, meta["name"]] = obj
        return obj


CORE_RESOURCES: dict[str, kmock.ResourceInfo] = {
    "v1/namespaces": kmock.ResourceInfo(kind="Namespace", namespaced=False, verbs={"list", "watch", "get"}),
    "v1/events": kmock.ResourceInfo(kind="Event", namespaced=True, verbs={"create", "list", "get"}),
    "v1/pods": kmock.ResourceInfo(kind="Pod", namespaced=True, verbs={"list", "watch", "get", "patch", "create"}),
    "v1/services": kmock.ResourceInfo(kind="Service", namespaced=True, verbs={"list", "get", "patch", "create"}),
    "v1/configmaps": kmock.ResourceInfo(
        kind="ConfigMap", namespaced=True, verbs={"list", "get", "patch", "create", "delete"}
    ),
    "apps/v1/deployments": kmock.ResourceInfo(
        kind="Deployment", namespaced=True, verbs={"list", "watch", "get", "patch", "create"}
    ),
    "apiextensions.k8s.io/v1/customresourcedefinitions": kmock.ResourceInfo(
        kind="CustomResourceDefinition", namespaced=False, verbs={"list", "watch", "get"}
    ),
    "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations": kmock.ResourceInfo(
        kind="MutatingWebhookConfiguration", namespaced=False, verbs={"list", "watch", "get", "patch", "create"}
    ),
    "admissionregistration.k8s.io/v1/validatingwebhookconfigurations": kmock.ResourceInfo(
        kind="ValidatingWebhookConfiguration", namespaced=False, verbs={"list", "watch", "get", "patch", "create"}
    ),
}


def declare_kopf_backbone(emulator: kmock.KubernetesEmulator) -> None:
    """Declare what Kopf discovers before it starts, and the built-in kinds the operator touches."""
    for name, info in CORE_RESOURCES.items():
        emulator.resources[name] = info


def declare_crd(emulator: StrictEmulator, crd: Mapping[str, Any]) -> None:
    """Make a CRD discoverable and store the CRD object itself, as ``kubectl apply`` of it would."""
    spec = crd["spec"]
    names = spec["names"]
    for version in spec["versions"]:
        emulator.resources[f"{spec['group']}/{version['name']}/{names['plural']}"] = kmock.ResourceInfo(
            kind=names["kind"],
            singular=names.get("singular"),
            shortnames=set(names.get("shortNames", [])),
            namespaced=spec["scope"] == "Namespaced",
            verbs={"list", "watch", "get", "patch", "create", "delete"},
            subresources=set(version.get("subresources", {})),
        )
    emulator.seed("apiextensions.k8s.io/v1/customresourcedefinitions", None, crd)


def write_kubeconfig(path: Path, server: str) -> Path:
    """A kubeconfig pointing at ``server`` with a dummy token (the emulator does no authentication)."""
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "emulator", "cluster": {"server": server}}],
        "users": [{"name": "tester", "user": {"token": "test-token"}}],
        "contexts": [{"name": "emulator", "context": {"cluster": "emulator", "user": "tester"}}],
        "current-context": "emulator",
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
