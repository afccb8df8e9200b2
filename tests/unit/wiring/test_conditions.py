"""Conditions with Kubernetes semantics, and the minimal status patch.

We test these aspects:
- lastTransitionTime changes only when the status flips; message, reason and generation follow;
- other condition types are kept in order; garbage entries are dropped;
- phase: InvalidSpec -> Degraded, other not-ready -> Pending, ready -> Healthy, analysis phases kept;
- the status patch is empty when nothing changes (a restart writes nothing).
"""

from __future__ import annotations

import jsonpatch
import pytest

from modelmonitor.api.status import ConditionStatus, ConditionType
from modelmonitor.wiring.conditions import (
    Observation,
    changed_reasons,
    is_problem,
    merge_conditions,
    phase_of,
    status_json_patch,
    status_patch,
)

READY_TRUE = Observation(ConditionType.READY, ConditionStatus.TRUE, "Wired", "ok")
READY_FALSE = Observation(ConditionType.READY, ConditionStatus.FALSE, "TargetNotFound", "gone")


def test_transition_time_only_moves_on_flip() -> None:
    first = merge_conditions([], [READY_FALSE], generation=1, now="t1")
    same = merge_conditions(
        first, [Observation(ConditionType.READY, ConditionStatus.FALSE, "X", "y")], generation=2, now="t2"
    )
    assert same[0]["lastTransitionTime"] == "t1"
    assert (same[0]["reason"], same[0]["message"], same[0]["observedGeneration"]) == ("X", "y", 2)
    flipped = merge_conditions(same, [READY_TRUE], generation=2, now="t3")
    assert flipped[0]["lastTransitionTime"] == "t3"
    assert flipped[0]["status"] == "True"


def test_other_types_kept_and_garbage_dropped() -> None:
    current = [{"type": "Drifting", "status": "True", "reason": "FeatureDrift"}, "junk", {"no": "type"}]
    merged = merge_conditions(current, [READY_TRUE], generation=1, now="t")  # type: ignore[list-item]
    assert [c["type"] for c in merged] == ["Drifting", "Ready"]


@pytest.mark.parametrize(
    ("ready", "current", "expected"),
    [
        (None, None, "Pending"),
        ({"type": "Ready", "status": "False", "reason": "InvalidSpec"}, "Healthy", "Degraded"),
        ({"type": "Ready", "status": "False", "reason": "TargetNotFound"}, "Healthy", "Pending"),
        ({"type": "Ready", "status": "True", "reason": "Wired"}, "Pending", "Healthy"),
        ({"type": "Ready", "status": "True", "reason": "Wired"}, "Degraded", "Healthy"),
        ({"type": "Ready", "status": "True", "reason": "Wired"}, "Drifting", "Drifting"),
    ],
)
def test_phase(ready: dict[str, str] | None, current: str | None, expected: str) -> None:
    assert phase_of([ready] if ready else [], current) == expected


def test_status_patch_is_empty_when_nothing_changes() -> None:
    patch = status_patch({}, [READY_TRUE], generation=3, now="t1")
    assert set(patch) == {"conditions", "phase", "observedGeneration"}
    assert patch["phase"] == "Healthy"
    assert patch["observedGeneration"] == 3
    assert status_patch(patch, [READY_TRUE], generation=3, now="t2") == {}
    assert set(status_patch(patch, [READY_TRUE], generation=4, now="t2")) == {"conditions", "observedGeneration"}


def test_status_patch_tolerates_odd_status() -> None:
    patch = status_patch({"conditions": "oops", "phase": 3}, [READY_FALSE], generation=0, now="t")
    assert patch["conditions"][0]["reason"] == "TargetNotFound"


def test_observers_leave_observed_generation_alone() -> None:
    missing = Observation(ConditionType.SIDECAR_MISSING, ConditionStatus.TRUE, "PodsWithoutSidecar")
    patch = status_patch({"observedGeneration": 1}, [missing], generation=2, now="t", acted=False)
    assert "observedGeneration" not in patch


@pytest.mark.parametrize(
    ("observation", "problem"),
    [
        (READY_TRUE, False),
        (READY_FALSE, True),
        (Observation(ConditionType.SIDECAR_MISSING, ConditionStatus.TRUE, "PodsWithoutSidecar"), True),
        (Observation(ConditionType.SIDECAR_MISSING, ConditionStatus.FALSE, "AllInjected"), False),
        (Observation(ConditionType.DRIFTING, ConditionStatus.UNKNOWN, "InsufficientSamples"), False),
    ],
)
def test_event_type_follows_condition_polarity(observation: Observation, problem: bool) -> None:
    assert is_problem(observation) is problem


def test_status_json_patch_is_guarded_by_resource_version() -> None:
    obj = {"metadata": {"resourceVersion": "7"}, "status": {"phase": "Pending"}}
    patch = status_json_patch(obj, {"phase": "Healthy"})
    assert patch[0] == {"op": "test", "path": "/metadata/resourceVersion", "value": "7"}
    assert jsonpatch.apply_patch(obj, patch)["status"]["phase"] == "Healthy"
    moved = {"metadata": {"resourceVersion": "8"}, "status": {}}
    with pytest.raises(jsonpatch.JsonPatchTestFailed):
        jsonpatch.apply_patch(moved, patch)
    assert status_json_patch({"metadata": {}}, {"phase": "Healthy"}) == [
        {"op": "add", "path": "/status", "value": {"phase": "Healthy"}}
    ]


def test_changed_reasons() -> None:
    status = {"conditions": [{"type": "Ready", "reason": "Wired"}]}
    assert changed_reasons(status, [READY_TRUE, READY_FALSE]) == [READY_FALSE]
    assert changed_reasons(None, [READY_TRUE]) == [READY_TRUE]
