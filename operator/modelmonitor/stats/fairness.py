"""Group fairness gaps from per-group confusion counts.

For a ``group`` (e.g. the unprivileged value of a protected attribute) against a
``reference_group`` (the privileged value; default: every other group pooled):

- statistical parity difference ``SPD = P(ŷ=+ | group) - P(ŷ=+ | reference)`` (0 is parity);
- disparate impact ratio ``DIR = P(ŷ=+ | group) / P(ŷ=+ | reference)`` (1 is parity; the
  "four-fifths rule" flags DIR < 0.8);
- equal opportunity difference ``EOD = TPR(group) - TPR(reference)``.

Counts are merged before the rates are taken. A rate with a zero denominator makes the gap
``None`` (e.g. a group with no rows yet, or no positive predictions in the reference for DIR).
"""

from __future__ import annotations

from modelmonitor.stats.classification import recall, selection_rate
from modelmonitor.stats.outcome_sketches import ConfusionCounts, GroupedConfusion


def _pair(
    grouped: GroupedConfusion, group: str, reference_group: str | None
) -> tuple[ConfusionCounts, ConfusionCounts]:
    if group not in grouped.by_group:
        raise ValueError(f"group {group!r} is not tracked (tracked: {sorted(grouped.by_group)})")
    if reference_group is not None:
        if reference_group not in grouped.by_group:
            raise ValueError(
                f"reference group {reference_group!r} is not tracked (tracked: {sorted(grouped.by_group)})"
            )
        return grouped.by_group[group], grouped.by_group[reference_group]
    rest = ConfusionCounts(grouped.classes)
    for name, counts in grouped.by_group.items():
        if name != group:
            rest.merge(counts)
    return grouped.by_group[group], rest


def statistical_parity_difference(
    grouped: GroupedConfusion, group: str, reference_group: str | None = None, *, positive: str | None = None
) -> float | None:
    """``P(ŷ=+ | group) - P(ŷ=+ | reference)``.

    Examples
    --------
    >>> g = GroupedConfusion(("0", "1"), groups=("f", "m"))
    >>> _ = g.update_batch(["f", "f", "m", "m"], ["1", "0", "1", "0"], ["1", "0", "1", "1"])
    >>> statistical_parity_difference(g, "f", "m")
    -0.5
    """
    mine, theirs = _pair(grouped, group, reference_group)
    a, b = selection_rate(mine, positive), selection_rate(theirs, positive)
    return None if a is None or b is None else a - b


def disparate_impact_ratio(
    grouped: GroupedConfusion, group: str, reference_group: str | None = None, *, positive: str | None = None
) -> float | None:
    """``P(ŷ=+ | group) / P(ŷ=+ | reference)``."""
    mine, theirs = _pair(grouped, group, reference_group)
    a, b = selection_rate(mine, positive), selection_rate(theirs, positive)
    return None if a is None or not b else a / b


def equal_opportunity_difference(
    grouped: GroupedConfusion, group: str, reference_group: str | None = None, *, positive: str | None = None
) -> float | None:
    """``TPR(group) - TPR(reference)``."""
    mine, theirs = _pair(grouped, group, reference_group)
    a, b = recall(mine, positive), recall(theirs, positive)
    return None if a is None or b is None else a - b
