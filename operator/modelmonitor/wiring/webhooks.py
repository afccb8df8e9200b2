"""The admission webhook configurations the operator registers for itself.

Kopf can manage these, but it hard-codes ``timeoutSeconds: 30`` and cannot express that pod
injection must fail open: monitoring must never block a model from starting. So the operator
builds them here (``failurePolicy: Ignore``, a short timeout, the inject label as
``objectSelector``, system namespaces excluded) from the client config Kopf's server reports.
Pods that start without the sidecar are counted in the ``SidecarMissing`` condition instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelmonitor.api.crd import GROUP, PLURAL, VERSION
from modelmonitor.wiring import keys

INJECT_WEBHOOK_ID = "inject"
VALIDATE_WEBHOOK_ID = "validate"
SYSTEM_NAMESPACES = ("kube-system", "kube-public", "kube-node-lease")


def _client_config(client_config: Mapping[str, Any], handler_id: str) -> dict[str, Any]:
    """Kopf's convention: each handler is served at ``<root>/<handler id>``."""
    config = dict(client_config)
    if "url" in config:
        config["url"] = f"{str(config['url']).rstrip('/')}/{handler_id}"
    if isinstance(config.get("service"), Mapping):
        service = dict(config["service"])
        service["path"] = f"{str(service.get('path') or '').rstrip('/')}/{handler_id}"
        config["service"] = service
    return config


def _namespace_selector(namespace: str | None) -> dict[str, Any]:
    excluded = [*SYSTEM_NAMESPACES, *([namespace] if namespace else [])]
    return {"matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn", "values": excluded}]}


def mutating_configuration(
    name: str, client_config: Mapping[str, Any], *, timeout_seconds: int, operator_namespace: str | None
) -> dict[str, Any]:
    """The MutatingWebhookConfiguration injecting the sidecar into opted-in pods."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "MutatingWebhookConfiguration",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "model-monitor"}},
        "webhooks": [
            {
                "name": f"{INJECT_WEBHOOK_ID}.{name}",
                "admissionReviewVersions": ["v1"],
                "clientConfig": _client_config(client_config, INJECT_WEBHOOK_ID),
                "rules": [
                    {
                        "apiGroups": [""],
                        "apiVersions": ["v1"],
                        "resources": ["pods"],
                        "operations": ["CREATE"],
                        "scope": "Namespaced",
                    }
                ],
                "objectSelector": {"matchLabels": {keys.INJECT_LABEL: keys.INJECT_VALUE}},
                "namespaceSelector": _namespace_selector(operator_namespace),
                "failurePolicy": "Ignore",
                "sideEffects": "None",
                "matchPolicy": "Equivalent",
                "reinvocationPolicy": "Never",
                "timeoutSeconds": timeout_seconds,
            }
        ],
    }


def validating_configuration(name: str, client_config: Mapping[str, Any], *, timeout_seconds: int) -> dict[str, Any]:
    """The ValidatingWebhookConfiguration rejecting invalid ModelMonitor specs at apply time.

    It fails open too: the operator validates every spec again and reports ``InvalidSpec``.
    """
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "model-monitor"}},
        "webhooks": [
            {
                "name": f"{VALIDATE_WEBHOOK_ID}.{name}",
                "admissionReviewVersions": ["v1"],
                "clientConfig": _client_config(client_config, VALIDATE_WEBHOOK_ID),
                "rules": [
                    {
                        "apiGroups": [GROUP],
                        "apiVersions": [VERSION],
                        "resources": [PLURAL],
                        "operations": ["CREATE", "UPDATE"],
                        "scope": "Namespaced",
                    }
                ],
                "failurePolicy": "Ignore",
                "sideEffects": "None",
                "matchPolicy": "Equivalent",
                "timeoutSeconds": timeout_seconds,
            }
        ],
    }
