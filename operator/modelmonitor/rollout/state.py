"""The rollout state machine's memory, kept in ``status.canary`` so that restarts lose nothing.

The operator holds no rollout state in memory: every decision starts from :class:`RolloutState`
read back from the ModelMonitor's status, which makes decisions idempotent across restarts and
leader changes. Times are stored as RFC 3339 strings (readable by on-call, exact to the
microsecond) and handled as Unix seconds in code. The first seven keys are those of
``CanaryStatus`` in :mod:`modelmonitor.api.status`; the others are proposed additions to it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Self


class RolloutPhase(StrEnum):
    """States of the rollout state machine (``status.canary.state``)."""

    IDLE = "Idle"
    """No rollout: no canary, or its template equals the stable one."""
    PROGRESSING = "Progressing"
    """At a step, waiting for its interval to end before the gates are judged."""
    HOLDING = "Holding"
    """A check was due but the evidence was insufficient; re-judged every tick until the deadline."""
    PAUSED = "Paused"
    """``spec.canary.paused``: replicas stay as they are."""
    PROMOTING = "Promoting"
    """The stable Deployment got the canary's template; waiting for it to roll out."""
    BAKING = "Baking"
    """Post-promotion guard: the promoted version is still watched until the bake window ends."""
    PROMOTED = "Promoted"
    """Done: the revision is the last good one."""
    ROLLED_BACK = "RolledBack"
    """The canary failed (or was aborted) and was scaled to zero; waits for a new canary template."""
    FROZEN = "Frozen"
    """The canary failed under ``failurePolicy: freeze``: replicas held for a human to decide."""
    STALLED = "Stalled"
    """The progress deadline passed without enough evidence: never a rollback, still re-judged."""


ACTIVE_PHASES = frozenset(
    {RolloutPhase.PROGRESSING, RolloutPhase.HOLDING, RolloutPhase.PAUSED, RolloutPhase.STALLED, RolloutPhase.PROMOTING}
)
"""States in which the canary Deployment serves traffic under the operator's control."""

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")

_TIME_FIELDS = ("step_started_at", "last_check_at", "holding_since", "bake_until")


@dataclass(frozen=True)
class RolloutState:
    """Where a rollout stands.

    Times are Unix seconds. ``stable_revision`` is the stable template the rollout started from
    (what a post-promotion breach restores); ``last_good_revision`` only moves once a promoted
    revision has baked. ``handled_abort`` and ``handled_promote`` are the last values of the
    abort and promote annotations acted on (or present when the rollout started), so a manual
    request is honoured once however often it is observed, and a stale one never acts.
    """

    state: RolloutPhase = RolloutPhase.IDLE
    step: int = 0
    weight: int = 0
    failed_checks: int = 0
    revision: str | None = None
    last_good_revision: str | None = None
    message: str | None = None
    stable_revision: str | None = None
    rolled_back_from: str | None = None
    total_replicas: int | None = None
    step_started_at: float | None = None
    last_check_at: float | None = None
    holding_since: float | None = None
    bake_until: float | None = None
    reason: Mapping[str, Any] | None = field(default=None, compare=True)
    handled_abort: str | None = None
    handled_promote: str | None = None
    overdue: bool = False

    def __post_init__(self) -> None:
        if self.step < 0:
            raise ValueError(f"step must be >= 0, got {self.step}")
        if not 0 <= self.weight <= 100:
            raise ValueError(f"weight must be within [0, 100], got {self.weight}")
        if self.failed_checks < 0:
            raise ValueError(f"failedChecks must be >= 0, got {self.failed_checks}")
        if self.total_replicas is not None and self.total_replicas < 0:
            raise ValueError(f"totalReplicas must be >= 0, got {self.total_replicas}")

    def evolve(self, **changes: Any) -> Self:
        """A copy with ``changes`` applied (the state is immutable)."""
        return replace(self, **changes)

    def to_status(self) -> dict[str, Any]:
        """The camelCase JSON written to ``status.canary``; keys with no value are left out."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (f.name == "overdue" and not value):
                continue
            key = _camel(f.name)
            if f.name in _TIME_FIELDS:
                out[key] = format_time(value)
            elif f.name == "state":
                out[key] = value.value
            elif f.name == "reason":
                out[key] = dict(value)
            else:
                out[key] = value
        return out

    @classmethod
    def from_status(cls, status: Mapping[str, Any] | None) -> Self:
        """Read ``status.canary`` back; a missing status is a fresh, idle rollout.

        Unknown keys (written by a newer operator) are ignored; a malformed value raises
        ``ValueError`` naming the key, because guessing a rollout's state could restart it.
        """
        if not status:
            return cls()
        values: dict[str, Any] = {}
        for f in fields(cls):
            key = _camel(f.name)
            if key not in status or status[key] is None:
                continue
            raw = status[key]
            try:
                values[f.name] = _parse_field(f.name, raw)
            except (TypeError, ValueError) as err:
                raise ValueError(f"status.canary.{key}: {err}") from None
        return cls(**values)


def format_time(seconds: float) -> str:
    """RFC 3339 UTC time with a ``Z`` suffix; microseconds only when present.

    >>> format_time(0)
    '1970-01-01T00:00:00Z'
    >>> format_time(1.5)
    '1970-01-01T00:00:01.500000Z'
    """
    moment = datetime.fromtimestamp(seconds, UTC)
    text = moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def parse_time(text: str) -> float:
    """Unix seconds of an RFC 3339 time (the inverse of :func:`format_time`).

    >>> parse_time("1970-01-01T00:01:00Z")
    60.0
    """
    if not isinstance(text, str) or not _RFC3339.match(text):
        raise ValueError(f"expected an RFC 3339 time, got {text!r}")
    # Python 3.11 parses "Z" and fractions (truncated to microseconds) itself.
    return datetime.fromisoformat(text).timestamp()


def _parse_field(name: str, raw: Any) -> Any:
    if name == "state":
        if raw not in RolloutPhase._value2member_map_:
            raise ValueError(f"unknown state {raw!r}; expected one of {[p.value for p in RolloutPhase]}")
        return RolloutPhase(raw)
    if name in _TIME_FIELDS:
        return parse_time(raw)
    if name in ("step", "weight", "failed_checks", "total_replicas"):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise TypeError(f"expected an integer, got {raw!r}")
        return raw
    if name == "overdue":
        if not isinstance(raw, bool):
            raise TypeError(f"expected a boolean, got {raw!r}")
        return raw
    if name == "reason":
        if not isinstance(raw, Mapping):
            raise TypeError(f"expected an object, got {raw!r}")
        return dict(raw)
    if not isinstance(raw, str):
        raise TypeError(f"expected a string, got {raw!r}")
    return raw


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
