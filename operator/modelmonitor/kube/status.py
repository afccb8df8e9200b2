"""Writing ModelMonitor conditions with optimistic concurrency (read, merge, test-and-patch, retry).

Kopf's handler patch is a merge patch computed from the body the handler started with; for the
shared ``status.conditions`` list that would let a slower writer put back a stale list. So
conditions are written here instead: fetch the object, merge the observations into its current
conditions, and send a JSON patch that ``test``s the resourceVersion; on a conflict, start over.
"""

from __future__ import annotations

from collections.abc import Sequence

from modelmonitor.api.crd import GROUP, PLURAL, VERSION
from modelmonitor.kube.client import KubeApi, KubeError
from modelmonitor.wiring.conditions import Observation, changed_reasons, status_json_patch, status_patch
from modelmonitor.wiring.shapes import mapping

CONFLICT = (409, 422)


def monitor_path(namespace: str, name: str) -> str:
    return f"/apis/{GROUP}/{VERSION}/namespaces/{namespace}/{PLURAL}/{name}"


async def write_conditions(
    api: KubeApi,
    *,
    namespace: str,
    name: str,
    observations: Sequence[Observation],
    now: str,
    acted: bool = True,
    attempts: int = 5,
) -> list[Observation]:
    """Merge ``observations`` into the monitor's status; return those whose reason changed (for Events).

    Nothing is written when the status already says it all; a vanished monitor is not an error.
    """
    path = monitor_path(namespace, name)
    for attempt in range(attempts):
        obj = await api.get(path)
        if obj is None:
            return []
        status = mapping(obj.get("status"))
        generation = int(mapping(obj.get("metadata")).get("generation") or 0)
        changes = status_patch(status, observations, generation=generation, now=now, acted=acted)
        if not changes:
            return []
        try:
            await api.patch(f"{path}/status", status_json_patch(obj, changes))
        except KubeError as error:
            if error.status in CONFLICT and attempt < attempts - 1:
                continue
            raise
        return changed_reasons(status, observations)
    return []
