"""The ``ModelMonitor`` status: what on-call reads with ``kubectl get mm`` and ``kubectl describe mm``.

Conditions follow the Kubernetes convention (type, status, reason, message, lastTransitionTime,
observedGeneration); reasons are stable CamelCase words that runbooks can be keyed on.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class StatusModel(BaseModel):
    """Base of the status models: camelCase, and tolerant of fields written by newer operators."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class Phase(StrEnum):
    """The one-word summary of a monitored model."""

    PENDING = "Pending"
    """The spec was accepted and wiring is in progress (or the target is missing)."""
    HEALTHY = "Healthy"
    """No SLO is burning and no feature is drifting."""
    DEGRADED = "Degraded"
    """An SLO burns its error budget, or the spec is invalid."""
    DRIFTING = "Drifting"
    """At least one feature or the prediction distribution drifted from the reference."""
    PROGRESSING = "Progressing"
    """A canary rollout is walking its steps."""
    PROMOTED = "Promoted"
    """The canary was promoted; the post-promotion guard is watching."""
    ROLLED_BACK = "RolledBack"
    """The canary or a new revision failed its gates and was rolled back."""


class ConditionStatus(StrEnum):
    """The status of a condition, as Kubernetes spells it."""

    TRUE = "True"
    FALSE = "False"
    UNKNOWN = "Unknown"


class ConditionType(StrEnum):
    """The condition types this operator writes."""

    READY = "Ready"
    DRIFTING = "Drifting"
    BUDGET_BURNING = "BudgetBurning"
    DATA_QUALITY = "DataQuality"
    AWAITING_GROUND_TRUTH = "AwaitingGroundTruth"
    SIDECAR_MISSING = "SidecarMissing"
    CANARY_PROGRESSING = "CanaryProgressing"
    ROLLED_BACK = "RolledBack"


class Condition(StatusModel):
    """One observation of the monitored model, in the Kubernetes condition shape."""

    type: str = Field(description="Condition type, e.g. Ready, Drifting, BudgetBurning.")
    status: ConditionStatus = Field(description="True, False or Unknown.")
    reason: str = Field(pattern=r"^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$", description="CamelCase reason.")
    message: str = Field(default="", description="Human-readable detail for on-call.")
    last_transition_time: str = Field(description="RFC 3339 time the status last changed.")
    observed_generation: int = Field(default=0, ge=0, description="Spec generation this was computed for.")


class FeatureDrift(StatusModel):
    """The drift score of one feature, as shown in status."""

    feature: str = Field(description="Feature name, or 'prediction'.")
    method: str = Field(description="Drift statistic.")
    score: float = Field(description="The statistic's value.")
    threshold: float = Field(description="Threshold the score was compared with.")
    samples: int = Field(default=0, ge=0, description="Samples in the current window.")


class SloStatus(StatusModel):
    """The state of one SLO."""

    name: str = Field(description="SLO name.")
    burn_rate: float | None = Field(default=None, description="Worst burn rate over the alerting windows.")
    window: str | None = Field(default=None, description="Window of the worst burn rate.")
    budget_remaining: float | None = Field(default=None, description="Fraction of the error budget left.")
    severity: str | None = Field(default=None, description="page, ticket, or empty when not burning.")


class CanaryStatus(StatusModel):
    """Where a canary rollout stands."""

    state: str = Field(
        default="Idle",
        description="Idle, Progressing, Holding, Paused, Stalled, Promoting, Baking, Promoted, RolledBack or Frozen.",
    )
    step: int = Field(default=0, ge=0, description="Index of the current step.")
    weight: int = Field(default=0, ge=0, le=100, description="Canary share of replicas, in percent.")
    failed_checks: int = Field(default=0, ge=0, description="Consecutive failed checks.")
    revision: str | None = Field(default=None, description="Hash of the canary pod template being rolled out.")
    last_good_revision: str | None = Field(default=None, description="Hash of the last promoted pod template.")
    message: str | None = Field(default=None, description="Why the rollout is where it is.")
    stable_revision: str | None = Field(
        default=None, description="Stable pod template the rollout started from; restored on a bake breach."
    )
    rolled_back_from: str | None = Field(default=None, description="Revision that was rolled back.")
    total_replicas: int | None = Field(default=None, ge=0, description="Stable replicas when the rollout started.")
    step_started_at: str | None = Field(default=None, description="RFC 3339 start of the current step or promotion.")
    last_check_at: str | None = Field(default=None, description="RFC 3339 time of the last judged check.")
    holding_since: str | None = Field(default=None, description="RFC 3339 time the step began waiting for evidence.")
    bake_until: str | None = Field(default=None, description="RFC 3339 end of the post-promotion bake window.")
    reason: dict[str, Any] | None = Field(
        default=None, description="Why it failed: gate, value, threshold, samples, window, failedChecks, message."
    )
    handled_abort: str | None = Field(default=None, description="Last modelmonitor.io/abort value acted on.")
    handled_promote: str | None = Field(default=None, description="Last modelmonitor.io/promote value acted on.")
    overdue: bool = Field(default=False, description="The promotion passed its progress deadline.")


class ModelMonitorStatus(StatusModel):
    """What the operator observed and did."""

    phase: Phase = Field(default=Phase.PENDING, description="One-word summary.")
    observed_generation: int = Field(default=0, ge=0, description="Last spec generation acted on.")
    conditions: list[Condition] = Field(default_factory=list, description="Kubernetes-style conditions.")
    drift_summary: str | None = Field(default=None, description="Drifting features over watched, e.g. '2/20'.")
    top_drift: list[FeatureDrift] = Field(default_factory=list, description="Highest drift scores.")
    worst_burn_rate: str | None = Field(default=None, description="Worst SLO burn rate, formatted.")
    slos: list[SloStatus] = Field(default_factory=list, description="Per-SLO burn rates and budgets.")
    canary: CanaryStatus | None = Field(default=None, description="Canary rollout state.")
    canary_weight: str | None = Field(default=None, description="Canary weight as shown by kubectl, e.g. '25%'.")
    pods: int | None = Field(default=None, ge=0, description="Pods whose sidecars were read last time.")
    runbook: str | None = Field(default=None, description="Link to the on-call runbook.")
    last_analysis_time: str | None = Field(default=None, description="RFC 3339 time of the last evaluation.")
    kopf: dict[str, Any] | None = Field(default=None, description="Handler progress kept by the operator framework.")
