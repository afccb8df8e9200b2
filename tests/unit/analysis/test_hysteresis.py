"""Consecutive-N hysteresis of drift verdicts.

We test these aspects:
- a feature flips to drifting only after N drifted verdicts in a row, and back only after N clean ones;
- one noisy window in either direction flips nothing;
- insufficient samples is its own state and restarts both streaks;
- the JSON form round-trips and unreadable state is a fresh streak.
"""

from __future__ import annotations

import pytest

from modelmonitor.analysis.hysteresis import Streak, Verdict, step, step_all


def run(verdicts: list[Verdict], consecutive: int) -> list[str]:
    streak, states = Streak(), []
    for verdict in verdicts:
        streak = step(streak, verdict, consecutive)
        states.append(streak.state)
    return states


@pytest.mark.parametrize(
    ("verdicts", "consecutive", "expected"),
    [
        (["drifted"], 1, ["drifting"]),
        (["drifted", "ok", "drifted"], 2, ["ok", "ok", "ok"]),
        (["drifted", "drifted", "ok", "drifted"], 2, ["ok", "drifting", "drifting", "drifting"]),
        (["drifted", "drifted", "ok", "ok"], 2, ["ok", "drifting", "drifting", "ok"]),
        (["drifted", "drifted", "drifted"], 3, ["ok", "ok", "drifting"]),
        (
            ["drifted", "insufficient-samples", "drifted"],
            2,
            ["ok", "insufficient-samples", "ok"],
        ),
        (
            ["drifted", "drifted", "insufficient-samples", "drifted", "drifted"],
            2,
            ["ok", "drifting", "insufficient-samples", "ok", "drifting"],
        ),
    ],
)
def test_state_sequences(verdicts: list[Verdict], consecutive: int, expected: list[str]) -> None:
    assert run(verdicts, consecutive) == expected


def test_step_all_drops_features_no_longer_seen() -> None:
    previous = {"a": Streak("drifting", 2, 0), "gone": Streak("drifting", 5, 0)}
    stepped = step_all(previous, {"a": "ok", "b": "drifted"}, 2)
    assert stepped == {"a": Streak("drifting", 0, 1), "b": Streak("ok", 1, 0)}


@pytest.mark.parametrize("bad", [None, [], ["drifting", 1], ["nonsense", 0, 0], ["ok", -1, 0], ["ok", True, 0]])
def test_unreadable_json_is_a_fresh_streak(bad: object) -> None:
    assert Streak.from_json(bad) == Streak()


def test_json_round_trip_and_bad_arguments() -> None:
    streak = Streak("drifting", 4, 0)
    assert Streak.from_json(streak.to_json()) == streak
    with pytest.raises(ValueError, match="consecutive"):
        step(streak, "ok", 0)
    with pytest.raises(ValueError, match="unknown drift verdict"):
        step(streak, "maybe", 1)  # type: ignore[arg-type]
