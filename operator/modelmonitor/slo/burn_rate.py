"""Error ratio, burn rate and error budget of one SLO over one window.

The burn rate is how fast the error budget is spent: ``(bad / total) / (1 - objective)``. A burn rate of
1 spends exactly the whole budget over the SLO period; 14.4 spends it in 1/14.4 of the period.

"No data" is a value of its own: a window without events has no error ratio (``None``), never a ratio of
0. Reporting 0 would claim health that was not observed, and after a restart it would let the short
window of a multi-window rule look clean while the long window is still empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class EventCounts:
    """Good and total events of an SLI over one window; ``bad = total - good``.

    >>> EventCounts(good=995, total=1000).bad
    5
    """

    good: int
    total: int

    def __post_init__(self) -> None:
        if self.good < 0 or self.total < 0:
            raise ValueError(f"event counts must not be negative, got good={self.good} total={self.total}")
        if self.good > self.total:
            raise ValueError(f"good events ({self.good}) exceed total events ({self.total})")

    @property
    def bad(self) -> int:
        """Events that spent error budget."""
        return self.total - self.good

    @classmethod
    def from_bad(cls, bad: int, total: int) -> EventCounts:
        """Counts given bad and total events."""
        if bad < 0 or bad > total:
            raise ValueError(f"bad events must lie in [0, total={total}], got {bad}")
        return cls(good=total - bad, total=total)

    def __add__(self, other: EventCounts) -> EventCounts:
        return EventCounts(good=self.good + other.good, total=self.total + other.total)


def error_budget(objective_percent: float) -> float:
    """The allowed fraction of bad events, ``1 - objective / 100``.

    Computed in decimal from the objective as written, so ``99.9`` gives exactly ``0.001`` rather than
    ``0.000999999999999943`` (which would make a 0.0144 error ratio burn "above" 14.4).

    >>> error_budget(99.9)
    0.001
    """
    if not 0 < objective_percent < 100:
        raise ValueError(f"objective must lie strictly between 0 and 100 percent, got {objective_percent}")
    return float((Decimal(100) - Decimal(repr(float(objective_percent)))) / Decimal(100))


def error_ratio(bad: int, total: int) -> float | None:
    """``bad / total``, or ``None`` (no data) when there were no events.

    >>> error_ratio(5, 1000)
    0.005
    >>> error_ratio(0, 0) is None
    True
    """
    if bad < 0 or total < 0 or bad > total:
        raise ValueError(f"need 0 <= bad <= total, got bad={bad} total={total}")
    if total == 0:
        return None
    return bad / total


def burn_rate(bad: int, total: int, objective_percent: float) -> float | None:
    """Burn rate ``(bad / total) / (1 - objective)``; ``None`` when there were no events.

    Parameters
    ----------
    bad, total
        Events that spent error budget, and all events, in the window.
    objective_percent
        The SLO objective in percent, e.g. ``99.9``.

    >>> round(burn_rate(144, 10000, 99.9), 6)
    14.4
    """
    budget = error_budget(objective_percent)
    ratio = error_ratio(bad, total)
    return None if ratio is None else ratio / budget


def error_budget_remaining(bad: int, total: int, objective_percent: float) -> float | None:
    """Fraction of the period's error budget left, ``1 - (bad / total) / (1 - objective)``.

    Negative once the budget is overspent (it says by how much); ``None`` without events. ``bad`` and
    ``total`` are counted over the whole SLO period (e.g. 30d).

    >>> round(error_budget_remaining(25, 100000, 99.9), 6)
    0.75
    """
    rate = burn_rate(bad, total, objective_percent)
    return None if rate is None else 1.0 - rate
