"""The declared permission table (``modelmonitor.kube.permissions``) against what the running operator really calls.

The whole operator (Kopf plus its handlers) runs against the strict emulator through a full
lifecycle; every request the emulator received is mapped to the RBAC ``(group, resource, verb)``
it needs. Two runs cover the features: cluster-wide with webhooks, peering and the sidecar count
(create, update, delete of a monitor with a Service, a reference profile, a stale webhook
configuration to update), and namespaced without webhooks.

We test these aspects:
- every request the operator sends is granted by a declared rule for the features it runs with;
- every declared rule (each verb) is used by some run: the table grants nothing unused;
- each feature's rules are only needed when that feature is on (a run without it never uses them).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import aiohttp.web
import attrs
import kmock
import kopf
import pytest
import yaml
from kopf.testing import KopfRunner
from prometheus_client import CollectorRegistry

from modelmonitor.config import OperatorConfig
from modelmonitor.handlers import OperatorContext, build_registry
from modelmonitor.kube.client import KubeApi, build_api_client
from modelmonitor.kube.permissions import PERMISSIONS, Feature, granted, permissions_for, required_permission
from modelmonitor.metrics import OperatorMetrics
from modelmonitor.wiring import keys
from tests.integration.operator.conftest import (
    CONFIGMAPS,
    DEPLOYMENTS,
    MM,
    NS,
    SERVICES,
    deployment,
    eventually,
    monitor,
    service,
)
from tests.support.emulator import StrictEmulator

PEERINGS = "kopf.dev/v1/clusterkopfpeerings"
MUTATING = "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
CM_NAME = "fraud-scorer-modelmonitor"
PROFILE = {"rows": 10, "features": [{"type": "categorical", "name": "c", "categories": ["a"], "counts": [9, 1]}]}


@attrs.define(kw_only=True)
class RecordingEmulator(StrictEmulator):
    """The strict emulator, recording every request as it arrives (before kmock parses it)."""

    calls: list[tuple[str, str, dict[str, str]]] = attrs.field(factory=list, init=False)

    async def __call__(self, raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        if TEST_CLIENT not in raw_request.headers:  # the test's own calls stand in for kubectl
            self.calls.append((raw_request.method, raw_request.path, dict(raw_request.query)))
        if raw_request.path.rstrip("/") == "/api/v1/namespaces":
            # kmock 0.8 cannot parse this path (it answers 500): serve the one namespace, and a quiet watch.
            return await self._namespaces(raw_request)
        return await super().__call__(raw_request)

    @staticmethod
    async def _namespaces(raw_request: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        if raw_request.query.get("watch") not in ("true", "1"):
            items = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}]
            return aiohttp.web.json_response(
                {"kind": "NamespaceList", "metadata": {"resourceVersion": "1"}, "items": items}
            )
        stream = aiohttp.web.StreamResponse(headers={"Content-Type": "application/json"})
        await stream.prepare(raw_request)
        while raw_request.transport is not None and not raw_request.transport.is_closing():
            await asyncio.sleep(0.05)  # no namespace events; the stream ends when the client or server stops
        return stream


@pytest.fixture
def kmock_options(kmock_options: dict[str, Any]) -> dict[str, Any]:
    return {**kmock_options, "cls": RecordingEmulator}


def seen(emulator: StrictEmulator) -> set[tuple[str, str, str]]:
    """The RBAC triples of every resource request the operator sent (discovery excluded)."""
    assert isinstance(emulator, RecordingEmulator)
    triples = {required_permission(method, path, params) for method, path, params in emulator.calls}
    return {triple for triple in triples if triple is not None}


async def api_call(emulator: StrictEmulator, method: str, path: str, body: Any = None) -> None:
    url = f"{str(emulator.url).rstrip('/')}{path}"
    headers = {"Content-Type": "application/merge-patch+json", TEST_CLIENT: "1"}
    data = None if body is None else json.dumps(body).encode()
    async with aiohttp.ClientSession() as session, session.request(method, url, data=data, headers=headers) as answer:
        assert answer.status == 200, await answer.text()


def condition(emulator: StrictEmulator, kind: str) -> dict[str, Any]:
    obj = emulator.objects[MM, NS, NAME]
    return next((c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == kind), {})


@contextlib.asynccontextmanager
async def run_operator(emulator: StrictEmulator, config: OperatorConfig, args: list[str]) -> AsyncIterator[None]:
    api = KubeApi(build_api_client(api_url=str(emulator.url).rstrip("/")))
    context = OperatorContext(config, api, OperatorMetrics(CollectorRegistry()))
    settings = kopf.OperatorSettings()
    settings.queueing.idle_timeout = 0.3
    settings.queueing.exit_timeout = 0.3
    runner = KopfRunner(args, registry=build_registry(context), settings=settings, timeout=30)
    await asyncio.to_thread(runner.__enter__)
    try:
        yield
    finally:
        await asyncio.to_thread(runner.__exit__, None, None, None)
        api.close()


BASE = {
    "webhook_addr": "127.0.0.1",
    "webhook_host": "127.0.0.1",
    "webhook_port": 0,
    "retry_base_seconds": 0.2,
    "retry_max_seconds": 0.5,
    "metrics_port": 0,
}
NAME = "fraud-scorer"
MONITOR_PATH = f"/apis/modelmonitor.io/v1alpha1/namespaces/{NS}/modelmonitors/{NAME}"
TEST_CLIENT = "X-Permissions-Test"


async def full_lifecycle(emulator: StrictEmulator) -> set[tuple[str, str, str]]:
    """Cluster-wide, webhooks, peering, sidecar count: create and update, restart, delete."""
    emulator.resources[PEERINGS] = kmock.ResourceInfo(
        kind="ClusterKopfPeering", namespaced=False, verbs={"list", "watch", "get", "patch", "create"}
    )
    peering = {"apiVersion": "kopf.dev/v1", "kind": "ClusterKopfPeering", "metadata": {"name": "modelmonitor"}}
    emulator.seed(PEERINGS, None, peering)
    emulator.seed(DEPLOYMENTS, NS, deployment())
    emulator.seed(SERVICES, NS, service())
    pod_meta = {"name": "fraud-scorer-abc", "labels": {keys.INJECT_LABEL: "true"}, "annotations": {keys.MONITOR: NAME}}
    emulator.seed("v1/pods", NS, {"metadata": pod_meta, "spec": {"containers": [{"name": "model", "image": "m:1"}]}})
    reference = {"metadata": {"name": "reference"}, "data": {"profile.yaml": yaml.safe_dump(PROFILE)}}
    emulator.seed(CONFIGMAPS, NS, reference)
    spec: dict[str, Any] = {
        "target": {"deployment": NAME, "service": NAME, "port": 8080},
        "reference": {"configMap": "reference", "key": "profile.yaml"},
    }
    config = OperatorConfig(
        **BASE, webhooks_enabled=True, peering="modelmonitor", sidecar_check_interval=0.3, api_url=str(emulator.url)
    )
    args = ["run", "-A", "--peering", "modelmonitor"]
    async with run_operator(emulator, config, args):  # first start: webhook configurations created
        emulator.seed(MM, NS, monitor(**spec))
        await api_call(emulator, "PATCH", MONITOR_PATH, {})
        await eventually(lambda: condition(emulator, "Ready").get("status") == "True", what="Ready")
        await eventually(lambda: condition(emulator, "SidecarMissing").get("status") == "True", what="SidecarMissing")
        before = dict(emulator.objects[CONFIGMAPS, NS, CM_NAME]["metadata"]["annotations"])
        await api_call(emulator, "PATCH", MONITOR_PATH, {"spec": {"sidecar": {"port": 8009}}})
        await eventually(
            lambda: emulator.objects[CONFIGMAPS, NS, CM_NAME]["metadata"]["annotations"] != before,
            what="update",
        )
    async with run_operator(emulator, config, args):  # restart: a new certificate, so the configurations are patched
        await api_call(emulator, "DELETE", MONITOR_PATH)
        await eventually(lambda: emulator.objects[MM, NS, NAME].deleted, what="finalizer released")
    return seen(emulator)


async def namespaced_run(emulator: StrictEmulator) -> set[tuple[str, str, str]]:
    """One namespace, no webhooks, standalone: create only."""
    emulator.seed(DEPLOYMENTS, NS, deployment())
    config = OperatorConfig(
        **BASE,
        webhooks_enabled=False,
        standalone=True,
        sidecar_check_interval=0,
        namespaces=(NS,),
        api_url=str(emulator.url),
    )
    async with run_operator(emulator, config, ["run", "--standalone", "-n", NS]):
        emulator.seed(MM, NS, monitor(target={"deployment": NAME}))
        await api_call(emulator, "PATCH", MONITOR_PATH, {})
        await eventually(lambda: condition(emulator, "Ready").get("status") == "True", what="Ready")
    return seen(emulator)


def only(feature: Feature) -> set[tuple[str, str, str]]:
    return granted(p for p in PERMISSIONS if p.feature is feature)


async def test_cluster_wide_lifecycle(emulator: StrictEmulator) -> None:
    used = await full_lifecycle(emulator)
    features = {Feature.WEBHOOKS, Feature.PEERING}
    assert used - granted(permissions_for(features)) == set(), "the operator calls something the table lacks"
    assert granted(permissions_for(features)) - used == set(), "the table grants something never used"
    assert used & only(Feature.NAMESPACED) == set()


async def test_namespaced_without_webhooks(emulator: StrictEmulator) -> None:
    used = await namespaced_run(emulator)
    assert used - granted(permissions_for({Feature.NAMESPACED})) == set(), (
        "the operator calls something the table lacks"
    )
    assert only(Feature.NAMESPACED) <= used, "Kopf no longer needs the namespaces it is declared for"
    assert used & (only(Feature.WEBHOOKS) | only(Feature.PEERING)) == set()
