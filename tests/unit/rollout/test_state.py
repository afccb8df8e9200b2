"""The rollout state as kept in ``status.canary``.

We test these aspects:
- a state survives the round trip to status JSON and back (property over all fields);
- the keys shared with ``CanaryStatus`` parse with that model (the CRD's shape);
- a missing status is a fresh, idle rollout; unknown keys are ignored;
- malformed values raise ValueError naming the status key;
- times are RFC 3339 UTC and parse back exactly (microseconds).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from modelmonitor.api.status import CanaryStatus
from modelmonitor.rollout.state import RolloutPhase, RolloutState, format_time, parse_time

times = st.integers(0, 4_000_000_000_000_000).map(lambda micros: micros / 1_000_000)
revisions = st.none() | st.text(alphabet="0123456789abcdef", min_size=1, max_size=16)


@st.composite
def states(draw: st.DrawFn) -> RolloutState:
    return RolloutState(
        state=draw(st.sampled_from(list(RolloutPhase))),
        step=draw(st.integers(0, 10)),
        weight=draw(st.integers(0, 100)),
        failed_checks=draw(st.integers(0, 5)),
        revision=draw(revisions),
        last_good_revision=draw(revisions),
        message=draw(st.none() | st.text(max_size=50)),
        stable_revision=draw(revisions),
        rolled_back_from=draw(revisions),
        total_replicas=draw(st.none() | st.integers(0, 100)),
        step_started_at=draw(st.none() | times),
        last_check_at=draw(st.none() | times),
        holding_since=draw(st.none() | times),
        bake_until=draw(st.none() | times),
        reason=draw(st.none() | st.fixed_dictionaries({"gate": st.just("burn-rate"), "value": st.floats(0, 100)})),
        handled_abort=draw(st.none() | st.text(min_size=1, max_size=20)),
        handled_promote=draw(st.none() | st.text(min_size=1, max_size=20)),
        overdue=draw(st.booleans()),
    )


@given(state=states())
def test_round_trip_through_status_json(state: RolloutState) -> None:
    status = json.loads(json.dumps(state.to_status()))
    assert RolloutState.from_status(status) == state


def test_shared_keys_parse_as_canary_status() -> None:
    state = RolloutState(
        state=RolloutPhase.HOLDING,
        step=2,
        weight=50,
        failed_checks=1,
        revision="abc",
        last_good_revision="def",
        message="holding",
        step_started_at=60.0,
    )
    status = state.to_status()
    parsed = CanaryStatus.model_validate(status)
    assert (parsed.state, parsed.step, parsed.weight, parsed.failed_checks) == ("Holding", 2, 50, 1)
    assert (parsed.revision, parsed.last_good_revision, parsed.message) == ("abc", "def", "holding")
    assert status["stepStartedAt"] == "1970-01-01T00:01:00Z"


def test_missing_status_is_idle() -> None:
    assert RolloutState.from_status(None) == RolloutState()
    assert RolloutState.from_status({}).state is RolloutPhase.IDLE


def test_unknown_keys_are_ignored() -> None:
    assert RolloutState.from_status({"state": "Baking", "futureField": 3}).state is RolloutPhase.BAKING


@pytest.mark.parametrize(
    ("status", "key"),
    [
        ({"state": "Exploding"}, "status.canary.state"),
        ({"step": "two"}, "status.canary.step"),
        ({"weight": True}, "status.canary.weight"),
        ({"weight": 140}, "weight"),
        ({"stepStartedAt": "yesterday"}, "status.canary.stepStartedAt"),
        ({"reason": "bad"}, "status.canary.reason"),
        ({"overdue": "yes"}, "status.canary.overdue"),
        ({"revision": 12}, "status.canary.revision"),
    ],
)
def test_malformed_status_names_the_key(status: dict[str, Any], key: str) -> None:
    with pytest.raises(ValueError, match=key):
        RolloutState.from_status(status)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1970-01-01T00:00:00Z", 0.0),
        ("2026-11-27T04:00:00Z", 1795752000.0),
        ("2026-11-27T04:00:00.25Z", 1795752000.25),
        ("2026-11-27T06:00:00+02:00", 1795752000.0),
    ],
)
def test_parse_time(text: str, seconds: float) -> None:
    assert parse_time(text) == seconds


def test_format_time_is_utc_with_z() -> None:
    assert format_time(1795752000.0) == "2026-11-27T04:00:00Z"
    assert format_time(1795752000.5) == "2026-11-27T04:00:00.500000Z"
