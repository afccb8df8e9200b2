"""The admission webhooks over HTTPS, with AdmissionReview v1 bodies shaped as in the Kubernetes docs.

We test these aspects:
- the operator registers fail-open webhook configurations (Ignore, short timeout, objectSelector on the label);
- the served certificate verifies against the registered caBundle;
- a labelled pod gets a JSON patch that adds exactly one sidecar, its volume and the injected annotation;
- reviewing the already-injected pod is a no-op (allowed, no patch);
- a pod without the label is untouched;
- malformed reviews (not JSON, missing request, missing uid) get a 400 naming the problem;
- the validating webhook rejects an invalid ModelMonitor spec naming the field, and allows a valid one.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jsonpatch
import pytest

from modelmonitor.handlers import OperatorContext
from modelmonitor.wiring import keys
from tests.integration.operator.conftest import Operator, eventually
from tests.support.certs import client_context
from tests.support.emulator import StrictEmulator

MUTATING = "admissionregistration.k8s.io/v1/mutatingwebhookconfigurations"
VALIDATING = "admissionregistration.k8s.io/v1/validatingwebhookconfigurations"


def pod(labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "fraud-scorer-7d4b9c-abcde", "namespace": "ml"}
    if labels is not None:
        meta["labels"] = labels
    if annotations is not None:
        meta["annotations"] = annotations
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": meta,
        "spec": {"containers": [{"name": "model", "image": "model:1", "ports": [{"containerPort": 8080}]}]},
    }


def review(
    obj: dict[str, Any], *, group: str = "", version: str = "v1", resource: str = "pods", kind: str = "Pod"
) -> dict[str, Any]:
    """An AdmissionReview request as in the Kubernetes documentation (dynamic admission control)."""
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": str(uuid.uuid4()),
            "kind": {"group": group, "version": version, "kind": kind},
            "resource": {"group": group, "version": version, "resource": resource},
            "requestKind": {"group": group, "version": version, "kind": kind},
            "requestResource": {"group": group, "version": version, "resource": resource},
            "name": obj["metadata"].get("name"),
            "namespace": "ml",
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller", "groups": []},
            "object": obj,
            "oldObject": None,
            "dryRun": False,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        },
    }


@pytest.fixture
def operator_config(operator_config: Any) -> Any:
    return operator_config.model_copy(update={"webhooks_enabled": True})


class Webhooks:
    def __init__(self, session: aiohttp.ClientSession, inject_url: str, validate_url: str) -> None:
        self.session = session
        self.inject_url = inject_url
        self.validate_url = validate_url

    async def post(self, url: str, body: Any) -> tuple[int, Any]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with self.session.post(url, data=data, headers={"Content-Type": "application/json"}) as response:
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except ValueError:
                return response.status, text


@pytest.fixture
async def webhooks(emulator: StrictEmulator, operator: Operator) -> AsyncIterator[Webhooks]:
    config = await eventually(lambda: emulator.objects[MUTATING, None, "modelmonitor.io"], what="webhook config")
    await eventually(lambda: emulator.objects[VALIDATING, None, "modelmonitor.io"], what="validating config")
    client_config = config["webhooks"][0]["clientConfig"]
    validate_url = emulator.objects[VALIDATING, None, "modelmonitor.io"]["webhooks"][0]["clientConfig"]["url"]
    connector = aiohttp.TCPConnector(ssl=client_context(client_config["caBundle"]))
    async with aiohttp.ClientSession(connector=connector) as session:
        yield Webhooks(session, client_config["url"], validate_url)


def decoded_patch(answer: dict[str, Any]) -> list[dict[str, Any]]:
    assert answer["response"]["patchType"] == "JSONPatch"
    patch: list[dict[str, Any]] = json.loads(base64.b64decode(answer["response"]["patch"]))
    return patch


async def test_configurations_fail_open(emulator: StrictEmulator, webhooks: Webhooks) -> None:
    hook = emulator.objects[MUTATING, None, "modelmonitor.io"]["webhooks"][0]
    assert hook["failurePolicy"] == "Ignore"
    assert hook["timeoutSeconds"] <= 10
    assert hook["objectSelector"] == {"matchLabels": {keys.INJECT_LABEL: "true"}}
    assert hook["rules"][0]["operations"] == ["CREATE"]
    assert hook["rules"][0]["resources"] == ["pods"]
    assert hook["clientConfig"]["url"].startswith("https://127.0.0.1:")


async def test_labelled_pod_gets_exactly_one_sidecar(webhooks: Webhooks, context: OperatorContext) -> None:
    request = review(
        pod(
            labels={keys.INJECT_LABEL: "true", "app": "fraud-scorer"},
            annotations={keys.SIDECAR_PORT: "8008", keys.CONFIG_MAP: "fraud-scorer-modelmonitor"},
        )
    )
    status, answer = await webhooks.post(webhooks.inject_url, request)
    assert status == 200
    assert answer["response"]["uid"] == request["request"]["uid"]
    assert answer["response"]["allowed"] is True
    patched = jsonpatch.apply_patch(request["request"]["object"], decoded_patch(answer))
    names = [c["name"] for c in patched["spec"]["containers"]]
    assert names == ["model", keys.SIDECAR_CONTAINER]
    assert patched["spec"]["containers"][0] == request["request"]["object"]["spec"]["containers"][0]
    sidecar = patched["spec"]["containers"][1]
    assert sidecar["image"] == context.config.sidecar_image
    assert sidecar["securityContext"]["readOnlyRootFilesystem"] is True
    assert sidecar["readinessProbe"]["httpGet"]["path"] == "/modelmonitor/readyz"
    assert patched["spec"]["volumes"][0]["projected"]["sources"][0]["configMap"]["name"] == "fraud-scorer-modelmonitor"
    assert keys.INJECTED in patched["metadata"]["annotations"]

    status, again = await webhooks.post(webhooks.inject_url, review(patched))
    assert status == 200
    assert again["response"]["allowed"] is True
    assert "patch" not in again["response"]


async def test_unlabelled_pod_is_untouched(webhooks: Webhooks) -> None:
    status, answer = await webhooks.post(webhooks.inject_url, review(pod(labels={"app": "other"})))
    assert status == 200
    assert answer["response"]["allowed"] is True
    assert "patch" not in answer["response"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "not JSON"),
        ({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}, "request"),
        (
            {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"operation": "CREATE"}},
            "request.uid",
        ),
        ([1, 2, 3], "JSON object"),
    ],
)
async def test_malformed_review_gets_clear_error(webhooks: Webhooks, body: Any, expected: str) -> None:
    status, answer = await webhooks.post(webhooks.inject_url, body)
    assert status == 400
    assert expected in json.dumps(answer)
    # the server is still up afterwards
    ok_status, _ = await webhooks.post(webhooks.inject_url, review(pod(labels={})))
    assert ok_status == 200


async def test_validating_webhook(webhooks: Webhooks) -> None:
    bad = {
        "apiVersion": "modelmonitor.io/v1alpha1",
        "kind": "ModelMonitor",
        "metadata": {"name": "m", "namespace": "ml"},
        "spec": {"target": {"deployment": "d", "port": 0}},
    }
    args = {"group": "modelmonitor.io", "version": "v1alpha1", "resource": "modelmonitors", "kind": "ModelMonitor"}
    status, answer = await webhooks.post(webhooks.validate_url, review(bad, **args))
    assert status == 200
    assert answer["response"]["allowed"] is False
    assert "spec.target.port" in answer["response"]["status"]["message"]
    good = {**bad, "spec": {"target": {"deployment": "d"}}}
    status, answer = await webhooks.post(webhooks.validate_url, review(good, **args))
    assert answer["response"]["allowed"] is True
