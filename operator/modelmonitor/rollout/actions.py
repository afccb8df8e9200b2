"""The typed actions a rollout decision asks the I/O layer to carry out, and the decision itself.

Actions are absolute (``ScaleCanary(3)``, never "add one replica"), so replaying one after a crash
is harmless. The I/O layer applies patch actions in order, then events, conditions and
notifications, and writes the new state to status last: a crash in between replays the same
absolute patches, never loses one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modelmonitor.api.status import ConditionStatus, Phase
from modelmonitor.rollout.gates import GateResult
from modelmonitor.rollout.state import RolloutState


@dataclass(frozen=True)
class ScaleCanary:
    """Set the canary Deployment's ``spec.replicas``."""

    replicas: int


@dataclass(frozen=True)
class ScaleStable:
    """Set the stable Deployment's ``spec.replicas``."""

    replicas: int


@dataclass(frozen=True)
class PromoteTemplate:
    """Copy the canary's pod template (revision ``from_revision``) into the stable Deployment."""

    from_revision: str


@dataclass(frozen=True)
class RestoreTemplate:
    """Put the pod template of ``revision`` back into the stable (or guarded) Deployment.

    The template comes from the ReplicaSet history (see :func:`modelmonitor.rollout.plan.find_template`);
    ``reason`` and ``rolled_back_from`` are recorded as Deployment annotations.
    """

    revision: str
    rolled_back_from: str
    reason: str


@dataclass(frozen=True)
class EmitEvent:
    """A Kubernetes Event on the ModelMonitor (``warning`` selects type Warning over Normal)."""

    reason: str
    message: str
    warning: bool = False


@dataclass(frozen=True)
class SetCondition:
    """Set one status condition; the I/O layer adds lastTransitionTime and observedGeneration."""

    type: str
    status: ConditionStatus
    reason: str
    message: str


@dataclass(frozen=True)
class Notify:
    """An alert notification (``severity`` is ``page``, ``ticket`` or ``info``)."""

    severity: str
    summary: str
    details: Mapping[str, Any] = field(default_factory=dict)


Action = ScaleCanary | ScaleStable | PromoteTemplate | RestoreTemplate | EmitEvent | SetCondition | Notify

PATCH_ACTIONS: tuple[type, ...] = (ScaleCanary, ScaleStable, PromoteTemplate, RestoreTemplate)
"""Actions that change a Deployment; a dry run drops them."""


@dataclass(frozen=True)
class RolloutDecision:
    """The next state, what to do to get there, and the phase the rollout implies (None: no opinion)."""

    state: RolloutState
    actions: tuple[Action, ...] = ()
    phase: Phase | None = None
    gate_results: tuple[GateResult, ...] = ()

    @property
    def patches(self) -> tuple[Action, ...]:
        """The actions that change a Deployment, in the order they must be applied."""
        return tuple(a for a in self.actions if isinstance(a, PATCH_ACTIONS))
