"""Reading the pods of a monitored Deployment (for the SidecarMissing count)."""

from __future__ import annotations

from typing import Any

from modelmonitor.kube.client import KubeApi
from modelmonitor.wiring import keys


async def opted_in_pods(api: KubeApi, namespace: str) -> list[dict[str, Any]]:
    """Pods of ``namespace`` carrying the inject label (callers filter again: not every server filters)."""
    return await api.list(
        f"/api/v1/namespaces/{namespace}/pods", label_selector=f"{keys.INJECT_LABEL}={keys.INJECT_VALUE}"
    )
