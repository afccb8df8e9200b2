"""The canary rollout state machine: ``decide(spec, state, observations, now) -> decision``.

Pure and deterministic: the same inputs give the same decision, and actions come only from
state *transitions*. Re-deciding from the state a decision produced, with the same observations
and time (an operator restart between the patch and the status write, or a second tick), yields
no action. See docs/rollouts.md for the diagram.

Rules that matter to on-call:

- a step is judged once per ``interval``; failures count *consecutively* (a pass resets them);
- insufficient evidence holds the step (``Holding``) and is never a failure; past the progress
  deadline the rollout is ``Stalled`` (an alert, a clear status), still re-judged, never rolled back;
- a failure under ``failurePolicy: rollback`` scales the canary to 0 and restores the stable
  replicas; under ``freeze`` replicas are held for a human; the reason names gate, value,
  threshold, samples and window; a new canary pod template starts a new rollout;
- a final step of 100 is the promotion itself (the stable Deployment takes the canary's template),
  so every judged step keeps a stable baseline to compare against;
- after promotion the version bakes; a breach restores the stable template it replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from modelmonitor.api.durations import parse_duration
from modelmonitor.api.spec import Canary, FailurePolicy
from modelmonitor.api.status import ConditionStatus, ConditionType, Phase
from modelmonitor.rollout.actions import (
    PATCH_ACTIONS,
    Action,
    EmitEvent,
    Notify,
    PromoteTemplate,
    RestoreTemplate,
    RolloutDecision,
    ScaleCanary,
    ScaleStable,
    SetCondition,
)
from modelmonitor.rollout.gates import (
    DEFAULT_MIN_LABELS,
    CohortObservation,
    GateResult,
    Verdict,
    evaluate_gates,
    evaluate_guard,
    overall_verdict,
)
from modelmonitor.rollout.state import ACTIVE_PHASES, RolloutPhase, RolloutState, format_time

DRY_RUN_PREFIX = "[dry-run] "

_PHASES: dict[RolloutPhase, Phase | None] = {
    RolloutPhase.IDLE: None,
    RolloutPhase.PROGRESSING: Phase.PROGRESSING,
    RolloutPhase.HOLDING: Phase.PROGRESSING,
    RolloutPhase.PAUSED: Phase.PROGRESSING,
    RolloutPhase.STALLED: Phase.PROGRESSING,
    RolloutPhase.PROMOTING: Phase.PROGRESSING,
    RolloutPhase.BAKING: Phase.PROMOTED,
    RolloutPhase.PROMOTED: None,
    RolloutPhase.ROLLED_BACK: Phase.ROLLED_BACK,
    RolloutPhase.FROZEN: Phase.DEGRADED,
}


@dataclass(frozen=True)
class RolloutObservations:
    """What the I/O layer saw this tick.

    Parameters
    ----------
    canary_revision, stable_revision
        Hashes of the pod templates (:func:`modelmonitor.rollout.plan.template_revision`);
        ``canary_revision`` is None when the canary Deployment does not exist.
    stable_replicas, canary_replicas
        Their ``spec.replicas``.
    stable_rolled_out
        Whether the stable Deployment finished rolling out its current template.
    canary, stable
        Cohort observations over the analysis window (None: nothing measured).
    promote_request, abort_request
        Values of the ``modelmonitor.io/promote`` and ``modelmonitor.io/abort`` annotations; each
        distinct value is acted on once.
    """

    canary_revision: str | None
    stable_revision: str
    stable_replicas: int
    canary_replicas: int = 0
    stable_rolled_out: bool = True
    canary: CohortObservation | None = None
    stable: CohortObservation | None = None
    promote_request: str | None = None
    abort_request: str | None = None


def split_replicas(total: int, weight: int) -> tuple[int, int]:
    """Canary and stable replicas for a canary share of ``weight`` percent of ``total`` replicas.

    The canary gets ``total * weight / 100`` rounded half up, clamped so that each side keeps at
    least one replica while ``weight < 100``: the canary must serve to be judged and the stable
    version must serve to be a baseline. With ``total == 1`` that means surging to 1 + 1.
    ``weight == 100`` gives everything to the canary; ``total == 0`` gives nothing to anyone.

    >>> split_replicas(10, 25)
    (3, 7)
    >>> split_replicas(4, 10)
    (1, 3)
    >>> split_replicas(1, 50)
    (1, 1)
    """
    if total < 0:
        raise ValueError(f"total replicas must be >= 0, got {total}")
    if not 0 <= weight <= 100:
        raise ValueError(f"weight must be within [0, 100], got {weight}")
    if total == 0 or weight == 0:
        return 0, total
    if weight == 100:
        return total, 0
    if total == 1:
        return 1, 1
    canary = (total * weight * 2 + 100) // 200  # round half up, in integers
    canary = min(max(canary, 1), total - 1)
    return canary, total - canary


def judged_steps(spec: Canary) -> list[int]:
    """The steps at which gates are judged: all below 100 (a final 100 means promote)."""
    return [w for w in spec.steps if w < 100]


def decide(
    spec: Canary,
    state: RolloutState,
    observations: RolloutObservations,
    now: float,
    *,
    min_labels: int = DEFAULT_MIN_LABELS,
    max_feature_drift: float | None = None,
) -> RolloutDecision:
    """The next rollout state and the actions leading to it.

    ``min_labels`` and ``max_feature_drift`` are not spec fields yet; see :func:`evaluate_gates`.
    """
    machine = _Machine(spec, observations, now, min_labels, max_feature_drift)
    next_state, actions, results = machine.step(state)
    if spec.dry_run:
        actions = [_dry_run(a) for a in actions if not isinstance(a, PATCH_ACTIONS)]
        if next_state.message and not next_state.message.startswith(DRY_RUN_PREFIX):
            next_state = next_state.evolve(message=DRY_RUN_PREFIX + next_state.message)
    return RolloutDecision(next_state, tuple(actions), _PHASES[next_state.state], tuple(results))


_Step = tuple[RolloutState, list[Action], list[GateResult]]


class _Machine:
    """One decision's context; each handler returns (next state, actions, gate results)."""

    def __init__(
        self,
        spec: Canary,
        obs: RolloutObservations,
        now: float,
        min_labels: int,
        max_feature_drift: float | None,
    ) -> None:
        self.spec = spec
        self.obs = obs
        self.now = now
        self.min_labels = min_labels
        self.max_feature_drift = max_feature_drift
        self.interval = parse_duration(spec.interval)
        self.deadline = parse_duration(spec.progress_deadline)
        self.bake_window = parse_duration(spec.bake_window)
        self.steps = judged_steps(spec)

    # -- dispatch -------------------------------------------------------------------------------

    def step(self, state: RolloutState) -> _Step:
        manual = self._manual(state)
        if manual is not None:
            return manual
        if self.obs.canary_revision is None and state.state in ACTIVE_PHASES - {RolloutPhase.PROMOTING}:
            # While promoting, the stable Deployment already carries the template: let it finish.
            return self._canary_missing(state)
        match state.state:
            case RolloutPhase.IDLE | RolloutPhase.PROMOTED | RolloutPhase.ROLLED_BACK | RolloutPhase.FROZEN:
                return self._settled(state)
            case RolloutPhase.PAUSED:
                return self._paused(state)
            case RolloutPhase.PROGRESSING | RolloutPhase.HOLDING | RolloutPhase.STALLED:
                return self._judging(state)
            case RolloutPhase.PROMOTING:
                return self._promoting(state)
            case RolloutPhase.BAKING:
                return self._baking(state)
        raise AssertionError(f"unhandled rollout state {state.state}")  # pragma: no cover

    # -- manual control -------------------------------------------------------------------------

    def _manual(self, state: RolloutState) -> _Step | None:
        abort = _request(self.obs.abort_request, state.handled_abort)
        if abort is not None and state.state in ACTIVE_PHASES | {RolloutPhase.FROZEN, RolloutPhase.BAKING}:
            state = state.evolve(handled_abort=abort)
            message = f"rollout of revision {state.revision} aborted by annotation modelmonitor.io/abort"
            reason = {"gate": "manual-abort", "message": message}
            return self._roll_back(state, message, reason, condition_reason="Aborted")
        promote = _request(self.obs.promote_request, state.handled_promote)
        promotable = ACTIVE_PHASES - {RolloutPhase.PROMOTING} | {RolloutPhase.FROZEN, RolloutPhase.ROLLED_BACK}
        if (
            promote is not None
            and state.state in promotable
            and self.obs.canary_revision is not None
            and self.obs.canary_revision == state.revision
        ):
            state = state.evolve(handled_promote=promote)
            return self._promote(state, "promoted by annotation modelmonitor.io/promote, skipping the remaining steps")
        if promote is not None and state.state is RolloutPhase.BAKING:
            state = state.evolve(handled_promote=promote)
            return self._succeed(state, f"revision {state.revision} accepted by annotation modelmonitor.io/promote")
        return None

    # -- settled states: Idle, Promoted, RolledBack, Frozen ------------------------------------

    def _settled(self, state: RolloutState) -> _Step:
        canary = self.obs.canary_revision
        if canary is None or canary == state.revision:
            return state, [], []
        if canary == self.obs.stable_revision:
            if state.state is RolloutPhase.IDLE and state.message is None:
                return _message(state, "canary pod template matches the stable one: nothing to roll out"), [], []
            return state, [], []
        if self.spec.paused:
            return _message(state, f"canary revision {canary} waits: rollout paused (spec.canary.paused)"), [], []
        if state.state is RolloutPhase.IDLE:
            return self._start(state, "RolloutStarted", f"rolling out canary revision {canary}")
        verb = {
            RolloutPhase.PROMOTED: "after promotion of",
            RolloutPhase.ROLLED_BACK: "after rollback of",
            RolloutPhase.FROZEN: "replacing frozen",
        }[state.state]
        return self._start(state, "RolloutRestarted", f"new canary revision {canary} {verb} {state.revision}")

    def _start(self, state: RolloutState, event: str, headline: str) -> _Step:
        canary_revision = self.obs.canary_revision
        assert canary_revision is not None
        keeps_replicas = state.state in ACTIVE_PHASES or state.state is RolloutPhase.FROZEN
        total = (
            state.total_replicas if keeps_replicas and state.total_replicas is not None else self.obs.stable_replicas
        )
        base = RolloutState(
            state=RolloutPhase.PROGRESSING,
            revision=canary_revision,
            stable_revision=self.obs.stable_revision,
            last_good_revision=state.last_good_revision or self.obs.stable_revision,
            total_replicas=total,
            step_started_at=self.now,
            # Annotation values already present when a rollout starts are stale: only a new value acts.
            handled_abort=self.obs.abort_request,
            handled_promote=self.obs.promote_request,
        )
        if not self.steps:
            return self._promote(base, f"{headline}: no step below 100%, promoting under the bake guard only")
        weight = self.steps[0]
        canary, stable = split_replicas(total, weight)
        message = (
            f"{headline}: step 1/{len(self.steps)} at {weight}% ({canary} canary, {stable} stable replicas); "
            f"judged after {self.spec.interval}"
        )
        next_state = base.evolve(weight=weight, message=message)
        actions: list[Action] = [
            ScaleCanary(canary),
            ScaleStable(stable),
            EmitEvent(event, message),
            SetCondition(ConditionType.CANARY_PROGRESSING, ConditionStatus.TRUE, event, message),
        ]
        return next_state, actions, []

    def _canary_missing(self, state: RolloutState) -> _Step:
        total = state.total_replicas if state.total_replicas is not None else self.obs.stable_replicas
        message = f"canary Deployment {self.spec.deployment} not found; stable restored to {total} replicas"
        next_state = state.evolve(state=RolloutPhase.IDLE, weight=0, message=message, holding_since=None)
        actions: list[Action] = [
            ScaleStable(total),
            EmitEvent("CanaryMissing", message, warning=True),
            SetCondition(ConditionType.CANARY_PROGRESSING, ConditionStatus.FALSE, "CanaryMissing", message),
        ]
        return next_state, actions, []

    # -- pause ----------------------------------------------------------------------------------

    def _paused(self, state: RolloutState) -> _Step:
        if self.spec.paused:
            if self.obs.canary_revision not in (None, state.revision):
                note = f"paused; canary template changed to {self.obs.canary_revision}, restarts on resume"
                return _message(state, note), [], []
            return state, [], []
        message = f"resumed at step {state.step + 1}/{len(self.steps)} ({state.weight}%)"
        next_state = state.evolve(
            state=RolloutPhase.PROGRESSING,
            step_started_at=self.now,
            last_check_at=None,
            holding_since=None,
            message=message,
        )
        return next_state, [EmitEvent("RolloutResumed", message)], []

    # -- judging a step: Progressing, Holding, Stalled --------------------------------------------

    def _judging(self, state: RolloutState) -> _Step:
        canary = self.obs.canary_revision
        assert canary is not None  # a missing canary was handled before
        if canary != state.revision:
            if canary == self.obs.stable_revision:
                return self._end_matching_stable(state)
            return self._start(state, "RolloutRestarted", f"canary template changed from {state.revision} to {canary}")
        if self.spec.paused:
            message = f"paused at step {state.step + 1}/{len(self.steps)} ({state.weight}%)"
            next_state = state.evolve(state=RolloutPhase.PAUSED, message=message, holding_since=None)
            return next_state, [EmitEvent("RolloutPaused", message)], []
        if state.state is RolloutPhase.PROGRESSING:
            started = state.last_check_at if state.last_check_at is not None else state.step_started_at
            if started is not None and self.now < started + self.interval:
                return state, [], []
        results = evaluate_gates(
            self.spec.gates,
            self.obs.canary or _NOTHING,
            self.obs.stable or _NOTHING,
            min_samples=self.spec.min_samples,
            min_labels=self.min_labels,
            max_feature_drift=self.max_feature_drift,
        )
        verdict = overall_verdict(results)
        if verdict is Verdict.FAIL:
            return (*self._failed_check(state, results)[:2], results)
        if verdict is Verdict.INSUFFICIENT:
            next_state, actions = self._insufficient(state, results)
            return next_state, actions, results
        next_state, actions, _ = self._advance(state)
        return next_state, actions, results

    def _failed_check(self, state: RolloutState, results: list[GateResult]) -> _Step:
        failing = [r for r in results if r.verdict is Verdict.FAIL]
        first = failing[0]
        failed = state.failed_checks + 1
        limit = self.spec.max_failed_checks
        state = state.evolve(failed_checks=failed, last_check_at=self.now, holding_since=None)
        summary = "; ".join(r.message for r in failing)
        if failed >= limit:
            message = f"canary revision {state.revision} failed {failed} consecutive checks: {summary}"
            reason = {**first.to_reason(), "failedChecks": failed}
            if self.spec.failure_policy is FailurePolicy.FREEZE:
                return self._freeze(state, message, reason)
            return self._roll_back(state, message, reason, condition_reason="GateFailed")
        message = f"check {failed}/{limit} failed at step {state.step + 1} ({state.weight}%): {summary}"
        next_state = state.evolve(state=RolloutPhase.PROGRESSING, message=message, reason=first.to_reason())
        return next_state, [EmitEvent("CanaryCheckFailed", message, warning=True)], []

    def _insufficient(self, state: RolloutState, results: list[GateResult]) -> tuple[RolloutState, list[Action]]:
        waiting = "; ".join(r.message for r in results if r.verdict is Verdict.INSUFFICIENT)
        since = state.holding_since if state.holding_since is not None else self.now
        deadline = since + self.deadline
        stalled_message = (
            f"stalled at step {state.step + 1} ({state.weight}%): no decision within the progress deadline "
            f"{self.spec.progress_deadline} (passed {format_time(deadline)}): {waiting}; "
            "never rolled back for lack of evidence"
        )
        if state.state is RolloutPhase.STALLED:
            return _message(state, stalled_message), []
        if self.now >= deadline:
            next_state = state.evolve(state=RolloutPhase.STALLED, holding_since=since, message=stalled_message)
            actions: list[Action] = [
                EmitEvent("RolloutStalled", stalled_message, warning=True),
                SetCondition(
                    ConditionType.CANARY_PROGRESSING, ConditionStatus.FALSE, "ProgressDeadlineExceeded", stalled_message
                ),
                Notify("ticket", f"canary revision {state.revision} stalled: insufficient evidence", {"why": waiting}),
            ]
            return next_state, actions
        message = (
            f"holding step {state.step + 1} ({state.weight}%) for evidence until {format_time(deadline)}: {waiting}"
        )
        next_state = state.evolve(state=RolloutPhase.HOLDING, holding_since=since, message=message)
        if state.state is RolloutPhase.HOLDING:
            return next_state, []
        return next_state, [EmitEvent("CanaryHolding", message)]

    def _advance(self, state: RolloutState) -> _Step:
        passed = state.step + 1
        base = state.evolve(failed_checks=0, holding_since=None, reason=None, last_check_at=None)
        if passed >= len(self.steps):
            return self._promote(base, f"all {len(self.steps)} steps passed")
        weight = self.steps[passed]
        total = state.total_replicas if state.total_replicas is not None else self.obs.stable_replicas
        canary, stable = split_replicas(total, weight)
        message = (
            f"step {passed}/{len(self.steps)} passed; now step {passed + 1} at {weight}% "
            f"({canary} canary, {stable} stable replicas)"
        )
        next_state = base.evolve(
            state=RolloutPhase.PROGRESSING, step=passed, weight=weight, step_started_at=self.now, message=message
        )
        actions: list[Action] = [ScaleCanary(canary), ScaleStable(stable), EmitEvent("CanaryStepAdvanced", message)]
        if state.state is RolloutPhase.STALLED:
            actions.append(
                SetCondition(ConditionType.CANARY_PROGRESSING, ConditionStatus.TRUE, "CanaryStepAdvanced", message)
            )
        return next_state, actions, []

    def _end_matching_stable(self, state: RolloutState) -> _Step:
        total = state.total_replicas if state.total_replicas is not None else self.obs.stable_replicas
        message = "canary pod template now matches the stable one: rollout ended, canary scaled to 0"
        next_state = state.evolve(state=RolloutPhase.IDLE, weight=0, holding_since=None, message=message)
        actions: list[Action] = [
            ScaleStable(total),
            ScaleCanary(0),
            EmitEvent("RolloutEnded", message),
            SetCondition(ConditionType.CANARY_PROGRESSING, ConditionStatus.FALSE, "RolloutEnded", message),
        ]
        return next_state, actions, []

    # -- failure ------------------------------------------------------------------------------

    def _roll_back(
        self, state: RolloutState, message: str, reason: Mapping[str, object], *, condition_reason: str
    ) -> _Step:
        total = state.total_replicas if state.total_replicas is not None else self.obs.stable_replicas
        actions: list[Action] = []
        if state.state in (RolloutPhase.PROMOTING, RolloutPhase.BAKING) and state.stable_revision is not None:
            # The stable Deployment already carries the failed template: put the previous one back.
            actions.append(RestoreTemplate(state.stable_revision, state.revision or "unknown", message))
        actions += [ScaleStable(total), ScaleCanary(0)]
        status_message = f"{message}; rolled back; change the canary pod template to start a new rollout"
        next_state = state.evolve(
            state=RolloutPhase.ROLLED_BACK,
            weight=0,
            rolled_back_from=state.revision,
            reason=reason,
            message=status_message,
            holding_since=None,
            bake_until=None,
        )
        actions += [
            SetCondition(ConditionType.ROLLED_BACK, ConditionStatus.TRUE, condition_reason, status_message),
            SetCondition(ConditionType.CANARY_PROGRESSING, ConditionStatus.FALSE, "RolledBack", status_message),
            EmitEvent("RolledBack", status_message, warning=True),
            Notify("page", f"canary revision {state.revision} rolled back", dict(reason)),
        ]
        return next_state, actions, []

    def _freeze(self, state: RolloutState, message: str, reason: Mapping[str, object]) -> _Step:
        status_message = f"{message}; frozen (failurePolicy freeze): replicas held, promote or abort by annotation"
        next_state = state.evolve(state=RolloutPhase.FROZEN, reason=reason, message=status_message, holding_since=None)
        actions: list[Action] = [
            SetCondition(ConditionType.CANARY_PROGRESSING, ConditionStatus.FALSE, "Frozen", status_message),
            EmitEvent("RolloutFrozen", status_message, warning=True),
            Notify("page", f"canary revision {state.revision} frozen", dict(reason)),
        ]
        return next_state, actions, []

    # -- promotion and bake --------------------------------------------------------------------

    def _promote(self, state: RolloutState, why: str) -> _Step:
        revision = state.revision or "unknown"
        total = state.total_replicas if state.total_replicas is not None else self.obs.stable_replicas
        if self.spec.dry_run:
            message = f"{why}; would promote revision {revision} (dry run: nothing patched, no bake)"
            return self._succeed(state.evolve(message=message), message)
        message = f"{why}; promoting revision {revision}: stable Deployment takes the canary's template"
        next_state = state.evolve(
            state=RolloutPhase.PROMOTING,
            step_started_at=self.now,
            last_check_at=None,
            holding_since=None,
            failed_checks=0,
            overdue=False,
            message=message,
        )
        actions: list[Action] = [
            PromoteTemplate(revision),
            ScaleStable(total),
            EmitEvent("Promoting", message),
            SetCondition(ConditionType.CANARY_PROGRESSING, ConditionStatus.TRUE, "Promoting", message),
        ]
        return next_state, actions, []

    def _promoting(self, state: RolloutState) -> _Step:
        if self.obs.stable_revision == state.revision and self.obs.stable_rolled_out:
            scale_down: list[Action] = [ScaleCanary(0)] if self.obs.canary_revision is not None else []
            if self.bake_window <= 0:
                next_state, done, _ = self._succeed(state, f"revision {state.revision} promoted (no bake window)")
                return next_state, [*scale_down, *done], []
            bake_until = self.now + self.bake_window
            message = (
                f"revision {state.revision} promoted and rolled out; baking until {format_time(bake_until)} "
                f"(a breach restores revision {state.stable_revision})"
            )
            next_state = state.evolve(
                state=RolloutPhase.BAKING,
                weight=0,
                step_started_at=self.now,
                last_check_at=None,
                bake_until=bake_until,
                overdue=False,
                message=message,
            )
            return next_state, [*scale_down, EmitEvent("Baking", message)], []
        started = state.step_started_at if state.step_started_at is not None else self.now
        if not state.overdue and self.now >= started + self.deadline:
            message = (
                f"promotion of revision {state.revision} not rolled out after {self.spec.progress_deadline} "
                f"(stable revision {self.obs.stable_revision}); check the stable Deployment"
            )
            next_state = state.evolve(overdue=True, message=message)
            actions: list[Action] = [
                EmitEvent("PromotionStalled", message, warning=True),
                Notify("ticket", f"promotion of revision {state.revision} stalled", {"message": message}),
            ]
            return next_state, actions, []
        return state, [], []

    def _baking(self, state: RolloutState) -> _Step:
        started = state.last_check_at if state.last_check_at is not None else state.step_started_at
        bake_until = state.bake_until if state.bake_until is not None else self.now
        if started is not None and self.now < started + self.interval and self.now < bake_until:
            return state, [], []
        results = evaluate_guard(self.spec.gates, self.obs.stable or _NOTHING, min_samples=self.spec.min_samples)
        verdict = overall_verdict(results)
        if verdict is Verdict.FAIL:
            failing = [r for r in results if r.verdict is Verdict.FAIL]
            failed = state.failed_checks + 1
            state = state.evolve(failed_checks=failed, last_check_at=self.now)
            summary = "; ".join(r.message for r in failing)
            if failed >= self.spec.max_failed_checks:
                message = f"promoted revision {state.revision} breached the bake guard {failed} times: {summary}"
                reason = {**failing[0].to_reason(), "failedChecks": failed}
                return (*self._roll_back(state, message, reason, condition_reason="BakeGuardBreached")[:2], results)
            message = f"bake check {failed}/{self.spec.max_failed_checks} failed: {summary}"
            event = EmitEvent("BakeCheckFailed", message, warning=True)
            return state.evolve(message=message, reason=failing[0].to_reason()), [event], results
        if self.now >= bake_until:
            traffic = results[0]
            note = f"revision {state.revision} baked for {self.spec.bake_window} ({traffic.samples} requests)"
            next_state, actions, _ = self._succeed(state, note)
            return next_state, actions, results
        failed = 0 if verdict is Verdict.PASS else state.failed_checks
        return state.evolve(last_check_at=self.now, failed_checks=failed), [], results

    def _succeed(self, state: RolloutState, message: str) -> _Step:
        next_state = state.evolve(
            state=RolloutPhase.PROMOTED,
            weight=0,
            failed_checks=0,
            last_good_revision=state.revision if not self.spec.dry_run else state.last_good_revision,
            bake_until=None,
            holding_since=None,
            overdue=False,
            reason=None,
            message=message,
        )
        actions: list[Action] = [
            EmitEvent("RolloutSucceeded", message),
            SetCondition(ConditionType.CANARY_PROGRESSING, ConditionStatus.FALSE, "Succeeded", message),
        ]
        return next_state, actions, []


_NOTHING = CohortObservation(requests=0)


def _request(value: str | None, handled: str | None) -> str | None:
    """A manual annotation's value if it asks for something not yet done, else None."""
    return None if value is None or value == handled else value


def _message(state: RolloutState, message: str) -> RolloutState:
    return state if state.message == message else state.evolve(message=message)


def _dry_run(action: Action) -> Action:
    if isinstance(action, EmitEvent):
        return EmitEvent(action.reason, DRY_RUN_PREFIX + action.message, action.warning)
    if isinstance(action, SetCondition):
        return SetCondition(action.type, action.status, action.reason, DRY_RUN_PREFIX + action.message)
    if isinstance(action, Notify):
        return Notify(action.severity, DRY_RUN_PREFIX + action.summary, action.details)
    return action
