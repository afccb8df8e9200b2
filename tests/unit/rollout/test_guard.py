"""The single-Deployment guard.

We test these aspects:
- the first revision seen is adopted as last good, with no action;
- a new revision bakes; a healthy bake records it as lastGoodRevision;
- a breach (maxFailedChecks consecutive failed checks) restores the last good template, with a
  reason naming gate, value and samples, an event, a condition and a page;
- insufficient traffic during the bake is never a breach;
- a single failed check followed by a pass is not a breach;
- the ReplicaSet history's previous revision is used when no last good revision is recorded,
  and a breach with no previous revision restores nothing and says so;
- after a rollback: the restored revision is quiet, a stale observation of the bad template is
  tolerated for one interval, a re-applied or new template bakes again;
- every decision is idempotent when re-run from its own result.
"""

from __future__ import annotations

import pytest

from modelmonitor.api.status import ConditionStatus, ConditionType, Phase
from modelmonitor.rollout.actions import EmitEvent, Notify, RestoreTemplate, RolloutDecision, SetCondition
from modelmonitor.rollout.gates import CohortObservation
from modelmonitor.rollout.guard import GuardObservations, GuardSettings, decide_guard
from modelmonitor.rollout.state import RolloutPhase, RolloutState

SETTINGS = GuardSettings()  # bake 15m, interval 5m, 2 failed checks, 200 samples, max burn rate 2
MINUTE = 60.0


def healthy(requests: int = 3000) -> CohortObservation:
    return CohortObservation(requests=requests, errors=3, burn_rate=1.0, window_seconds=300.0)


def burning(requests: int = 3000) -> CohortObservation:
    return CohortObservation(requests=requests, errors=150, burn_rate=50.0, window_seconds=300.0)


def step(state: RolloutState, obs: GuardObservations, now: float) -> RolloutDecision:
    decision = decide_guard(SETTINGS, state, obs, now)
    again = decide_guard(SETTINGS, decision.state, obs, now)
    assert again.actions == ()
    assert again.state == decision.state
    return decision


def walk(
    state: RolloutState, revision: str, cohort: CohortObservation | None, start: float, until: float
) -> tuple[RolloutState, list[tuple[float, RolloutDecision]]]:
    out = []
    now = start
    while now <= until:
        decision = step(state, GuardObservations(revision, previous_revision="r0", cohort=cohort), now)
        out.append((now, decision))
        state = decision.state
        now += 30.0
    return state, out


def test_defaults_come_from_the_canary_spec() -> None:
    assert (SETTINGS.bake_window_seconds, SETTINGS.interval_seconds) == (900.0, 300.0)
    assert (SETTINGS.max_failed_checks, SETTINGS.min_samples) == (2, 200)


def test_first_revision_is_adopted() -> None:
    decision = step(RolloutState(), GuardObservations("r1", cohort=burning()), 0.0)
    assert decision.actions == ()
    assert decision.state.state is RolloutPhase.PROMOTED
    assert decision.state.last_good_revision == "r1"


def adopted() -> RolloutState:
    return RolloutState(state=RolloutPhase.PROMOTED, revision="r1", last_good_revision="r1")


def test_healthy_new_revision_bakes_and_becomes_last_good() -> None:
    state, decisions = walk(adopted(), "r2", healthy(), 0.0, 20 * MINUTE)
    assert decisions[0][1].state.state is RolloutPhase.BAKING
    assert [a.reason for a in decisions[0][1].actions if isinstance(a, EmitEvent)] == ["GuardBaking"]
    assert decisions[0][1].state.stable_revision == "r1"
    baked = next(now for now, d in decisions if d.state.state is RolloutPhase.PROMOTED)
    assert baked == 15 * MINUTE
    assert state.last_good_revision == "r2"
    assert all(not isinstance(a, RestoreTemplate) for _, d in decisions for a in d.actions)


def test_breach_restores_the_last_good_template() -> None:
    _, decisions = walk(adopted(), "r2", burning(), 0.0, 20 * MINUTE)
    breach_time, breach = next((now, d) for now, d in decisions if d.state.state is RolloutPhase.ROLLED_BACK)
    assert breach_time == 10 * MINUTE  # two consecutive failed checks, one interval apart
    restore = [a for a in breach.actions if isinstance(a, RestoreTemplate)]
    assert len(restore) == 1
    assert (restore[0].revision, restore[0].rolled_back_from) == ("r1", "r2")
    assert "burn-rate 50 > 2" in restore[0].reason
    assert "3000 requests" in restore[0].reason
    assert breach.phase is Phase.ROLLED_BACK
    assert SetCondition(ConditionType.ROLLED_BACK, ConditionStatus.TRUE, "GuardBreached", restore[0].reason) in (
        breach.actions
    )
    assert any(isinstance(a, Notify) and a.severity == "page" for a in breach.actions)
    state = breach.state
    assert state.reason is not None
    assert state.reason["gate"] == "burn-rate"
    assert state.reason["failedChecks"] == 2
    assert state.rolled_back_from == "r2"


def test_low_traffic_during_bake_is_never_a_breach() -> None:
    thin = CohortObservation(requests=50, errors=25, burn_rate=500.0, window_seconds=300.0)
    state, decisions = walk(adopted(), "r2", thin, 0.0, 20 * MINUTE)
    assert all(d.state.failed_checks == 0 for _, d in decisions)
    assert state.state is RolloutPhase.PROMOTED
    assert "(50 requests)" in (state.message or "")


def test_one_failed_check_then_a_pass_is_not_a_breach() -> None:
    state, _ = walk(adopted(), "r2", burning(), 0.0, 5 * MINUTE)
    assert state.failed_checks == 1
    state, decisions = walk(state, "r2", healthy(), 5 * MINUTE + 30, 20 * MINUTE)
    assert state.state is RolloutPhase.PROMOTED
    assert any(d.state.failed_checks == 0 and d.state.state is RolloutPhase.BAKING for _, d in decisions)


def test_previous_revision_from_history_when_none_recorded() -> None:
    state = RolloutState(state=RolloutPhase.PROMOTED, revision="r1")
    decision = step(state, GuardObservations("r2", previous_revision="r1-from-rs", cohort=healthy()), 0.0)
    assert decision.state.stable_revision == "r1-from-rs"


def test_breach_without_previous_revision_restores_nothing() -> None:
    state = RolloutState(state=RolloutPhase.PROMOTED, revision="r1")
    obs = GuardObservations("r2", previous_revision=None, cohort=burning())
    for now in (0.0, 5 * MINUTE, 10 * MINUTE):
        decision = step(state, obs, now)
        state = decision.state
    assert state.state is RolloutPhase.FROZEN
    assert "no previous revision is known" in (state.message or "")
    assert not any(isinstance(a, RestoreTemplate) for a in decision.actions)
    assert decision.phase is Phase.DEGRADED


def rolled_back() -> RolloutState:
    state, _ = walk(adopted(), "r2", burning(), 0.0, 10 * MINUTE)
    assert state.state is RolloutPhase.ROLLED_BACK
    return state


def test_restored_revision_is_quiet() -> None:
    state, decisions = walk(rolled_back(), "r1", healthy(), 10 * MINUTE + 30, 60 * MINUTE)
    assert all(d.actions == () for _, d in decisions)
    assert state.state is RolloutPhase.ROLLED_BACK


@pytest.mark.parametrize(("seen_at", "bakes"), [(10 * MINUTE + 30, False), (16 * MINUTE, True)])
def test_bad_template_seen_again_bakes_after_one_interval(seen_at: float, bakes: bool) -> None:
    decision = step(rolled_back(), GuardObservations("r2", cohort=healthy()), seen_at)
    assert (decision.state.state is RolloutPhase.BAKING) is bakes
    if bakes:
        assert "re-applied after its rollback" in (decision.state.message or "")
        assert decision.state.stable_revision == "r1"


def test_new_revision_after_rollback_bakes() -> None:
    decision = step(rolled_back(), GuardObservations("r3", cohort=healthy()), 11 * MINUTE)
    assert decision.state.state is RolloutPhase.BAKING
    assert decision.state.stable_revision == "r1"
    assert "after rollback of r2" in (decision.state.message or "")


def test_manual_revert_during_bake_ends_it() -> None:
    state, _ = walk(adopted(), "r2", healthy(), 0.0, 1 * MINUTE)
    decision = step(state, GuardObservations("r1", cohort=healthy()), 2 * MINUTE)
    assert decision.state.state is RolloutPhase.PROMOTED
    assert decision.state.revision == "r1"
