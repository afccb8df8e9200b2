"""Turning observations into status conditions and Events, shared by the ModelMonitor handlers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import kopf

from modelmonitor.handlers.context import OperatorContext
from modelmonitor.kube.status import write_conditions
from modelmonitor.wiring.conditions import Observation, is_problem


async def report(
    ctx: OperatorContext,
    body: kopf.Body,
    observations: Sequence[Observation],
    *,
    acted: bool = True,
) -> None:
    """Write the conditions (guarded by resourceVersion); post an Event for each reason that changed."""
    namespace = body.get("metadata", {}).get("namespace") or "default"
    name = body.get("metadata", {}).get("name") or ""
    changed = await write_conditions(
        ctx.api, namespace=namespace, name=name, observations=observations, now=ctx.now(), acted=acted
    )
    for observation in changed:
        kind = "Warning" if is_problem(observation) else "Normal"
        kopf.event(body, type=kind, reason=observation.reason, message=observation.message or observation.reason)


def post_actions(body: kopf.Body, actions: Iterable[tuple[str, str]]) -> None:
    """One Normal Event per write the operator made (``kopf.event``: ``kopf.info`` obeys the posting level)."""
    for reason, message in actions:
        kopf.event(body, type="Normal", reason=reason, message=message)
