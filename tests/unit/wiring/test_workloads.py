"""ConfigMap, Deployment pod-template, Service and webhook-configuration builders.

We test these aspects:
- the ConfigMap holds config.json, the hash annotation and an ownerReference; its patch is None when current;
- the template patch sets the label and annotations, is None when already set, and its undo restores
  exactly the user's template (including templates without labels or annotations);
- Service rewiring: numeric, named, and defaulted targetPorts; other ports untouched; the original recorded;
  a second rewire is a no-op; restore puts the originals back; Services without ports never raise;
- webhook configurations fail open with a short timeout and the inject label as objectSelector;
- reference profiles: a missing key, bad YAML and a bad profile are named.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonpatch
import pytest
import yaml

from modelmonitor.api.sidecar_config import SidecarConfig
from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.wiring import keys
from modelmonitor.wiring.configmap import build_config_map, config_map_patch
from modelmonitor.wiring.deployment import container_ports, template_annotations, unwire_patch, wire_patch
from modelmonitor.wiring.reference import ReferenceError, profile_from_config_map
from modelmonitor.wiring.service import restore_patch, rewire_patch
from modelmonitor.wiring.webhooks import mutating_configuration, validating_configuration

SPEC = ModelMonitorSpec.model_validate({"target": {"deployment": "d", "service": "s", "port": 8080}})


def config(port: int = 8008) -> SidecarConfig:
    spec = SPEC.model_copy(update={"sidecar": SPEC.sidecar.model_copy(update={"port": port})})
    return SidecarConfig(namespace="ml", monitor="m", spec=spec)


def test_config_map_body_and_patch() -> None:
    body = build_config_map(monitor="m", namespace="ml", uid="u-1", config=config())
    assert json.loads(body["data"]["config.json"])["monitor"] == "m"
    assert body["metadata"]["annotations"][keys.CONFIG_HASH] == config().digest()
    owner = body["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["uid"], owner["controller"]) == ("ModelMonitor", "u-1", True)
    assert config_map_patch(body, config()) is None
    patch = config_map_patch(body, config(9000))
    assert patch is not None
    assert patch["metadata"]["annotations"][keys.CONFIG_HASH] == config(9000).digest()
    assert config_map_patch({"data": None}, config()) is not None


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7386 JSON merge patch."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        elif isinstance(value, dict):
            out[key] = merge({}, value)
        else:
            out[key] = value
    return out


@pytest.mark.parametrize(
    "template",
    [
        {"metadata": {"labels": {"app": "d"}, "annotations": {"team": "x"}}, "spec": {"containers": []}},
        {"metadata": {"labels": {"app": "d"}}, "spec": {}},
        {"spec": {}},
        {},
    ],
    ids=["labels-and-annotations", "labels-only", "no-metadata", "empty-template"],
)
def test_template_wire_and_undo_round_trip(template: dict[str, Any]) -> None:
    deployment = {"metadata": {"name": "d"}, "spec": {"replicas": 1, "template": template}}
    annotations = template_annotations(monitor="m", spec=SPEC, digest="abc", config_map="m-modelmonitor")
    patch = wire_patch(deployment, annotations)
    assert patch is not None
    wired = merge(deployment, patch)
    meta = wired["spec"]["template"]["metadata"]
    assert meta["labels"][keys.INJECT_LABEL] == "true"
    assert meta["annotations"][keys.CONFIG_HASH] == "abc"
    assert wire_patch(wired, annotations) is None
    assert wire_patch(wired, {**annotations, keys.CONFIG_HASH: "def"}) is not None
    undo = unwire_patch(wired)
    assert undo is not None
    restored = merge(wired, undo)
    expected = copy.deepcopy(deployment)
    if expected["spec"]["template"].get("metadata") is None and "metadata" in restored["spec"]["template"]:
        assert restored["spec"]["template"]["metadata"] == {}
        restored["spec"]["template"].pop("metadata")
    assert restored == expected
    assert unwire_patch(restored) is None


@pytest.mark.parametrize(
    "odd", [{}, {"spec": None}, {"spec": {"template": None}}, {"spec": {"template": {"metadata": 3}}}]
)
def test_template_patches_tolerate_odd_deployments(odd: dict[str, Any]) -> None:
    assert wire_patch(odd, {keys.CONFIG_HASH: "x"}) is not None
    assert unwire_patch(odd) is None
    assert container_ports(odd) == {}


def service(ports: Any, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "s"}
    if annotations is not None:
        meta["annotations"] = annotations
    return {"metadata": meta, "spec": {"ports": ports}}


def test_rewire_numeric_named_and_default_target_ports() -> None:
    svc = service(
        [
            {"name": "http", "port": 80, "targetPort": 8080},
            {"name": "named", "port": 81, "targetPort": "web"},
            {"name": "default", "port": 8080},
            {"name": "metrics", "port": 9090, "targetPort": 9090},
        ]
    )
    rewire = rewire_patch(svc, model_port=8080, proxy_port=8008, named_ports={"web": 8080})
    assert rewire.matched == 3
    assert rewire.patch is not None
    wired = jsonpatch.apply_patch(svc, rewire.patch)
    assert [p.get("targetPort") for p in wired["spec"]["ports"]] == [8008, 8008, 8008, 9090]
    assert json.loads(wired["metadata"]["annotations"][keys.ORIGINAL_TARGET_PORTS]) == {
        "80": 8080,
        "81": "web",
        "8080": 8080,
    }
    again = rewire_patch(wired, model_port=8080, proxy_port=8008, named_ports={"web": 8080})
    assert again.patch is None
    assert again.matched == 3
    restore = restore_patch(wired, proxy_port=8008)
    assert restore is not None
    restored = jsonpatch.apply_patch(wired, restore)
    assert [p.get("targetPort") for p in restored["spec"]["ports"]] == [8080, "web", 8080, 9090]
    assert restored["metadata"] == {"name": "s"}
    assert restore_patch(restored, proxy_port=8008) is None


@pytest.mark.parametrize("ports", [None, [], "junk", [{"name": "x"}], [{"port": 443, "targetPort": 8443}]])
def test_services_without_matching_ports(ports: Any) -> None:
    rewire = rewire_patch(service(ports), model_port=8080, proxy_port=8008, named_ports={})
    assert rewire.matched == 0
    assert rewire.patch is None
    assert restore_patch(service(ports), proxy_port=8008) is None


def test_unreadable_annotation_is_ignored() -> None:
    svc = service([{"port": 80, "targetPort": 8080}], {keys.ORIGINAL_TARGET_PORTS: "{not json"})
    rewire = rewire_patch(svc, model_port=8080, proxy_port=8008, named_ports={})
    assert rewire.patch is not None
    wired = jsonpatch.apply_patch(svc, rewire.patch)
    assert json.loads(wired["metadata"]["annotations"][keys.ORIGINAL_TARGET_PORTS]) == {"80": 8080}


def test_concurrent_edit_makes_the_patch_fail() -> None:
    svc = service([{"port": 80, "targetPort": 8080}])
    rewire = rewire_patch(svc, model_port=8080, proxy_port=8008, named_ports={})
    svc["spec"]["ports"][0]["targetPort"] = 8081
    assert rewire.patch is not None
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        jsonpatch.apply_patch(svc, rewire.patch)


def test_webhook_configurations() -> None:
    client = {"url": "https://op.ns.svc:9443", "caBundle": "Q0E="}
    mutating = mutating_configuration("modelmonitor.io", client, timeout_seconds=5, operator_namespace="mm-system")
    hook = mutating["webhooks"][0]
    assert hook["failurePolicy"] == "Ignore"
    assert hook["timeoutSeconds"] == 5
    assert hook["clientConfig"] == {"url": "https://op.ns.svc:9443/inject", "caBundle": "Q0E="}
    assert hook["objectSelector"] == {"matchLabels": {keys.INJECT_LABEL: "true"}}
    assert "mm-system" in hook["namespaceSelector"]["matchExpressions"][0]["values"]
    validating = validating_configuration(
        "modelmonitor.io", {"service": {"name": "op", "namespace": "ns"}}, timeout_seconds=5
    )
    assert validating["webhooks"][0]["clientConfig"]["service"]["path"] == "/validate"
    assert validating["webhooks"][0]["rules"][0]["resources"] == ["modelmonitors"]


PROFILE = {"rows": 10, "features": [{"type": "categorical", "name": "c", "categories": ["a"], "counts": [9, 1]}]}


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({}, "no key 'profile.yaml'"),
        ({"profile.yaml": "a: [b"}, "not YAML"),
        ({"profile.yaml": yaml.safe_dump({"rows": -1, "features": []})}, "ref[profile.yaml].rows"),
    ],
)
def test_reference_problems_are_named(data: dict[str, str], named: str) -> None:
    with pytest.raises(ReferenceError, match="ref") as error:
        profile_from_config_map({"metadata": {"name": "ref"}, "data": data}, "profile.yaml")
    assert named in str(error.value)


def test_reference_profile_is_read() -> None:
    cm = {"metadata": {"name": "ref"}, "data": {"profile.yaml": yaml.safe_dump(PROFILE)}}
    assert profile_from_config_map(cm, "profile.yaml").features[0].name == "c"
