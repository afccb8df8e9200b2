"""Consecutive-N hysteresis for drift verdicts: one noisy window never flips a feature.

A feature becomes *drifting* after ``consecutive`` drifted evaluations in a row and stops after
``consecutive`` clean ones in a row; in between it keeps its state. An evaluation with too few
samples is neither: the feature's state becomes ``insufficient-samples`` (said as such in status,
never an alert) and both streaks restart, because an unjudged window says nothing either way.

The state is plain JSON (:meth:`Streak.to_json`), kept by the analysis loop in its state
ConfigMap so that an operator restart neither re-counts nor forgets a streak.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

State = Literal["ok", "drifting", "insufficient-samples"]
Verdict = Literal["ok", "drifted", "insufficient-samples"]
_STATES: frozenset[str] = frozenset({"ok", "drifting", "insufficient-samples"})


@dataclass(frozen=True, slots=True)
class Streak:
    """The hysteresis state of one feature.

    ``state`` is what status reports; ``drifted`` and ``clean`` count the current run of drifted and
    clean verdicts (only one of them is non-zero).
    """

    state: State = "ok"
    drifted: int = 0
    clean: int = 0

    def to_json(self) -> list[Any]:
        """Compact JSON form ``[state, drifted, clean]``."""
        return [self.state, self.drifted, self.clean]

    @classmethod
    def from_json(cls, data: object) -> Streak:
        """Inverse of :meth:`to_json`; anything unreadable is a fresh streak (state lost, never invented).

        >>> Streak.from_json(["drifting", 3, 0])
        Streak(state='drifting', drifted=3, clean=0)
        >>> Streak.from_json("garbage")
        Streak(state='ok', drifted=0, clean=0)
        """
        if (
            isinstance(data, list)
            and len(data) == 3
            and data[0] in _STATES
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in data[1:])
        ):
            return cls(data[0], data[1], data[2])
        return cls()


def step(previous: Streak, verdict: Verdict, consecutive: int) -> Streak:
    """The streak after one more verdict.

    Parameters
    ----------
    previous
        The feature's streak before this evaluation.
    verdict
        This evaluation's raw verdict (``DriftResult.verdict``).
    consecutive
        Verdicts in a row needed to flip (``spec.drift.consecutive``), at least 1.

    >>> s = Streak()
    >>> s = step(s, "drifted", 2); s.state
    'ok'
    >>> s = step(s, "drifted", 2); s.state
    'drifting'
    >>> s = step(s, "ok", 2); s.state
    'drifting'
    >>> step(s, "insufficient-samples", 2).state
    'insufficient-samples'
    """
    if consecutive < 1:
        raise ValueError(f"consecutive must be at least 1, got {consecutive}")
    if verdict == "insufficient-samples":
        return Streak("insufficient-samples", 0, 0)
    if verdict == "drifted":
        # Runs are capped at N: past it nothing changes, so the persisted state stays put while steady.
        drifted = min(previous.drifted + 1, consecutive)
        state: State = "drifting" if drifted >= consecutive else _settled(previous.state)
        return Streak(state, drifted, 0)
    if verdict == "ok":
        clean = min(previous.clean + 1, consecutive)
        state = "ok" if clean >= consecutive or previous.state != "drifting" else "drifting"
        return Streak(state, 0, clean)
    raise ValueError(f"unknown drift verdict {verdict!r}")


def _settled(state: State) -> State:
    # Coming back from an unjudged stretch, a feature is not drifting until N drifted verdicts say so.
    return "drifting" if state == "drifting" else "ok"


def step_all(previous: Mapping[str, Streak], verdicts: Mapping[str, Verdict], consecutive: int) -> dict[str, Streak]:
    """Step every feature that has a verdict; features without one this time are dropped (no longer watched)."""
    return {name: step(previous.get(name, Streak()), verdict, consecutive) for name, verdict in verdicts.items()}
