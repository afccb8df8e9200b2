"""The canary state machine, stepped through simulated time.

We test these aspects:
- replica math: rounding half up, one replica at least on each side before 100%, surge at 1 replica;
- a canary with 5% errors against 0.1% stable rolls back within 2 intervals of having enough
  samples, and the reason names gate, value, threshold, samples and window;
- a prediction shift over maxPredictionShift rolls back (error-ratio gate alone too);
- a healthy canary walks every step, is promoted (template copied, stable rolled out, canary to 0),
  bakes and ends Promoted with lastGoodRevision set; a bake breach restores the previous template;
- low traffic holds, is never a failure and stalls at the progress deadline with one alert;
- maxFailedChecks counts consecutive failures (a pass resets);
- freeze holds replicas instead of rolling back; paused holds and resumes;
- abort and promote annotations act once (a value present at the start is stale); dry-run reports without patch actions;
- a new canary template after a rollback restarts the rollout and status says so; a template
  change mid-rollout restarts at step 1; a missing canary restores the stable replicas;
- a promotion that never rolls out raises one warning at the deadline;
- at every tick, re-deciding from the new state with the same inputs yields no action (restart);
- properties: insufficient evidence never increments failed checks nor rolls back.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modelmonitor.api.spec import Canary, FailurePolicy, Gates
from modelmonitor.api.status import ConditionType, Phase
from modelmonitor.rollout.actions import (
    EmitEvent,
    Notify,
    PromoteTemplate,
    RestoreTemplate,
    ScaleCanary,
    ScaleStable,
    SetCondition,
)
from modelmonitor.rollout.decision import RolloutObservations, decide, judged_steps, split_replicas
from modelmonitor.rollout.gates import CohortObservation
from modelmonitor.rollout.state import RolloutPhase, RolloutState
from tests.unit.rollout.simulation import World, all_actions, first, run, with_behaviour

MINUTE = 60.0


def canary(**overrides: object) -> Canary:
    base: dict[str, object] = {
        "deployment": "model-v2",
        "steps": [10, 25, 50, 100],
        "interval": "5m",
        "max_failed_checks": 2,
        "min_samples": 200,
        "progress_deadline": "1h",
        "bake_window": "15m",
    }
    return Canary.model_validate({**base, **overrides})


# -- replica math ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weight", "expected"),
    [
        (10, 10, (1, 9)),
        (10, 25, (3, 7)),  # 2.5 rounds half up
        (10, 50, (5, 5)),
        (10, 95, (9, 1)),  # 9.5 -> 10, clamped to keep one stable replica
        (4, 10, (1, 3)),  # 0.4 -> 0, at least one canary replica
        (2, 50, (1, 1)),
        (1, 10, (1, 1)),  # a single replica surges to 1 + 1
        (3, 100, (3, 0)),
        (0, 50, (0, 0)),
        (7, 0, (0, 7)),
    ],
)
def test_split_replicas_table(total: int, weight: int, expected: tuple[int, int]) -> None:
    assert split_replicas(total, weight) == expected


@given(total=st.integers(min_value=2, max_value=500), weight=st.integers(min_value=1, max_value=99))
def test_split_replicas_properties(total: int, weight: int) -> None:
    canary_replicas, stable_replicas = split_replicas(total, weight)
    assert canary_replicas + stable_replicas == total
    assert canary_replicas >= 1
    assert stable_replicas >= 1
    # Within half a replica of the exact share, unless clamped at an edge.
    if 1 < canary_replicas < total - 1:
        assert abs(canary_replicas - total * weight / 100) <= 0.5


@given(total=st.integers(min_value=2, max_value=200), a=st.integers(1, 99), b=st.integers(1, 99))
def test_split_replicas_is_monotonic_in_weight(total: int, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert split_replicas(total, low)[0] <= split_replicas(total, high)[0]


@pytest.mark.parametrize(("total", "weight"), [(-1, 10), (5, 101), (5, -1)])
def test_split_replicas_rejects_bad_input(total: int, weight: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        split_replicas(total, weight)


def test_a_final_100_step_is_the_promotion() -> None:
    assert judged_steps(canary()) == [10, 25, 50]
    assert judged_steps(canary(steps=[20, 60])) == [20, 60]


# -- failing canaries -------------------------------------------------------------------------


def test_erroring_canary_rolls_back_within_two_intervals_with_a_full_reason() -> None:
    world = World()
    with_behaviour(world, "v2", error_rate=0.05)
    spec = canary()
    state, ticks = run(spec, world, until=30 * MINUTE)

    started = ticks[0]
    assert ScaleCanary(1) in started.decision.actions
    assert ScaleStable(9) in started.decision.actions
    rolled_back = first(ticks, RolloutPhase.ROLLED_BACK)
    assert rolled_back is not None
    # Enough samples once the first interval has passed (300 requests >= 200): two checks later.
    assert rolled_back.now <= 5 * MINUTE + 2 * 5 * MINUTE
    assert rolled_back.now == 10 * MINUTE
    assert state.state is RolloutPhase.ROLLED_BACK
    assert rolled_back.decision.phase is Phase.ROLLED_BACK
    assert (world.canary_replicas, world.stable_replicas) == (0, 10)
    reason = state.reason
    assert reason is not None
    assert reason["gate"] == "burn-rate"
    assert reason["value"] == pytest.approx(50.0)
    assert reason["threshold"] == 2.0
    assert reason["samples"] == 300
    assert reason["window"] == "5m"
    assert reason["failedChecks"] == 2
    conditions = [a for a in rolled_back.decision.actions if isinstance(a, SetCondition)]
    rolled = next(c for c in conditions if c.type == ConditionType.ROLLED_BACK)
    for text in ("burn-rate", "50 > 2", "300 requests", "window 5m", "change the canary pod template"):
        assert text in rolled.message
    assert any(
        isinstance(a, EmitEvent) and a.warning and a.reason == "RolledBack" for a in rolled_back.decision.actions
    )
    assert any(isinstance(a, Notify) and a.severity == "page" for a in rolled_back.decision.actions)
    # Rollback restores the stable replicas before scaling the canary away (capacity first).
    patches = rolled_back.decision.patches
    assert patches == (ScaleStable(10), ScaleCanary(0))
    # Nothing happens afterwards: the canary keeps its failed template and is not retried.
    assert all(t.decision.actions == () for t in ticks if t.now > rolled_back.now)


def test_first_failed_check_is_reported_but_not_yet_a_rollback() -> None:
    world = World()
    with_behaviour(world, "v2", error_rate=0.05)
    _, ticks = run(canary(), world, until=5 * MINUTE)
    last = ticks[-1].decision
    assert last.state.state is RolloutPhase.PROGRESSING
    assert last.state.failed_checks == 1
    assert [a.reason for a in last.actions if isinstance(a, EmitEvent)] == ["CanaryCheckFailed"]
    assert last.state.message is not None
    assert last.state.message.startswith("check 1/2 failed")


def test_prediction_shift_rolls_back() -> None:
    world = World()
    with_behaviour(world, "v2", predictions=(0.1, 0.2, 0.3, 0.4))
    state, _ticks = run(canary(), world, until=30 * MINUTE)
    assert state.state is RolloutPhase.ROLLED_BACK
    assert state.reason is not None
    assert state.reason["gate"] == "prediction-shift"
    assert state.reason["value"] > 0.1
    assert state.reason["threshold"] == 0.1
    assert "Jensen-Shannon" in (state.message or "")


def test_error_ratio_gate_alone_rolls_back() -> None:
    world = World()
    with_behaviour(world, "v2", error_rate=0.05)
    spec = canary(
        gates=Gates(max_burn_rate=None, max_error_ratio=2.0, max_latency_p99_ratio=None, max_prediction_shift=None)
    )
    state, _ = run(spec, world, until=30 * MINUTE)
    assert state.state is RolloutPhase.ROLLED_BACK
    assert state.reason is not None
    assert state.reason["gate"] == "error-ratio"
    assert "canary 5.00% of 300 requests vs stable 0.11% of 2700" in (state.message or "")


def test_slow_canary_rolls_back_on_latency() -> None:
    world = World()
    with_behaviour(world, "v2", p99_seconds=0.3)
    state, _ = run(canary(), world, until=30 * MINUTE)
    assert state.reason is not None
    assert state.reason["gate"] == "latency-p99-ratio"
    assert state.reason["value"] == pytest.approx(3.0)


# -- a healthy canary ---------------------------------------------------------------------------


def test_healthy_canary_walks_all_steps_is_promoted_and_baked() -> None:
    world = World()
    state, ticks = run(canary(), world, until=60 * MINUTE)
    weights: list[int] = []
    for t in ticks:
        w = t.decision.state.weight
        if t.decision.state.state is RolloutPhase.PROGRESSING and (not weights or weights[-1] != w):
            weights.append(w)
    assert weights == [10, 25, 50]
    replica_changes = [a for a in all_actions(ticks) if isinstance(a, ScaleCanary | ScaleStable)]
    assert replica_changes[:6] == [
        ScaleCanary(1),
        ScaleStable(9),
        ScaleCanary(3),
        ScaleStable(7),
        ScaleCanary(5),
        ScaleStable(5),
    ]
    promoting = first(ticks, RolloutPhase.PROMOTING)
    assert promoting is not None
    assert promoting.now == 15 * MINUTE
    assert promoting.decision.patches == (PromoteTemplate("v2"), ScaleStable(10))
    baking = first(ticks, RolloutPhase.BAKING)
    assert baking is not None
    assert baking.now == 15 * MINUTE + 30
    assert baking.decision.patches == (ScaleCanary(0),)
    assert baking.decision.phase is Phase.PROMOTED
    done = first(ticks, RolloutPhase.PROMOTED)
    assert done is not None
    assert done.now == baking.now + 15 * MINUTE
    assert state.state is RolloutPhase.PROMOTED
    assert state.last_good_revision == "v2"
    assert (world.stable_revision, world.stable_replicas, world.canary_replicas) == ("v2", 10, 0)
    assert done.decision.phase is None
    assert [a.reason for a in done.decision.actions if isinstance(a, EmitEvent)] == ["RolloutSucceeded"]


def test_last_good_revision_stays_the_old_one_while_baking() -> None:
    world = World()
    _, ticks = run(canary(), world, until=20 * MINUTE)
    baking = first(ticks, RolloutPhase.BAKING)
    assert baking is not None
    assert baking.decision.state.last_good_revision == "v1"
    assert baking.decision.state.stable_revision == "v1"


def test_bake_breach_restores_the_previous_template() -> None:
    world = World()

    def degrade_after_promotion(w: World, now: float, state: RolloutState) -> None:
        if state.state is RolloutPhase.BAKING:
            with_behaviour(w, "v2", error_rate=0.05)

    state, ticks = run(canary(), world, until=60 * MINUTE, before_tick=degrade_after_promotion)
    assert state.state is RolloutPhase.ROLLED_BACK
    rolled_back = first(ticks, RolloutPhase.ROLLED_BACK)
    assert rolled_back is not None
    restore = [a for a in rolled_back.decision.patches if isinstance(a, RestoreTemplate)]
    assert restore == [RestoreTemplate("v1", "v2", restore[0].reason)]
    assert "bake guard" in restore[0].reason
    assert world.stable_revision == "v1"
    assert state.rolled_back_from == "v2"
    assert state.last_good_revision == "v1"
    assert state.reason is not None
    assert state.reason["gate"] == "burn-rate"


def test_steps_without_100_promote_after_the_last_step() -> None:
    state, ticks = run(canary(steps=[20, 60]), World(), until=40 * MINUTE)
    assert state.state is RolloutPhase.PROMOTED
    promoting = first(ticks, RolloutPhase.PROMOTING)
    assert promoting is not None
    assert promoting.now == 10 * MINUTE


def test_single_100_step_promotes_under_the_bake_guard_only() -> None:
    _, ticks = run(canary(steps=[100]), World(), until=1 * MINUTE)
    assert ticks[0].decision.state.state is RolloutPhase.PROMOTING
    assert "bake guard only" in (ticks[0].decision.state.message or "")


# -- low traffic ------------------------------------------------------------------------------


def test_low_traffic_holds_never_fails_and_stalls_at_the_deadline() -> None:
    world = World(rps=0.1)  # 30 canary requests per window, far below 200
    with_behaviour(world, "v2", error_rate=0.5)  # even a terrible canary is not judged on no evidence
    state, ticks = run(canary(), world, until=3 * 60 * MINUTE)
    assert all(t.decision.state.failed_checks == 0 for t in ticks)
    assert first(ticks, RolloutPhase.ROLLED_BACK) is None
    holding = first(ticks, RolloutPhase.HOLDING)
    assert holding is not None
    assert holding.now == 5 * MINUTE
    assert "traffic: 30/200 requests" in (holding.decision.state.message or "")
    stalled = first(ticks, RolloutPhase.STALLED)
    assert stalled is not None
    assert stalled.now == 5 * MINUTE + 60 * MINUTE
    assert state.state is RolloutPhase.STALLED
    assert "never rolled back for lack of evidence" in (stalled.decision.state.message or "")
    notifications = [a for a in all_actions(ticks) if isinstance(a, Notify)]
    assert len(notifications) == 1
    assert stalled.decision.phase is Phase.PROGRESSING
    assert (world.canary_replicas, world.stable_replicas) == (1, 9)


def test_stalled_rollout_resumes_when_traffic_arrives() -> None:
    world = World(rps=0.1)
    state, _ = run(canary(), world, until=70 * MINUTE)
    assert state.state is RolloutPhase.STALLED
    world.rps = 1.0
    state, ticks = run(canary(), world, state=state, start=70 * MINUTE + 30, until=72 * MINUTE)
    assert ticks[0].decision.state.state is RolloutPhase.PROGRESSING
    assert ticks[0].decision.state.weight == 25
    assert any(isinstance(a, SetCondition) and a.status == "True" for a in ticks[0].decision.actions)


def test_awaiting_labels_holds_with_a_ground_truth_message() -> None:
    world = World(label_fraction=0.1)  # 30 labels per window at step 1, 100 needed
    with_behaviour(world, "v1", accuracy=0.95)
    with_behaviour(world, "v2", accuracy=0.95)
    spec = canary(gates=Gates(max_accuracy_drop=0.02))
    _, ticks = run(spec, world, until=6 * MINUTE)
    assert ticks[-1].decision.state.state is RolloutPhase.HOLDING
    assert "awaiting ground truth, canary 30/100" in (ticks[-1].decision.state.message or "")


def test_accuracy_drop_rolls_back_once_labels_arrive() -> None:
    world = World(label_fraction=0.5)
    with_behaviour(world, "v1", accuracy=0.95)
    with_behaviour(world, "v2", accuracy=0.85)
    state, _ = run(canary(gates=Gates(max_accuracy_drop=0.02)), world, until=20 * MINUTE)
    assert state.state is RolloutPhase.ROLLED_BACK
    assert state.reason is not None
    assert state.reason["gate"] == "accuracy-drop"
    assert state.reason["samples"] == 150


# -- consecutive failures and policies -----------------------------------------------------------


def test_failed_checks_are_consecutive_a_pass_resets_them() -> None:
    world = World()
    spec = canary(max_failed_checks=2, steps=[10, 20, 30, 40, 50, 60])

    def alternate(w: World, now: float, state: RolloutState) -> None:
        # Bad during odd intervals, healthy during even ones: never two failures in a row.
        bad = int(now // (5 * MINUTE)) % 2 == 1
        with_behaviour(w, "v2", error_rate=0.05 if bad else 0.001)

    _state, ticks = run(spec, world, until=40 * MINUTE, before_tick=alternate)
    counts = [t.decision.state.failed_checks for t in ticks]
    assert max(counts) == 1
    assert first(ticks, RolloutPhase.ROLLED_BACK) is None
    assert 1 in counts
    assert counts[-1] in (0, 1)


def test_three_consecutive_failures_needed_when_max_is_three() -> None:
    world = World()
    with_behaviour(world, "v2", error_rate=0.05)
    _, ticks = run(canary(max_failed_checks=3), world, until=30 * MINUTE)
    rolled_back = first(ticks, RolloutPhase.ROLLED_BACK)
    assert rolled_back is not None
    assert rolled_back.now == 15 * MINUTE


def test_freeze_policy_holds_replicas_instead_of_rolling_back() -> None:
    world = World()
    with_behaviour(world, "v2", error_rate=0.05)
    state, ticks = run(canary(failure_policy=FailurePolicy.FREEZE), world, until=30 * MINUTE)
    frozen = first(ticks, RolloutPhase.FROZEN)
    assert frozen is not None
    assert frozen.now == 10 * MINUTE
    assert frozen.decision.patches == ()
    assert (world.canary_replicas, world.stable_replicas) == (1, 9)
    assert state.state is RolloutPhase.FROZEN
    assert frozen.decision.phase is Phase.DEGRADED
    assert "frozen (failurePolicy freeze)" in (state.message or "")


def test_abort_unfreezes_by_rolling_back() -> None:
    world = World()
    with_behaviour(world, "v2", error_rate=0.05)
    state, _ = run(canary(failure_policy=FailurePolicy.FREEZE), world, until=12 * MINUTE)
    world.abort_request = "ops-1"
    state, ticks = run(
        canary(failure_policy=FailurePolicy.FREEZE), world, state=state, start=13 * MINUTE, until=14 * MINUTE
    )
    assert state.state is RolloutPhase.ROLLED_BACK
    assert ticks[0].decision.patches == (ScaleStable(10), ScaleCanary(0))


# -- manual control -------------------------------------------------------------------------------


def test_paused_holds_then_resumes() -> None:
    world = World()
    state, _ = run(canary(), world, until=6 * MINUTE)
    assert state.weight == 25
    paused_spec = canary(paused=True)
    state, ticks = run(paused_spec, world, state=state, start=6 * MINUTE + 30, until=30 * MINUTE)
    assert ticks[0].decision.state.state is RolloutPhase.PAUSED
    assert all(t.decision.patches == () for t in ticks)
    assert state.weight == 25
    state, ticks = run(canary(), world, state=state, start=30 * MINUTE + 30, until=36 * MINUTE)
    assert ticks[0].decision.state.state is RolloutPhase.PROGRESSING
    assert [a.reason for a in ticks[0].decision.actions if isinstance(a, EmitEvent)] == ["RolloutResumed"]
    # A fresh interval after resuming before the step is judged.
    advanced = next(t for t in ticks if t.decision.state.weight == 50)
    assert advanced.now == 30 * MINUTE + 30 + 5 * MINUTE


def test_paused_does_not_start_a_rollout() -> None:
    state, ticks = run(canary(paused=True), World(), until=10 * MINUTE)
    assert state.state is RolloutPhase.IDLE
    assert all_actions(ticks) == []
    assert "rollout paused" in (state.message or "")


def test_abort_annotation_rolls_back_once() -> None:
    world = World()
    state, _ = run(canary(), world, until=6 * MINUTE)
    world.abort_request = "2026-11-27T04:00:00Z"
    state, ticks = run(canary(), world, state=state, start=6 * MINUTE + 30, until=20 * MINUTE)
    assert ticks[0].decision.state.state is RolloutPhase.ROLLED_BACK
    assert ticks[0].decision.patches == (ScaleStable(10), ScaleCanary(0))
    assert state.reason is not None
    assert state.reason["gate"] == "manual-abort"
    assert all(t.decision.actions == () for t in ticks[1:])


def test_promote_annotation_skips_the_remaining_steps() -> None:
    world = World()
    state, _ = run(canary(), world, until=1 * MINUTE)
    world.promote_request = "now"
    state, ticks = run(canary(), world, state=state, start=1 * MINUTE + 30, until=20 * MINUTE)
    assert ticks[0].decision.state.state is RolloutPhase.PROMOTING
    assert PromoteTemplate("v2") in ticks[0].decision.patches
    assert first(ticks, RolloutPhase.BAKING) is not None
    assert state.handled_promote == "now"


def test_promote_annotation_overrides_a_rollback() -> None:
    world = World()
    with_behaviour(world, "v2", error_rate=0.05)
    state, _ = run(canary(), world, until=11 * MINUTE)
    assert state.state is RolloutPhase.ROLLED_BACK
    world.promote_request = "i-know"
    state, ticks = run(canary(), world, state=state, start=12 * MINUTE, until=13 * MINUTE)
    assert ticks[0].decision.patches == (PromoteTemplate("v2"), ScaleStable(10))


def test_abort_without_a_rollout_is_ignored() -> None:
    world = World(canary_revision="v1")  # canary equals stable: nothing to roll out
    world.abort_request = "x"
    state, ticks = run(canary(), world, until=2 * MINUTE)
    assert state.state is RolloutPhase.IDLE
    assert all_actions(ticks) == []


def test_dry_run_reports_without_patching() -> None:
    world = World(canary_replicas=1, stable_replicas=9)
    state, ticks = run(canary(dry_run=True), world, until=60 * MINUTE)
    assert all(t.decision.patches == () for t in ticks)
    assert state.state is RolloutPhase.PROMOTED
    assert state.last_good_revision == "v1"  # nothing was promoted
    assert (state.message or "").startswith("[dry-run] ")
    events = [a for a in all_actions(ticks) if isinstance(a, EmitEvent)]
    assert events
    assert all(e.message.startswith("[dry-run] ") for e in events)
    assert (world.canary_replicas, world.stable_replicas, world.stable_revision) == (1, 9, "v1")


def test_dry_run_reports_a_rollback_it_does_not_do() -> None:
    world = World(canary_replicas=1, stable_replicas=9)
    with_behaviour(world, "v2", error_rate=0.05)
    state, ticks = run(canary(dry_run=True), world, until=20 * MINUTE)
    assert state.state is RolloutPhase.ROLLED_BACK
    assert all(t.decision.patches == () for t in ticks)
    notes = [a for a in all_actions(ticks) if isinstance(a, Notify)]
    assert notes
    assert notes[0].summary.startswith("[dry-run] ")


# -- never stuck on a failed spec -----------------------------------------------------------------


def test_new_canary_template_after_rollback_restarts_the_rollout() -> None:
    world = World()
    with_behaviour(world, "v2", error_rate=0.05)
    state, _ = run(canary(), world, until=15 * MINUTE)
    assert state.state is RolloutPhase.ROLLED_BACK
    assert "change the canary pod template to start a new rollout" in (state.message or "")
    world.canary_revision = "v3"
    with_behaviour(world, "v3")
    state, ticks = run(canary(), world, state=state, start=15 * MINUTE + 30, until=16 * MINUTE)
    restart = ticks[0].decision
    assert restart.state.state is RolloutPhase.PROGRESSING
    assert restart.state.revision == "v3"
    assert "new canary revision v3 after rollback of v2" in (restart.state.message or "")
    assert [a.reason for a in restart.actions if isinstance(a, EmitEvent)] == ["RolloutRestarted"]
    assert restart.patches == (ScaleCanary(1), ScaleStable(9))
    assert restart.state.failed_checks == 0
    assert restart.state.reason is None


def test_template_change_mid_rollout_restarts_at_the_first_step() -> None:
    world = World()
    state, _ = run(canary(), world, until=6 * MINUTE)
    assert state.weight == 25
    world.canary_revision = "v3"
    with_behaviour(world, "v3")
    state, ticks = run(canary(), world, state=state, start=6 * MINUTE + 30, until=7 * MINUTE)
    assert ticks[0].decision.state.weight == 10
    assert ticks[0].decision.patches == (ScaleCanary(1), ScaleStable(9))  # total kept, not the scaled-down stable
    assert "canary template changed from v2 to v3" in (state.message or "")


def test_missing_canary_restores_the_stable_replicas() -> None:
    world = World()
    state, _ = run(canary(), world, until=6 * MINUTE)
    world.canary_revision = None
    state, ticks = run(canary(), world, state=state, start=6 * MINUTE + 30, until=8 * MINUTE)
    assert ticks[0].decision.patches == (ScaleStable(10),)
    assert state.state is RolloutPhase.IDLE


def test_canary_reset_to_stable_template_ends_the_rollout() -> None:
    world = World()
    state, _ = run(canary(), world, until=6 * MINUTE)
    world.canary_revision = "v1"
    state, ticks = run(canary(), world, state=state, start=6 * MINUTE + 30, until=7 * MINUTE)
    assert ticks[0].decision.patches == (ScaleStable(10), ScaleCanary(0))
    assert state.state is RolloutPhase.IDLE


def test_new_revision_after_promotion_starts_again() -> None:
    world = World()
    state, _ = run(canary(), world, until=40 * MINUTE)
    assert state.state is RolloutPhase.PROMOTED
    world.canary_revision = "v3"
    with_behaviour(world, "v3")
    state, ticks = run(canary(), world, state=state, start=40 * MINUTE + 30, until=41 * MINUTE)
    assert ticks[0].decision.state.state is RolloutPhase.PROGRESSING
    assert ticks[0].decision.state.stable_revision == "v2"
    assert "after promotion of v2" in (state.message or "")


def test_promotion_that_never_rolls_out_warns_once() -> None:
    world = World(promotes_roll_out=False)
    state, ticks = run(canary(), world, until=2 * 60 * MINUTE)
    assert state.state is RolloutPhase.PROMOTING
    stalls = [a for a in all_actions(ticks) if isinstance(a, EmitEvent) and a.reason == "PromotionStalled"]
    assert len(stalls) == 1
    assert state.overdue


# -- properties -------------------------------------------------------------------------------------


judging_phases = st.sampled_from([RolloutPhase.PROGRESSING, RolloutPhase.HOLDING, RolloutPhase.STALLED])


@st.composite
def thin_cohorts(draw: st.DrawFn) -> CohortObservation:
    requests = draw(st.integers(0, 199))
    errors = draw(st.integers(0, requests))
    bins = draw(st.lists(st.integers(0, 50), min_size=4, max_size=4))
    scale = min(1.0, requests / max(1, sum(bins)))
    labelled = draw(st.integers(0, min(99, requests)))
    return CohortObservation(
        requests=requests,
        errors=errors,
        latency_p99_seconds=draw(st.none() | st.floats(0, 10)),
        burn_rate=draw(st.none() | st.floats(0, 1000)),
        prediction_histogram=tuple(int(b * scale) for b in bins),
        labelled=labelled,
        accuracy=draw(st.none() | st.floats(0, 1)),
        window_seconds=300.0,
    )


@settings(max_examples=200, deadline=None)
@given(
    phase=judging_phases,
    failed=st.integers(0, 1),
    canary_cohort=thin_cohorts(),
    stable_requests=st.integers(0, 100000),
    now=st.floats(0, 10 * 3600),
    started=st.floats(0, 10 * 3600),
)
def test_insufficient_evidence_never_counts_as_a_failure(
    phase: RolloutPhase,
    failed: int,
    canary_cohort: CohortObservation,
    stable_requests: int,
    now: float,
    started: float,
) -> None:
    spec = canary(gates=Gates(max_error_ratio=2.0, max_accuracy_drop=0.01))
    state = RolloutState(
        state=phase,
        step=1,
        weight=25,
        failed_checks=failed,
        revision="v2",
        stable_revision="v1",
        total_replicas=10,
        step_started_at=started,
        holding_since=started if phase is not RolloutPhase.PROGRESSING else None,
    )
    stable = CohortObservation(
        requests=stable_requests,
        errors=0,
        latency_p99_seconds=0.1,
        burn_rate=0.0,
        prediction_histogram=(stable_requests, 0, 0, 0),
        labelled=stable_requests,
        accuracy=1.0,
        window_seconds=300.0,
    )
    obs = RolloutObservations("v2", "v1", 7, 3, canary=canary_cohort, stable=stable)
    decision = decide(spec, state, obs, now)
    assert decision.state.failed_checks == failed
    assert decision.state.state not in (RolloutPhase.ROLLED_BACK, RolloutPhase.FROZEN)
    assert decision.patches == ()


@settings(max_examples=20, deadline=None)
@given(error_rate=st.floats(0, 0.2), rps=st.sampled_from([0.05, 0.5, 1.0, 3.0]))
def test_every_tick_is_idempotent(error_rate: float, rps: float) -> None:
    world = World(rps=rps)
    with_behaviour(world, "v2", error_rate=error_rate)
    state, _ = run(canary(), world, until=90 * MINUTE, tick=60.0)  # run() asserts idempotence at every tick
    assert state.state is not RolloutPhase.IDLE


def test_annotation_present_when_a_rollout_starts_is_stale() -> None:
    world = World()
    world.abort_request = "left-over-from-last-week"
    state, ticks = run(canary(), world, until=6 * MINUTE)
    assert first(ticks, RolloutPhase.ROLLED_BACK) is None
    assert state.weight == 25
    world.abort_request = "again"
    state, _ = run(canary(), world, state=state, start=6 * MINUTE + 30, until=7 * MINUTE)
    assert state.state is RolloutPhase.ROLLED_BACK


def test_evidence_that_arrives_bad_after_holding_counts_as_a_failure() -> None:
    world = World(rps=0.1)
    state, _ = run(canary(), world, until=10 * MINUTE)
    assert state.state is RolloutPhase.HOLDING
    world.rps = 1.0
    with_behaviour(world, "v2", error_rate=0.05)
    state, ticks = run(canary(), world, state=state, start=10 * MINUTE + 30, until=30 * MINUTE)
    assert ticks[0].decision.state.state is RolloutPhase.PROGRESSING
    assert ticks[0].decision.state.failed_checks == 1
    rolled_back = first(ticks, RolloutPhase.ROLLED_BACK)
    assert rolled_back is not None
    assert rolled_back.now == 10 * MINUTE + 30 + 5 * MINUTE


def test_gate_results_are_returned_for_reporting() -> None:
    _, ticks = run(canary(), World(), until=5 * MINUTE)
    judged = ticks[-1].decision
    assert [r.gate for r in judged.gate_results] == ["traffic", "burn-rate", "latency-p99-ratio", "prediction-shift"]
    assert all(r.window_seconds == 300.0 for r in judged.gate_results)
    assert ticks[0].decision.gate_results == ()


def test_canary_deleted_while_promoting_lets_the_promotion_finish() -> None:
    world = World(promotes_roll_out=False)
    state, _ = run(canary(), world, until=16 * MINUTE)
    assert state.state is RolloutPhase.PROMOTING
    world.canary_revision = None
    world.stable_rolled_out = True
    state, ticks = run(canary(), world, state=state, start=16 * MINUTE + 30, until=17 * MINUTE)
    assert ticks[0].decision.state.state is RolloutPhase.BAKING
    assert ticks[0].decision.patches == ()  # no canary left to scale


def test_zero_bake_window_promotes_at_once() -> None:
    state, ticks = run(canary(bake_window="0s"), World(), until=16 * MINUTE)
    assert state.state is RolloutPhase.PROMOTED
    assert first(ticks, RolloutPhase.BAKING) is None
