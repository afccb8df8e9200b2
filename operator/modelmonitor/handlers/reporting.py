"""Turning observations into a status patch and Events, shared by the ModelMonitor handlers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import kopf

from modelmonitor.wiring.conditions import Observation, is_problem, status_patch
from modelmonitor.wiring.shapes import mapping


def report(
    body: kopf.Body, patch: kopf.Patch, observations: Iterable[Observation], now: str, *, acted: bool = True
) -> None:
    """Put the changed status keys into ``patch``; post an Event for each condition whose reason changed."""
    observations = list(observations)
    status = mapping(body.get("status"))
    generation = int(mapping(body.get("metadata")).get("generation") or 0)
    changes = status_patch(status, observations, generation=generation, now=now, acted=acted)
    patch.status.update(changes)
    before = {c.get("type"): c.get("reason") for c in status.get("conditions") or [] if isinstance(c, Mapping)}
    for observation in observations:
        if before.get(observation.type.value) != observation.reason:
            kind = "Warning" if is_problem(observation) else "Normal"
            kopf.event(body, type=kind, reason=observation.reason, message=observation.message or observation.reason)


def post_actions(body: kopf.Body, actions: Iterable[tuple[str, str]]) -> None:
    """One Normal Event per write the operator made (``kopf.event``: ``kopf.info`` obeys the posting level)."""
    for reason, message in actions:
        kopf.event(body, type="Normal", reason=reason, message=message)
