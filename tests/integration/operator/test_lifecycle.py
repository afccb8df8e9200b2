"""The operator's ModelMonitor lifecycle against the strict kmock emulator, over real HTTP.

We test these aspects:
- create: config delivered in an owned ConfigMap, pod template labelled and annotated, Service rewired,
  Ready=True with observedGeneration, Events posted, finalizer added;
- update: a spec change changes the config hash on the pod template and in the ConfigMap;
- an invalid spec: Ready=False, reason InvalidSpec, the message names the field, nothing written;
- a missing target: Ready=False, reason TargetNotFound, then recovery when the Deployment appears;
- delete: Service restored, label and annotations removed, ConfigMap deleted, finalizer released;
- a restart after wiring: the resumed operator writes nothing again;
- SidecarMissing: an opted-in pod without the sidecar is reported.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import kmock
import pytest

from modelmonitor.wiring import keys
from tests.integration.operator.conftest import (
    CONFIGMAPS,
    DEPLOYMENTS,
    MM,
    NS,
    SERVICES,
    Operator,
    deployment,
    eventually,
    monitor,
    service,
)
from tests.support.emulator import StrictEmulator

CM_NAME = "fraud-scorer-modelmonitor"


def ready(emulator: StrictEmulator, name: str = "fraud-scorer") -> dict[str, Any] | None:
    obj = emulator.objects[MM, NS, name]
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition["type"] == "Ready":
            return dict(condition)
    return None


def template_meta(emulator: StrictEmulator, name: str = "fraud-scorer") -> dict[str, Any]:
    return dict(emulator.objects[DEPLOYMENTS, NS, name]["spec"]["template"]["metadata"])


def events(emulator: StrictEmulator) -> list[str]:
    return [obj["reason"] for key, obj in emulator.objects.items() if key[0] == "v1/events" and not obj.deleted]


async def create_monitor(emulator: StrictEmulator, body: dict[str, Any]) -> None:
    emulator.seed(MM, NS, body)
    # a seeded object is not announced on the watch stream; touching it through the API is
    await emulator_touch(emulator, body["metadata"]["name"])


async def emulator_touch(emulator: StrictEmulator, name: str, patch: dict[str, Any] | None = None) -> None:
    """Merge-patch the ModelMonitor through the API, so the watch stream announces it."""
    url = f"{str(emulator.url).rstrip('/')}/apis/modelmonitor.io/v1alpha1/namespaces/{NS}/modelmonitors/{name}"
    headers = {"Content-Type": "application/merge-patch+json"}
    body = json.dumps(patch or {}).encode()
    async with aiohttp.ClientSession() as session, session.patch(url, data=body, headers=headers) as response:
        assert response.status == 200, await response.text()


async def test_create_wires_everything(emulator: StrictEmulator, operator: Operator) -> None:
    emulator.seed(DEPLOYMENTS, NS, deployment())
    emulator.seed(SERVICES, NS, service())
    await create_monitor(emulator, monitor())

    condition = await eventually(
        lambda: (ready(emulator) or {}).get("status") == "True" and ready(emulator), what="Ready"
    )
    assert condition["reason"] == "Wired"
    assert condition["observedGeneration"] == emulator.objects[MM, NS, "fraud-scorer"]["metadata"]["generation"]
    status = emulator.objects[MM, NS, "fraud-scorer"]["status"]
    assert status["phase"] == "Healthy"
    assert keys.FINALIZER in emulator.objects[MM, NS, "fraud-scorer"]["metadata"]["finalizers"]

    config_map = emulator.objects[CONFIGMAPS, NS, CM_NAME]
    config = json.loads(config_map["data"]["config.json"])
    assert config["monitor"] == "fraud-scorer"
    assert config["namespace"] == NS
    assert config_map["metadata"]["ownerReferences"][0]["kind"] == "ModelMonitor"

    meta = template_meta(emulator)
    assert meta["labels"][keys.INJECT_LABEL] == "true"
    assert meta["annotations"][keys.CONFIG_HASH] == config_map["metadata"]["annotations"][keys.CONFIG_HASH]
    assert meta["annotations"][keys.CONFIG_MAP] == CM_NAME
    svc = emulator.objects[SERVICES, NS, "fraud-scorer"]
    assert svc["spec"]["ports"][0]["targetPort"] == 8008
    assert json.loads(svc["metadata"]["annotations"][keys.ORIGINAL_TARGET_PORTS]) == {"80": 8080}
    await eventually(
        lambda: {"ConfigDelivered", "TargetLabelled", "ServiceRewired"} <= set(events(emulator)), what="events"
    )


async def test_update_changes_config_hash(emulator: StrictEmulator, operator: Operator) -> None:
    emulator.seed(DEPLOYMENTS, NS, deployment())
    await create_monitor(emulator, monitor(target={"deployment": "fraud-scorer"}))
    await eventually(lambda: (ready(emulator) or {}).get("status") == "True", what="Ready")
    first = template_meta(emulator)["annotations"][keys.CONFIG_HASH]

    await emulator_touch(emulator, "fraud-scorer", {"spec": {"sidecar": {"port": 9009}}})
    await eventually(lambda: template_meta(emulator)["annotations"][keys.CONFIG_HASH] != first, what="new hash")
    meta = template_meta(emulator)
    assert meta["annotations"][keys.SIDECAR_PORT] == "9009"
    cm = emulator.objects[CONFIGMAPS, NS, CM_NAME]
    assert cm["metadata"]["annotations"][keys.CONFIG_HASH] == meta["annotations"][keys.CONFIG_HASH]
    assert json.loads(cm["data"]["config.json"])["spec"]["sidecar"]["port"] == 9009
    generation = emulator.objects[MM, NS, "fraud-scorer"]["metadata"]["generation"]
    assert generation == 2
    await eventually(lambda: (ready(emulator) or {}).get("observedGeneration") == generation, what="observedGeneration")
    assert emulator.objects[MM, NS, "fraud-scorer"]["status"]["observedGeneration"] == generation


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"target": {"deployment": "fraud-scorer", "port": 70000}}, "spec.target.port"),
        ({"target": {"deployment": "fraud-scorer"}, "sidecar": {"pathPrefix": "no-slash"}}, "spec.sidecar.pathPrefix"),
        (None, "spec"),
    ],
    ids=["port-out-of-range", "bad-prefix", "no-spec"],
)
async def test_invalid_spec_names_the_field(
    emulator: StrictEmulator, operator: Operator, spec: dict[str, Any] | None, field: str
) -> None:
    emulator.seed(DEPLOYMENTS, NS, deployment())
    body = monitor()
    if spec is None:
        del body["spec"]
    else:
        body["spec"] = spec
    await create_monitor(emulator, body)
    condition = await eventually(lambda: ready(emulator), what="Ready condition")
    assert condition["status"] == "False"
    assert condition["reason"] == "InvalidSpec"
    assert condition["message"].startswith(field)
    assert emulator.objects[MM, NS, "fraud-scorer"]["status"]["phase"] == "Degraded"
    assert (CONFIGMAPS, NS, CM_NAME) not in emulator.objects
    assert keys.INJECT_LABEL not in (template_meta(emulator).get("labels") or {})


async def test_retarget_releases_the_old_deployment(emulator: StrictEmulator, operator: Operator) -> None:
    emulator.seed(DEPLOYMENTS, NS, deployment("model-a"))
    emulator.seed(DEPLOYMENTS, NS, deployment("model-b"))
    await create_monitor(emulator, monitor(target={"deployment": "model-a"}))
    await eventually(lambda: template_meta(emulator, "model-a").get("labels"), what="model-a labelled")
    await emulator_touch(emulator, "fraud-scorer", {"spec": {"target": {"deployment": "model-b"}}})
    await eventually(
        lambda: keys.INJECT_LABEL in (template_meta(emulator, "model-b").get("labels") or {}), what="model-b labelled"
    )
    await eventually(lambda: not template_meta(emulator, "model-a").get("labels"), what="model-a released")
    assert keys.CONFIG_HASH not in (template_meta(emulator, "model-a").get("annotations") or {})
    assert not emulator.objects[CONFIGMAPS, NS, CM_NAME].deleted
    await eventually(lambda: (ready(emulator) or {}).get("observedGeneration") == 2, what="update handled")


async def test_missing_target_then_recovery(emulator: StrictEmulator, operator: Operator) -> None:
    await create_monitor(emulator, monitor(target={"deployment": "fraud-scorer"}))
    condition = await eventually(lambda: ready(emulator), what="Ready condition")
    assert (condition["status"], condition["reason"]) == ("False", "TargetNotFound")
    assert "fraud-scorer" in condition["message"]
    assert emulator.objects[MM, NS, "fraud-scorer"]["status"]["phase"] == "Pending"

    emulator.seed(DEPLOYMENTS, NS, deployment())  # the retry with backoff finds it
    recovered = await eventually(
        lambda: (ready(emulator) or {}).get("status") == "True" and ready(emulator), what="recovery"
    )
    assert recovered["reason"] == "Wired"
    assert template_meta(emulator)["labels"][keys.INJECT_LABEL] == "true"


async def test_delete_restores_everything(emulator: StrictEmulator, operator: Operator) -> None:
    original = deployment(labels={"app": "fraud-scorer"})
    emulator.seed(DEPLOYMENTS, NS, original)
    emulator.seed(SERVICES, NS, service())
    await create_monitor(emulator, monitor())
    await eventually(lambda: (ready(emulator) or {}).get("status") == "True", what="Ready")

    url = f"{str(emulator.url).rstrip('/')}/apis/modelmonitor.io/v1alpha1/namespaces/{NS}/modelmonitors/fraud-scorer"
    async with aiohttp.ClientSession() as session, session.delete(url) as response:
        assert response.status == 200
    await eventually(lambda: emulator.objects[MM, NS, "fraud-scorer"].deleted, what="finalizer released")

    svc = emulator.objects[SERVICES, NS, "fraud-scorer"]
    assert svc["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": 8080}]
    assert keys.ORIGINAL_TARGET_PORTS not in (svc["metadata"].get("annotations") or {})
    dep = emulator.objects[DEPLOYMENTS, NS, "fraud-scorer"]
    assert dep["spec"] == original["spec"]
    assert emulator.objects[CONFIGMAPS, NS, CM_NAME].deleted


async def test_restart_writes_nothing_twice(emulator: StrictEmulator, operator: Operator) -> None:
    emulator.seed(DEPLOYMENTS, NS, deployment())
    emulator.seed(SERVICES, NS, service())
    await create_monitor(emulator, monitor())
    await eventually(lambda: (ready(emulator) or {}).get("status") == "True", what="Ready")
    await eventually(lambda: "ServiceRewired" in events(emulator), what="events")
    await operator.stop()
    before = {
        key: len(emulator.objects[key].history)
        for key in [(DEPLOYMENTS, NS, "fraud-scorer"), (SERVICES, NS, "fraud-scorer"), (CONFIGMAPS, NS, CM_NAME)]
    }
    conditions = emulator.objects[MM, NS, "fraud-scorer"]["status"]["conditions"]

    await operator.start()
    # the resume handler has run once it leaves its progress record; give it that long
    await eventually(
        lambda: operator.context.metrics.reconciliations.labels("wire", "ready")._value.get() >= 2,
        what="resume handled",
    )
    after = {key: len(emulator.objects[key].history) for key in before}
    assert after == before
    assert emulator.objects[MM, NS, "fraud-scorer"]["status"]["conditions"] == conditions


@pytest.mark.parametrize("operator_config", [{"sidecar_check_interval": 0.3}], indirect=True)
async def test_sidecar_missing_is_reported(emulator: StrictEmulator, operator: Operator) -> None:
    emulator.seed(DEPLOYMENTS, NS, deployment())
    await create_monitor(emulator, monitor(target={"deployment": "fraud-scorer"}))
    await eventually(lambda: (ready(emulator) or {}).get("status") == "True", what="Ready")
    pod_meta = {"labels": {keys.INJECT_LABEL: "true"}, "annotations": {keys.MONITOR: "fraud-scorer"}}
    emulator.seed(
        "v1/pods",
        NS,
        {
            "metadata": {"name": "fraud-scorer-abc", **pod_meta},
            "spec": {"containers": [{"name": "model", "image": "model:1"}]},
        },
    )
    emulator.seed(
        "v1/pods",
        NS,
        {
            "metadata": {"name": "fraud-scorer-def", **pod_meta},
            "spec": {"containers": [{"name": "model"}, {"name": keys.SIDECAR_CONTAINER}]},
        },
    )

    def missing() -> dict[str, Any] | None:
        conditions = emulator.objects[MM, NS, "fraud-scorer"]["status"]["conditions"]
        found = [c for c in conditions if c["type"] == "SidecarMissing" and c["status"] == "True"]
        return found[0] if found else None

    condition = await eventually(missing, what="SidecarMissing")
    assert condition["reason"] == "PodsWithoutSidecar"
    assert "fraud-scorer-abc" in condition["message"]
    assert "fraud-scorer-def" not in condition["message"]
    gauge = operator.context.metrics.pods_missing_sidecar.labels(NS, "fraud-scorer")
    assert gauge._value.get() == 1


async def test_restart_during_retry_resumes_once(emulator: StrictEmulator, operator: Operator) -> None:
    await create_monitor(emulator, monitor(target={"deployment": "fraud-scorer"}))
    await eventually(lambda: (ready(emulator) or {}).get("reason") == "TargetNotFound", what="TargetNotFound")
    await operator.stop()
    emulator.seed(DEPLOYMENTS, NS, deployment())
    await operator.start()
    await eventually(lambda: (ready(emulator) or {}).get("status") == "True", what="Ready after restart")
    await eventually(lambda: "TargetLabelled" in events(emulator), what="events")
    assert len(emulator.objects[DEPLOYMENTS, NS, "fraud-scorer"].history) == 2  # seeded, then one patch
    assert len(emulator.objects[CONFIGMAPS, NS, CM_NAME].history) == 1  # created once
    registry = operator.context.metrics.registry
    # the handler records its metrics after writing the status: wait for them, then check they counted once
    ready_runs = {"handler": "wire", "result": "ready"}
    await eventually(
        lambda: registry.get_sample_value("modelmonitor_operator_reconciliations_total", ready_runs),
        what="metrics recorded",
    )
    assert registry.get_sample_value("modelmonitor_operator_writes_total", {"reason": "ConfigDelivered"}) == 1
    assert registry.get_sample_value("modelmonitor_operator_reconciliations_total", ready_runs) == 1


async def test_api_error_is_reported_and_retried(emulator: StrictEmulator, operator: Operator) -> None:
    emulator.seed(DEPLOYMENTS, NS, deployment())
    emulator.seed(SERVICES, NS, service())
    # the first Service patch is refused (as RBAC would); kmock still stores it, so the retry finds it done
    emulator[kmock.method.PATCH, kmock.resource("v1/services")][:1] << 403
    await create_monitor(emulator, monitor())
    await eventually(lambda: "ApiError" in events(emulator), what="ApiError event")
    recovered = await eventually(
        lambda: (ready(emulator) or {}).get("status") == "True" and ready(emulator), what="recovery"
    )
    assert recovered["reason"] == "Wired"
