"""The pure sidecar-injection patch.

We test these aspects:
- a labelled pod gets exactly one sidecar, one config volume and the injected annotation;
- settings come from pod annotations (ports, prefix, ConfigMap), with defaults for absent or odd values;
- the sidecar is hardened: non-root, read-only root filesystem, all capabilities dropped;
- already-injected pods, unlabelled pods and pods without containers get no patch;
- a taken volume name is not reused;
- property: over varied pod specs, applying the patch never drops, alters or reorders the user's
  containers, init containers, volumes or labels, and a second mutate is a no-op.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmonitor.injection.mutate import InjectionConfig, mutate, needs_injection
from modelmonitor.wiring import keys

CONFIG = InjectionConfig(image="proxy:1")
LABELS = {keys.INJECT_LABEL: "true"}


def pod(**meta: Any) -> dict[str, Any]:
    return {"metadata": {"name": "p", **meta}, "spec": {"containers": [{"name": "model", "image": "m:1"}]}}


def apply(body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = jsonpatch.apply_patch(body, mutate(body, CONFIG))
    return result


def test_adds_one_sidecar_volume_and_annotation() -> None:
    patched = apply(pod(labels=LABELS))
    assert [c["name"] for c in patched["spec"]["containers"]] == ["model", keys.SIDECAR_CONTAINER]
    assert [v["name"] for v in patched["spec"]["volumes"]] == [keys.CONFIG_VOLUME]
    assert patched["metadata"]["annotations"] == {keys.INJECTED: "proxy:1"}


def test_settings_come_from_annotations() -> None:
    annotations = {
        keys.SIDECAR_PORT: "9000",
        keys.UPSTREAM_PORT: "5000",
        keys.PATH_PREFIX: "/mm/",
        keys.CONFIG_MAP: "cm",
    }
    patched = apply(pod(labels=LABELS, annotations=annotations))
    sidecar = patched["spec"]["containers"][1]
    assert sidecar["args"] == [
        "--upstream",
        "http://127.0.0.1:5000",
        "--listen",
        "0.0.0.0:9000",
        "--config",
        "/etc/modelmonitor/config.json",
    ]
    assert sidecar["readinessProbe"]["httpGet"] == {"path": "/mm/readyz", "port": 9000, "scheme": "HTTP"}
    assert sidecar["livenessProbe"]["httpGet"]["path"] == "/mm/healthz"
    assert patched["spec"]["volumes"][0]["projected"]["sources"][0] == {"configMap": {"name": "cm", "optional": True}}
    assert patched["metadata"]["annotations"][keys.INJECTED] == "proxy:1"


@pytest.mark.parametrize("value", ["", "abc", "0", "70000", "-1"])
def test_odd_port_annotation_falls_back_to_default(value: str) -> None:
    sidecar = apply(pod(labels=LABELS, annotations={keys.SIDECAR_PORT: value}))["spec"]["containers"][1]
    assert sidecar["ports"][0]["containerPort"] == 8008


def test_sidecar_is_hardened() -> None:
    sidecar = apply(pod(labels=LABELS))["spec"]["containers"][1]
    security = sidecar["securityContext"]
    assert security["runAsNonRoot"] is True
    assert security["runAsUser"] == CONFIG.run_as_user
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert sidecar["resources"] == {"requests": dict(CONFIG.requests), "limits": dict(CONFIG.limits)}
    env = {e["name"]: e for e in sidecar["env"]}
    assert env["MODELMONITOR_POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env["MODELMONITOR_POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"


@pytest.mark.parametrize(
    "body",
    [
        pod(),
        pod(labels={keys.INJECT_LABEL: "false"}),
        pod(labels=LABELS, annotations={keys.INJECTED: "x"}),
        {"metadata": {"labels": LABELS}, "spec": {"containers": [{"name": keys.SIDECAR_CONTAINER}]}},
        {"metadata": {"labels": LABELS}, "spec": {}},
        {"metadata": {"labels": LABELS}},
        {},
        {"metadata": None, "spec": None},
    ],
    ids=["unlabelled", "label-false", "annotated", "has-sidecar", "no-containers", "no-spec", "empty", "nulls"],
)
def test_no_patch(body: dict[str, Any]) -> None:
    assert mutate(body, CONFIG) == []
    assert not needs_injection(body)


def test_taken_volume_name_is_not_reused() -> None:
    body = pod(labels=LABELS)
    body["spec"]["volumes"] = [{"name": keys.CONFIG_VOLUME, "emptyDir": {}}, {"name": f"{keys.CONFIG_VOLUME}-1"}]
    patched = apply(body)
    added = patched["spec"]["volumes"][2]["name"]
    assert added == f"{keys.CONFIG_VOLUME}-2"
    assert patched["spec"]["containers"][1]["volumeMounts"][0]["name"] == added


names = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True).filter(lambda n: n != keys.SIDECAR_CONTAINER)
ports = st.lists(st.fixed_dictionaries({"containerPort": st.integers(1, 65535)}), max_size=3)
containers = st.lists(
    st.fixed_dictionaries({"name": names, "image": st.text(min_size=1, max_size=8)}, optional={"ports": ports}),
    min_size=1,
    max_size=4,
    unique_by=lambda c: c["name"],
)
volumes = st.lists(
    st.fixed_dictionaries({"name": names, "emptyDir": st.just({})}), max_size=3, unique_by=lambda v: v["name"]
)
label_maps = st.dictionaries(
    st.from_regex(r"[a-z]{1,8}(/[a-z]{1,8})?", fullmatch=True), st.text(max_size=5), max_size=3
)


@st.composite
def pods(draw: st.DrawFn) -> dict[str, Any]:
    labels = draw(label_maps)
    if draw(st.booleans()):
        labels[keys.INJECT_LABEL] = "true"
    meta: dict[str, Any] = {"name": "p"}
    if labels or draw(st.booleans()):
        meta["labels"] = labels
    if draw(st.booleans()):
        meta["annotations"] = draw(label_maps)
    spec: dict[str, Any] = {"containers": draw(containers)}
    if draw(st.booleans()):
        spec["initContainers"] = draw(containers)
    if draw(st.booleans()):
        spec["volumes"] = draw(volumes)
    return {"metadata": meta, "spec": spec}


@settings(max_examples=150, deadline=None)
@given(pods())
def test_property_user_containers_are_never_dropped_or_altered(body: dict[str, Any]) -> None:
    original = copy.deepcopy(body)
    ops = mutate(body, CONFIG)
    assert body == original  # the function does not mutate its input
    assert all(op["op"] == "add" for op in ops)
    patched = jsonpatch.apply_patch(body, ops)
    spec = patched["spec"]
    injected = original["metadata"].get("labels", {}).get(keys.INJECT_LABEL) == "true"
    assert spec["containers"][: len(original["spec"]["containers"])] == original["spec"]["containers"]
    assert len(spec["containers"]) == len(original["spec"]["containers"]) + (1 if injected else 0)
    assert spec.get("initContainers") == original["spec"].get("initContainers")
    assert spec.get("volumes", [])[: len(original["spec"].get("volumes", []))] == original["spec"].get("volumes", [])
    assert patched["metadata"].get("labels") == original["metadata"].get("labels")
    names_after = [v["name"] for v in spec.get("volumes", [])]
    assert len(names_after) == len(set(names_after))
    assert mutate(patched, CONFIG) == []  # idempotent
