"""A tiny simulated cluster for driving ``decide`` through time in tests.

The world holds two Deployments' replicas and template revisions, applies the patch actions a
decision returns (as the I/O layer would), and produces cohort observations from a traffic model:
each replica serves ``rps`` requests per second, errors and predictions follow each version's
behaviour. Every tick also checks idempotence: re-deciding from the new state with the same
observations and time must yield no action.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from modelmonitor.api.spec import Canary
from modelmonitor.rollout.actions import (
    Action,
    PromoteTemplate,
    RestoreTemplate,
    RolloutDecision,
    ScaleCanary,
    ScaleStable,
)
from modelmonitor.rollout.decision import RolloutObservations, decide
from modelmonitor.rollout.gates import CohortObservation
from modelmonitor.rollout.state import RolloutPhase, RolloutState

HEALTHY_PREDICTIONS = (0.4, 0.3, 0.2, 0.1)
OBJECTIVE = 0.999


@dataclass(frozen=True)
class Behaviour:
    """How one model version serves."""

    error_rate: float = 0.001
    p99_seconds: float = 0.1
    predictions: Sequence[float] = HEALTHY_PREDICTIONS
    accuracy: float | None = None


@dataclass
class World:
    """Two Deployments and the versions they run."""

    stable_revision: str = "v1"
    canary_revision: str | None = "v2"
    stable_replicas: int = 10
    canary_replicas: int = 0
    rps: float = 1.0
    window_seconds: float = 300.0
    label_fraction: float = 0.0
    behaviours: dict[str, Behaviour] = field(default_factory=lambda: {"v1": Behaviour(), "v2": Behaviour()})
    stable_rolled_out: bool = True
    promotes_roll_out: bool = True
    promote_request: str | None = None
    abort_request: str | None = None

    def apply(self, actions: Sequence[Action]) -> None:
        for action in actions:
            if isinstance(action, ScaleCanary):
                self.canary_replicas = action.replicas
            elif isinstance(action, ScaleStable):
                self.stable_replicas = action.replicas
            elif isinstance(action, PromoteTemplate):
                assert action.from_revision == self.canary_revision
                self.stable_revision = action.from_revision
                self.stable_rolled_out = self.promotes_roll_out
            elif isinstance(action, RestoreTemplate):
                self.stable_revision = action.revision

    def cohort(self, revision: str | None, replicas: int) -> CohortObservation:
        if revision is None or replicas == 0:
            return CohortObservation(requests=0, window_seconds=self.window_seconds)
        b = self.behaviours[revision]
        requests = int(self.rps * replicas * self.window_seconds)
        errors = round(requests * b.error_rate)
        labelled = int(requests * self.label_fraction)
        return CohortObservation(
            requests=requests,
            errors=errors,
            latency_p99_seconds=b.p99_seconds if requests else None,
            burn_rate=(errors / requests) / (1 - OBJECTIVE) if requests else None,
            prediction_histogram=tuple(round(requests * p) for p in b.predictions),
            labelled=labelled,
            accuracy=b.accuracy if labelled else None,
            window_seconds=self.window_seconds,
        )

    def observe(self) -> RolloutObservations:
        return RolloutObservations(
            canary_revision=self.canary_revision,
            stable_revision=self.stable_revision,
            stable_replicas=self.stable_replicas,
            canary_replicas=self.canary_replicas,
            stable_rolled_out=self.stable_rolled_out,
            canary=self.cohort(self.canary_revision, self.canary_replicas),
            stable=self.cohort(self.stable_revision, self.stable_replicas),
            promote_request=self.promote_request,
            abort_request=self.abort_request,
        )


@dataclass(frozen=True)
class Tick:
    """One decision in a run."""

    now: float
    decision: RolloutDecision


def decide_idempotently(spec: Canary, state: RolloutState, obs: RolloutObservations, now: float) -> RolloutDecision:
    """``decide``, asserting that re-deciding from its result (a restart) changes nothing."""
    decision = decide(spec, state, obs, now)
    again = decide(spec, decision.state, obs, now)
    assert again.actions == (), f"re-deciding at {now} from {decision.state.state} repeated {again.actions}"
    assert again.state == decision.state, f"re-deciding at {now} moved {decision.state} to {again.state}"
    return decision


def run(
    spec: Canary,
    world: World,
    *,
    until: float,
    tick: float = 30.0,
    state: RolloutState | None = None,
    start: float = 0.0,
    before_tick: Callable[[World, float, RolloutState], None] | None = None,
) -> tuple[RolloutState, list[Tick]]:
    """Decide every ``tick`` seconds from ``start`` to ``until``, applying patches to ``world``."""
    current = state or RolloutState()
    ticks: list[Tick] = []
    now = start
    while now <= until:
        if before_tick is not None:
            before_tick(world, now, current)
        decision = decide_idempotently(spec, current, world.observe(), now)
        world.apply(decision.patches)
        ticks.append(Tick(now, decision))
        current = decision.state
        now += tick
    return current, ticks


def first(ticks: Sequence[Tick], phase: RolloutPhase) -> Tick | None:
    """The first tick whose decision entered ``phase``."""
    return next((t for t in ticks if t.decision.state.state is phase), None)


def all_actions(ticks: Sequence[Tick]) -> list[Action]:
    return [a for t in ticks for a in t.decision.actions]


def with_behaviour(world: World, revision: str, **changes: object) -> None:
    world.behaviours[revision] = replace(world.behaviours.get(revision, Behaviour()), **changes)  # type: ignore[arg-type]
