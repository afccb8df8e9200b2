"""The operator Deployment, its settings and the webhook plumbing as the chart renders them.

We test these aspects:
- pod security: non-root, read-only root filesystem, no privilege escalation, ALL capabilities dropped,
  RuntimeDefault seccomp, resources set; the only writable path is an in-memory /tmp (the self-signed
  certificate's temporary files);
- every ``MODELMONITOR_*`` variable the chart sets is an ``OperatorConfig`` setting, and the rendered
  environment loads into the expected config (namespaces, peering/standalone, webhook host and files,
  sidecar image and resources);
- the webhook Service port is the server's port and its DNS name is the webhook host; with cert-manager the
  Certificate names that host and its Secret is mounted where the cert and key settings point;
- values that cannot work together fail the render with a message naming them, and ``extraEnv`` cannot set a
  variable the chart sets (a duplicate env name breaks server-side apply).
"""

from __future__ import annotations

from typing import Any

import pytest

from modelmonitor.config import ENV_PREFIX, OperatorConfig
from tests.unit.chart.rendering import FULLNAME, NAMESPACE, NO_HELM, RenderError, find_helm, one, render

pytestmark = pytest.mark.skipif(find_helm() is None, reason=NO_HELM)

HOST = f"{FULLNAME}.{NAMESPACE}.svc"


def operator_container(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    deployment = one(render(values), "Deployment", FULLNAME)
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    return pod, container


def loaded_config(values: dict[str, Any]) -> OperatorConfig:
    """The config the operator would load from the rendered environment (downward API filled in)."""
    _, container = operator_container(values)
    environ = {}
    for var in container["env"]:
        if "value" in var:
            environ[var["name"]] = var["value"]
        elif var["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace":
            environ[var["name"]] = NAMESPACE
    return OperatorConfig.load(environ)


@pytest.mark.parametrize("values", [{}, {"webhooks": {"certManager": {"enabled": True}}}], ids=["self-signed", "cm"])
def test_pod_security(values: dict[str, Any]) -> None:
    pod, container = operator_container(values)
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] > 0
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert set(container["resources"]) == {"requests", "limits"}
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    writable = [m for m in container["volumeMounts"] if not m.get("readOnly")]
    assert writable == [{"name": "tmp", "mountPath": "/tmp"}]
    (tmp,) = [v for v in pod["volumes"] if v["name"] == "tmp"]
    assert tmp["emptyDir"]["medium"] == "Memory"


@pytest.mark.parametrize(
    "values",
    [{}, {"watchNamespaces": ["a"], "webhooks": {"enabled": False}}, {"webhooks": {"certManager": {"enabled": True}}}],
    ids=["defaults", "namespaced", "cert-manager"],
)
def test_every_variable_is_a_setting(values: dict[str, Any]) -> None:
    _, container = operator_container(values)
    settings = {ENV_PREFIX + name.upper() for name in OperatorConfig.model_fields}
    names = [var["name"] for var in container["env"]]
    assert len(names) == len(set(names))
    assert set(names) <= settings


def test_default_settings() -> None:
    config = loaded_config({})
    assert config.namespaces == ()
    assert config.standalone is True
    assert config.operator_namespace == NAMESPACE
    assert config.webhooks_enabled is True
    assert config.webhook_host == HOST
    assert config.webhook_certfile is None  # the operator makes its own certificate
    assert config.webhook_configuration == "modelmonitor.io"
    assert config.sidecar_image == "ghcr.io/model-monitor/modelmonitor-proxy:0.1.0"
    assert (config.sidecar_cpu_request, config.sidecar_memory_limit) == ("50m", "256Mi")
    assert (config.log_format, config.log_level, config.metrics_port) == ("json", "INFO", 8080)


def test_chosen_settings() -> None:
    values = {
        "watchNamespaces": ["ml-a", "ml-b"],
        "webhooks": {"enabled": False},
        "sidecar": {"image": {"tag": "9.9.9"}, "checkIntervalSeconds": 0, "resources": {"limits": {"cpu": 2}}},
        "retry": {"baseSeconds": 0.5, "maxSeconds": 30},
        "logging": {"format": "plain", "level": "DEBUG"},
    }
    config = loaded_config(values)
    assert config.namespaces == ("ml-a", "ml-b")
    assert config.webhooks_enabled is False
    assert config.sidecar_image.endswith(":9.9.9")
    assert config.sidecar_cpu_limit == "2"
    assert config.sidecar_check_interval == 0
    assert (config.retry_base_seconds, config.retry_max_seconds) == (0.5, 30)
    assert (config.log_format, config.log_level) == ("plain", "DEBUG")


def test_peering_replaces_standalone() -> None:
    config = loaded_config({"peering": {"enabled": True, "name": "mm-ha"}})
    assert (config.standalone, config.peering) == (False, "mm-ha")
    assert one(render({"peering": {"enabled": True, "name": "mm-ha"}}), "ClusterKopfPeering", "mm-ha")


def test_webhook_service_reaches_the_server() -> None:
    docs = render({"webhooks": {"port": 10443}})
    service = one(docs, "Service", FULLNAME)
    assert f"{service['metadata']['name']}.{service['metadata']['namespace']}.svc" == HOST
    (port,) = [p for p in service["spec"]["ports"] if p["name"] == "https-webhooks"]
    assert port["port"] == loaded_config({"webhooks": {"port": 10443}}).webhook_port == 10443
    _, container = operator_container({"webhooks": {"port": 10443}})
    assert {"name": "webhooks", "containerPort": 10443, "protocol": "TCP"} in container["ports"]
    deployment = one(docs, "Deployment", FULLNAME)
    assert service["spec"]["selector"].items() <= deployment["spec"]["template"]["metadata"]["labels"].items()


def test_cert_manager_certificate_is_mounted() -> None:
    values = {"webhooks": {"certManager": {"enabled": True}}}
    docs = render(values)
    certificate = one(docs, "Certificate")
    assert HOST in certificate["spec"]["dnsNames"]
    assert certificate["spec"]["issuerRef"]["name"] == one(docs, "Issuer")["metadata"]["name"]
    pod, container = operator_container(values)
    (volume,) = [v for v in pod["volumes"] if v.get("secret")]
    assert volume["secret"]["secretName"] == certificate["spec"]["secretName"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
    config = loaded_config(values)
    assert config.webhook_certfile == f"{mount['mountPath']}/tls.crt"
    assert config.webhook_pkeyfile == f"{mount['mountPath']}/tls.key"


def test_external_issuer_creates_no_issuer() -> None:
    issuer = {"kind": "ClusterIssuer", "name": "ca"}
    docs = render({"webhooks": {"certManager": {"enabled": True, "issuerRef": issuer}}})
    assert [d for d in docs if d["kind"] == "Issuer"] == []
    assert one(docs, "Certificate")["spec"]["issuerRef"] == {"kind": "ClusterIssuer", "name": "ca"}


@pytest.mark.parametrize(
    ("values", "named"),
    [
        ({"replicaCount": 2}, "peering.enabled"),
        ({"replicaCount": 2, "peering": {"enabled": True}}, "webhooks.certManager.enabled"),
        ({"peering": {"enabled": True}, "watchNamespaces": ["a"]}, "watchNamespaces"),
        ({"replicaCount": "2"}, "replicaCount"),
        ({"logging": {"level": "TRACE"}}, "level"),
        ({"unknownKey": 1}, "unknownKey"),
    ],
)
def test_impossible_values_fail(values: dict[str, Any], named: str) -> None:
    with pytest.raises(RenderError, match=named):
        render(values)


@pytest.mark.parametrize(
    "values",
    [{"webhooks": {"certManager": {"enabled": True}}}, {"watchNamespaces": ["a"]}, {"peering": {"enabled": True}}],
    ids=["cert-manager", "namespaced", "peering"],
)
def test_extra_env_cannot_shadow_a_chart_setting(values: dict[str, Any]) -> None:
    _, container = operator_container(values)
    for var in container["env"]:
        with pytest.raises(RenderError, match=f"extraEnv sets {var['name']}"):
            render({"extraEnv": [{"name": var["name"], "value": "x"}]})
    assert {"name": "MODELMONITOR_WEBHOOK_CADUMP", "value": "/tmp/ca.pem"} in operator_container(
        {"extraEnv": [{"name": "MODELMONITOR_WEBHOOK_CADUMP", "value": "/tmp/ca.pem"}]}
    )[1]["env"]


def test_helm_test_pod_checks_the_metrics_port() -> None:
    docs = render({})
    pod = one(docs, "Pod", f"{FULLNAME}-test-connection")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    (container,) = pod["spec"]["containers"]
    assert f"http://{FULLNAME}:8080/metrics" in container["args"][0]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert [d for d in render({"testFramework": {"enabled": False}}) if d["kind"] == "Pod"] == []
