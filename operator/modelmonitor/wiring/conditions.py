"""Kubernetes-style conditions and the status patch built from them.

``lastTransitionTime`` changes only when a condition's status flips, as ``kubectl wait`` and
``meta.SetStatusCondition`` expect; the status patch holds only what differs from the current
status, so an operator restart that recomputes the same conditions writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from modelmonitor.api.status import Condition, ConditionStatus, ConditionType, Phase
from modelmonitor.wiring.shapes import mapping


@dataclass(frozen=True)
class Observation:
    """A condition as a handler observed it; the time and generation are stamped when it is merged."""

    type: ConditionType
    status: ConditionStatus
    reason: str
    message: str = ""


PROBLEM_WHEN_TRUE = frozenset(
    {
        ConditionType.DRIFTING,
        ConditionType.BUDGET_BURNING,
        ConditionType.SIDECAR_MISSING,
        ConditionType.ROLLED_BACK,
    }
)
"""Condition types that signal trouble when True (for the rest, such as Ready, False is trouble)."""


def is_problem(observation: Observation) -> bool:
    """Whether ``observation`` deserves a Warning Event rather than a Normal one."""
    if observation.status is ConditionStatus.UNKNOWN:
        return False
    troubled_when = ConditionStatus.TRUE if observation.type in PROBLEM_WHEN_TRUE else ConditionStatus.FALSE
    return observation.status is troubled_when


def merge_conditions(
    current: Sequence[Mapping[str, Any]] | None,
    observations: Iterable[Observation],
    *,
    generation: int,
    now: str,
) -> list[dict[str, Any]]:
    """Apply ``observations`` to ``current`` conditions (other types are kept, in order).

    >>> first = merge_conditions([], [Observation(ConditionType.READY, ConditionStatus.TRUE, "Wired")],
    ...                          generation=1, now="t1")
    >>> again = merge_conditions(first, [Observation(ConditionType.READY, ConditionStatus.TRUE, "Wired", "x")],
    ...                          generation=2, now="t2")
    >>> again[0]["lastTransitionTime"], again[0]["observedGeneration"], again[0]["message"]
    ('t1', 2, 'x')
    """
    merged: list[dict[str, Any]] = [dict(c) for c in (current or []) if isinstance(c, Mapping) and "type" in c]
    for observation in observations:
        index = next((i for i, c in enumerate(merged) if c.get("type") == observation.type.value), None)
        previous = merged[index] if index is not None else None
        unchanged = previous is not None and previous.get("status") == observation.status.value
        condition = Condition(
            type=observation.type.value,
            status=observation.status,
            reason=observation.reason,
            message=observation.message,
            last_transition_time=str(previous.get("lastTransitionTime") or now) if unchanged and previous else now,
            observed_generation=generation,
        ).model_dump(by_alias=True, mode="json")
        if index is None:
            merged.append(condition)
        else:
            merged[index] = condition
    return merged


def phase_of(conditions: Sequence[Mapping[str, Any]], current: str | None) -> str:
    """The phase implied by the wiring conditions; analysis phases (Drifting...) are kept while Ready.

    Not ready (invalid spec, missing target) is Degraded or Pending; ready keeps any phase the
    analysis loop set, and turns Pending into Healthy.
    """
    ready = next((c for c in conditions if c.get("type") == ConditionType.READY.value), None)
    if ready is None or ready.get("status") != ConditionStatus.TRUE.value:
        reason = (ready or {}).get("reason")
        return Phase.DEGRADED.value if reason == "InvalidSpec" else Phase.PENDING.value
    if current in (None, Phase.PENDING.value, Phase.DEGRADED.value):
        return Phase.HEALTHY.value
    return str(current)


def status_patch(
    status: Mapping[str, Any] | None,
    observations: Iterable[Observation],
    *,
    generation: int,
    now: str,
    acted: bool = True,
) -> dict[str, Any]:
    """The keys of ``status`` that must change (conditions, phase, observedGeneration); empty if none.

    ``acted`` says the caller acted on this spec generation (the wiring handler); observers such
    as the sidecar count leave ``status.observedGeneration`` to it.
    """
    status = status or {}
    current_conditions = status.get("conditions") if isinstance(status.get("conditions"), list) else []
    conditions = merge_conditions(current_conditions, observations, generation=generation, now=now)
    wanted: dict[str, Any] = {"conditions": conditions, "phase": phase_of(conditions, status.get("phase"))}
    if acted:
        wanted["observedGeneration"] = generation
    return {key: value for key, value in wanted.items() if status.get(key) != value}


def status_json_patch(obj: Mapping[str, Any], changes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A JSON patch writing ``changes`` into ``obj``'s status, guarded by its resourceVersion.

    Conditions are one list shared by several writers (the wiring handler, the sidecar count, the
    analysis loop); a merge patch would replace the list with a stale copy. The ``test`` makes a
    concurrent write fail with 409/422 instead, and the caller re-reads and retries.
    """
    meta = mapping(obj.get("metadata"))
    ops: list[dict[str, Any]] = []
    if meta.get("resourceVersion") is not None:
        ops.append({"op": "test", "path": "/metadata/resourceVersion", "value": meta["resourceVersion"]})
    if not isinstance(obj.get("status"), Mapping):
        ops.append({"op": "add", "path": "/status", "value": dict(changes)})
        return ops
    ops.extend({"op": "add", "path": f"/status/{key}", "value": value} for key, value in changes.items())
    return ops


def changed_reasons(status: Mapping[str, Any] | None, observations: Iterable[Observation]) -> list[Observation]:
    """The observations whose reason differs from the one currently in ``status`` (worth an Event)."""
    current = (status or {}).get("conditions")
    before = {c.get("type"): c.get("reason") for c in current or [] if isinstance(c, Mapping)}
    return [o for o in observations if before.get(o.type.value) != o.reason]
