"""The one interface the analysis loop collects through, and its explicit "no data" answer.

A source returns a :class:`Collection` (counts per window, the history they cover, per-pod
outcomes) or :class:`NoData`. "No data" is a value, never an empty count that would read as 0 %
errors: with no answering pod, no target, or an unreachable Prometheus, the loop reports Unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from modelmonitor.api.snapshot import Counts


@dataclass(frozen=True, slots=True)
class NoData:
    """Nothing to evaluate this time, and why (shown in status and logs)."""

    reason: str
    unreachable: tuple[PodOutcome, ...] = ()


@dataclass(frozen=True, slots=True)
class PodOutcome:
    """Whether one pod's sidecar answered; ``error`` says why not."""

    pod: str
    address: str
    error: str | None = None

    @property
    def answered(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Collection:
    """Merged counts per window (seconds), the history they cover, and per-pod outcomes."""

    counts: Mapping[float, Counts | None]
    history_s: float
    """How far back the data reaches: windows covered less than 90 % of their length have no data."""
    pods: tuple[PodOutcome, ...] = field(default_factory=tuple)

    @property
    def answered(self) -> tuple[PodOutcome, ...]:
        return tuple(p for p in self.pods if p.answered)

    @property
    def unreachable(self) -> tuple[PodOutcome, ...]:
        return tuple(p for p in self.pods if not p.answered)


class SnapshotSource(Protocol):
    """Collects the counts of a monitor's windows at time ``now`` (epoch seconds)."""

    async def collect(self, windows: Sequence[float], now: float) -> Collection | NoData: ...
