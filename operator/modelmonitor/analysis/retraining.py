"""The retraining trigger, pure: when a breach has lasted ``spec.retraining.after``, start one Job per cooldown.

A *breach* is a drifting feature (after hysteresis) or a firing accuracy SLO. The trigger remembers when
the current breach started (``breached_since``), when it last created a Job, and how many it created;
the state is plain JSON kept with the analysis state, so a restart neither restarts the clock of a breach
nor creates a second Job inside the cooldown. With ``requireApproval`` the trigger waits for the
annotation ``modelmonitor.io/approve-retraining`` to carry a value not yet used for an approval (say a
ticket number), so one approval starts one Job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from modelmonitor.analysis.evaluate import AnalysisResult
from modelmonitor.api.durations import parse_duration
from modelmonitor.api.spec import Retraining, SliKind

APPROVAL_ANNOTATION = "modelmonitor.io/approve-retraining"

Action = Literal["none", "waiting", "cooldown", "awaiting-approval", "create"]


@dataclass(frozen=True, slots=True)
class RetrainingState:
    breached_since: float | None = None
    last_job_at: float | None = None
    jobs: int = 0
    used_approval: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "breachedSince": self.breached_since,
            "lastJobAt": self.last_job_at,
            "jobs": self.jobs,
            "usedApproval": self.used_approval,
        }

    @classmethod
    def from_json(cls, data: object) -> RetrainingState:
        if not isinstance(data, Mapping):
            return cls()

        def number(key: str) -> float | None:
            value = data.get(key)
            return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

        jobs = data.get("jobs")
        approval = data.get("usedApproval")
        return cls(
            number("breachedSince"),
            number("lastJobAt"),
            jobs if isinstance(jobs, int) and not isinstance(jobs, bool) and jobs >= 0 else 0,
            approval if isinstance(approval, str) else None,
        )


@dataclass(frozen=True, slots=True)
class RetrainingDecision:
    action: Action
    reason: str
    state: RetrainingState


def breach_reason(result: AnalysisResult) -> str | None:
    """Why retraining is warranted now (drifting features, burning accuracy SLO), or ``None``."""
    parts = []
    if result.drifting:
        parts.append("drifting: " + ", ".join(v.feature for v in result.drifting[:5]))
    for verdict in result.slos:
        if verdict.slo.sli is SliKind.ACCURACY and verdict.assessment.severity is not None:
            parts.append(verdict.message)
    return "; ".join(parts) or None


def decide(
    retraining: Retraining,
    state: RetrainingState,
    breach: str | None,
    now: float,
    approval: str | None = None,
) -> RetrainingDecision:
    """What to do this evaluation.

    >>> from modelmonitor.api.spec import Retraining
    >>> spec = Retraining(after="1h", cooldown="24h")
    >>> d = decide(spec, RetrainingState(), "drifting: x", now=0.0)
    >>> d.action, decide(spec, d.state, "drifting: x", now=3600.0).action
    ('waiting', 'create')
    """
    if breach is None:
        return RetrainingDecision("none", "no breach", replace(state, breached_since=None))
    since = state.breached_since if state.breached_since is not None else now
    state = replace(state, breached_since=since)
    after, cooldown = parse_duration(retraining.after), parse_duration(retraining.cooldown)
    if now - since < after:
        return RetrainingDecision("waiting", f"breached for {now - since:.0f}s of {after:.0f}s: {breach}", state)
    if state.last_job_at is not None and now - state.last_job_at < cooldown:
        left = cooldown - (now - state.last_job_at)
        return RetrainingDecision(
            "cooldown", f"last retraining Job {now - state.last_job_at:.0f}s ago ({left:.0f}s of cooldown left)", state
        )
    if retraining.require_approval and (not approval or approval == state.used_approval):
        return RetrainingDecision(
            "awaiting-approval", f"set annotation {APPROVAL_ANNOTATION} to approve: {breach}", state
        )
    created = replace(state, last_job_at=now, jobs=state.jobs + 1, used_approval=approval or state.used_approval)
    return RetrainingDecision("create", breach, created)


def job_manifest(
    retraining: Retraining, *, monitor: str, namespace: str, uid: str, now: float, reason: str
) -> dict[str, Any]:
    """A batch/v1 Job from ``jobTemplate``, named after the monitor and the time, owned by the monitor."""
    template = dict(retraining.job_template)
    metadata = dict(template.get("metadata") or {})
    labels = {
        **dict(metadata.get("labels") or {}),
        "app.kubernetes.io/managed-by": "model-monitor",
        "modelmonitor.io/monitor": monitor[:63],
    }
    annotations = {**dict(metadata.get("annotations") or {}), "modelmonitor.io/retraining-reason": reason[:1000]}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": f"{monitor[:40]}-retrain-{int(now)}",
            "namespace": namespace,
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [
                {"apiVersion": "modelmonitor.io/v1alpha1", "kind": "ModelMonitor", "name": monitor, "uid": uid}
            ],
        },
        "spec": dict(template.get("spec") or {}),
    }
