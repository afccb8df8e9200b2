"""What an update leaves behind: the old Deployment or Service when the target changed.

Only the parts that changed are handed to the undo, so renaming the Service does not strip and
re-add the Deployment's label (which would roll the pods twice).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.wiring.shapes import dig


def abandoned_target(old_raw_spec: Mapping[str, Any] | None, new: ModelMonitorSpec) -> dict[str, Any] | None:
    """A raw spec naming only the old Deployment/Service no longer targeted (``None`` when nothing was left).

    >>> new = ModelMonitorSpec.model_validate({"target": {"deployment": "b", "service": "s"}})
    >>> abandoned_target({"target": {"deployment": "a", "service": "s"}}, new)
    {'target': {'deployment': 'a'}, 'sidecar': {'port': 8008}}
    """
    old_target = dig(old_raw_spec, "target")
    target: dict[str, Any] = {}
    old_deployment, old_service = old_target.get("deployment"), old_target.get("service")
    if isinstance(old_deployment, str) and old_deployment != new.target.deployment:
        target["deployment"] = old_deployment
    if isinstance(old_service, str) and old_service != new.target.service:
        target["service"] = old_service
    if not target:
        return None
    old_port = dig(old_raw_spec, "sidecar").get("port")
    return {"target": target, "sidecar": {"port": old_port if isinstance(old_port, int) else new.sidecar.port}}
