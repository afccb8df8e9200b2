"""The single-Deployment guard: bake every new revision, and put the previous one back on a breach.

Without ``spec.canary`` there is no baseline to compare with, so a new revision of the target
Deployment (a new pod template) is judged on its own SLO burn rate for a bake window. A breach
(``maxFailedChecks`` consecutive failed checks) patches the Deployment back to the last good
template, taken from the ReplicaSet history or the recorded ``lastGoodRevision``, and annotates
why. Insufficient traffic is never a breach. The state lives in ``status.canary`` with the same
:class:`RolloutState` as canary rollouts.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from modelmonitor.api.durations import format_duration, parse_duration
from modelmonitor.api.spec import Canary, Gates
from modelmonitor.api.status import ConditionStatus, ConditionType, Phase
from modelmonitor.rollout.actions import Action, EmitEvent, Notify, RestoreTemplate, RolloutDecision, SetCondition
from modelmonitor.rollout.gates import CohortObservation, Verdict, evaluate_guard, overall_verdict
from modelmonitor.rollout.state import RolloutPhase, RolloutState, format_time

_PHASES: dict[RolloutPhase, Phase | None] = {
    RolloutPhase.ROLLED_BACK: Phase.ROLLED_BACK,
    RolloutPhase.FROZEN: Phase.DEGRADED,
}


_Step = tuple[RolloutState, list[Action]]


def _default(name: str) -> str | int:
    default = Canary.model_fields[name].default
    assert isinstance(default, str | int)
    return default


@dataclass(frozen=True)
class GuardSettings:
    """How a new revision is watched; defaults are those of ``spec.canary`` (bake window 15m, ...)."""

    bake_window_seconds: float = parse_duration(str(_default("bake_window")))
    interval_seconds: float = parse_duration(str(_default("interval")))
    max_failed_checks: int = int(_default("max_failed_checks"))
    min_samples: int = int(_default("min_samples"))
    gates: Gates = field(default_factory=Gates)


@dataclass(frozen=True)
class GuardObservations:
    """What the I/O layer saw of the guarded Deployment this tick.

    ``previous_revision`` is the newest older template in the ReplicaSet history
    (:func:`modelmonitor.rollout.plan.previous_revision`), used when no last good revision is recorded.
    """

    revision: str
    previous_revision: str | None = None
    cohort: CohortObservation | None = None


def decide_guard(
    settings: GuardSettings, state: RolloutState, observations: GuardObservations, now: float
) -> RolloutDecision:
    """The guard's next state and actions.

    States used: ``Promoted`` (watching a good revision), ``Baking``, ``RolledBack`` and ``Frozen``
    (a breach with no previous template to restore).
    """
    next_state, actions = _step(settings, state, observations, now)
    return RolloutDecision(next_state, tuple(actions), _PHASES.get(next_state.state), ())


def _step(settings: GuardSettings, state: RolloutState, obs: GuardObservations, now: float) -> _Step:
    if state.revision is None:
        adopted = RolloutState(
            state=RolloutPhase.PROMOTED,
            revision=obs.revision,
            last_good_revision=obs.revision,
            message=f"watching revision {obs.revision}; new revisions bake for "
            f"{format_duration(settings.bake_window_seconds)} before they count as good",
        )
        return adopted, []
    if state.state is RolloutPhase.ROLLED_BACK:
        return _after_rollback(settings, state, obs, now)
    if obs.revision != state.revision:
        if obs.revision == state.last_good_revision:
            message = f"revision {obs.revision} (last good) is back; {state.revision} is no longer guarded"
            next_state = state.evolve(
                state=RolloutPhase.PROMOTED, revision=obs.revision, bake_until=None, failed_checks=0, message=message
            )
            return next_state, [EmitEvent("GuardReverted", message)]
        return _start_bake(settings, state, obs, now, f"new revision {obs.revision} of the Deployment")
    if state.state is RolloutPhase.BAKING:
        return _bake(settings, state, obs, now)
    return state, []


def _start_bake(
    settings: GuardSettings, state: RolloutState, obs: GuardObservations, now: float, headline: str
) -> _Step:
    previous = state.last_good_revision or obs.previous_revision
    bake_until = now + settings.bake_window_seconds
    fallback = (
        f"a breach restores revision {previous}" if previous else "no previous revision known: a breach only alerts"
    )
    message = f"{headline}: baking until {format_time(bake_until)}; {fallback}"
    next_state = RolloutState(
        state=RolloutPhase.BAKING,
        revision=obs.revision,
        stable_revision=previous,
        last_good_revision=state.last_good_revision,
        step_started_at=now,
        bake_until=bake_until,
        rolled_back_from=state.rolled_back_from,
        message=message,
    )
    return next_state, [EmitEvent("GuardBaking", message)]


def _bake(settings: GuardSettings, state: RolloutState, obs: GuardObservations, now: float) -> _Step:
    started = state.last_check_at if state.last_check_at is not None else state.step_started_at
    bake_until = state.bake_until if state.bake_until is not None else now
    if started is not None and now < started + settings.interval_seconds and now < bake_until:
        return state, []
    cohort = obs.cohort or CohortObservation(requests=0)
    results = evaluate_guard(settings.gates, cohort, min_samples=settings.min_samples)
    verdict = overall_verdict(results)
    if verdict is Verdict.FAIL:
        failing = [r for r in results if r.verdict is Verdict.FAIL]
        failed = state.failed_checks + 1
        summary = "; ".join(r.message for r in failing)
        state = state.evolve(failed_checks=failed, last_check_at=now, reason=failing[0].to_reason())
        if failed < settings.max_failed_checks:
            message = (
                f"bake check {failed}/{settings.max_failed_checks} failed for revision {state.revision}: {summary}"
            )
            return state.evolve(message=message), [EmitEvent("BakeCheckFailed", message, warning=True)]
        return _breach(state, f"revision {state.revision} breached the guard {failed} times: {summary}")
    if now >= bake_until:
        window = format_duration(settings.bake_window_seconds)
        message = f"revision {state.revision} baked for {window} ({results[0].samples} requests)"
        next_state = state.evolve(
            state=RolloutPhase.PROMOTED,
            last_good_revision=state.revision,
            failed_checks=0,
            bake_until=None,
            reason=None,
            message=message,
        )
        return next_state, [EmitEvent("RevisionBaked", message)]
    failed = 0 if verdict is Verdict.PASS else state.failed_checks
    next_state = state.evolve(last_check_at=now, failed_checks=failed)
    return next_state, []


def _breach(state: RolloutState, message: str) -> _Step:
    reason = {**(state.reason or {}), "failedChecks": state.failed_checks}
    bad = state.revision or "unknown"
    if state.stable_revision is None:
        text = f"{message}; no previous revision is known, nothing restored"
        next_state = state.evolve(state=RolloutPhase.FROZEN, bake_until=None, reason=reason, message=text)
        actions: list[Action] = [
            SetCondition(ConditionType.ROLLED_BACK, ConditionStatus.FALSE, "NoPreviousRevision", text),
            EmitEvent("GuardBreached", text, warning=True),
            Notify("page", f"revision {bad} breached its guard and cannot be rolled back", reason),
        ]
        return next_state, actions
    text = f"{message}; restored revision {state.stable_revision}; apply a new pod template to try again"
    next_state = state.evolve(
        state=RolloutPhase.ROLLED_BACK,
        rolled_back_from=bad,
        bake_until=None,
        reason=reason,
        message=text,
    )
    actions = [
        RestoreTemplate(state.stable_revision, bad, text),
        SetCondition(ConditionType.ROLLED_BACK, ConditionStatus.TRUE, "GuardBreached", text),
        EmitEvent("RolledBack", text, warning=True),
        Notify("page", f"revision {bad} rolled back to {state.stable_revision}", reason),
    ]
    return next_state, actions


def _after_rollback(settings: GuardSettings, state: RolloutState, obs: GuardObservations, now: float) -> _Step:
    if obs.revision in (state.stable_revision, state.last_good_revision):
        return state, []  # the restore landed
    if obs.revision == state.rolled_back_from:
        # Still the bad template: either the informer cache has not seen our restore yet (give it
        # one interval), or someone re-applied it, which deserves a new bake rather than no watch.
        rolled_back_at = state.last_check_at if state.last_check_at is not None else now
        if now < rolled_back_at + settings.interval_seconds:
            return state, []
        return _start_bake(settings, state, obs, now, f"revision {obs.revision} re-applied after its rollback")
    return _start_bake(
        settings, state, obs, now, f"new revision {obs.revision} after rollback of {state.rolled_back_from}"
    )
