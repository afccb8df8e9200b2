"""A timer per ModelMonitor counting opted-in pods that run without the sidecar (``SidecarMissing``).

The injection webhook fails open, so a pod can start unmonitored when the operator is down;
this is where that becomes visible.
"""

from __future__ import annotations

from typing import Any

import kopf

from modelmonitor.api.crd import GROUP, PLURAL, VERSION
from modelmonitor.handlers.context import OperatorContext
from modelmonitor.handlers.reporting import report
from modelmonitor.injection.audit import pods_missing_sidecar, sidecar_observation
from modelmonitor.kube.pods import opted_in_pods


def _is_ready(body: kopf.Body) -> bool:
    conditions = (body.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions if isinstance(c, dict))


def register(registry: kopf.OperatorRegistry, ctx: OperatorContext) -> None:
    @kopf.timer(
        GROUP,
        VERSION,
        PLURAL,
        id="sidecars",
        interval=ctx.config.sidecar_check_interval,
        initial_delay=min(5.0, ctx.config.sidecar_check_interval),
        registry=registry,
    )
    async def count_missing(body: kopf.Body, name: str, namespace: str | None, **_: Any) -> None:
        if not _is_ready(body) or namespace is None:
            return
        missing = pods_missing_sidecar(await opted_in_pods(ctx.api, namespace), name)
        ctx.metrics.pods_missing_sidecar.labels(namespace, name).set(len(missing))
        await report(ctx, body, [sidecar_observation(missing)], acted=False)
