"""Creating or updating the operator's admission webhook configurations (cluster-scoped)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelmonitor.kube.client import KubeApi

PATHS = {
    "MutatingWebhookConfiguration": "/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations",
    "ValidatingWebhookConfiguration": "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
}


async def upsert(api: KubeApi, configuration: Mapping[str, Any]) -> bool:
    """Create the configuration, or merge-patch its webhooks when it differs; ``True`` if anything was written."""
    collection = PATHS[str(configuration["kind"])]
    name = configuration["metadata"]["name"]
    current = await api.get(f"{collection}/{name}")
    if current is None:
        await api.create(collection, configuration)
        return True
    if current.get("webhooks") == configuration["webhooks"]:
        return False
    await api.patch(f"{collection}/{name}", {"webhooks": configuration["webhooks"]})
    return True
