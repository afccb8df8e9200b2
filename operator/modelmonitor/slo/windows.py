"""The multi-window, multi-burn-rate policy of the Google SRE workbook, for any SLO period.

A rule fires when the error ratio over a long **and** a short window both exceed ``factor`` times the
error budget. The factor follows from how much of the period's budget may burn within the long window
before someone is told: burning at rate ``f`` for ``w`` spends ``f * w / P`` of the budget, so

    factor = budget_consumed * P / w

(Sloth's ``getBurnRateFactor``). For a 30-day period the workbook's 2%, 5%, 10%, 10% over 1h, 6h, 1d, 3d
give 14.4, 6, 3, 1; for 28 days they give 13.44, 5.6, 2.8, 0.93. Windows stay fixed (they are about how
fast a human must react); only the factors scale with the period, as Sloth does. The short window (1/12
of the long one) makes the alert stop soon after the problem does.

Users may replace the workbook's rows per ModelMonitor (``spec.alerting.burnRateRules``, read by
:func:`spec_policy`); the analysis loop and the PrometheusRule generator both take their rows from there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from modelmonitor.api.durations import parse_duration
from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.slo.burn_rate import EventCounts

HOUR = 3600.0
DAY = 86400.0
THIRTY_DAYS = 30 * DAY


class Severity(StrEnum):
    """Who is told: a page wakes someone now, a ticket is handled in working hours."""

    PAGE = "page"
    TICKET = "ticket"


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    """One row of the policy, independent of the period: alert when this share of the budget burns."""

    severity: Severity
    long_window_s: float
    short_window_s: float
    budget_consumed: float
    """Fraction of the period's error budget, e.g. 0.02 for 2%."""

    def __post_init__(self) -> None:
        if not 0 < self.short_window_s <= self.long_window_s:
            raise ValueError(
                f"need 0 < short window <= long window, got {self.short_window_s}s and {self.long_window_s}s"
            )
        if not 0 < self.budget_consumed <= 1:
            raise ValueError(f"budget consumed must lie in (0, 1], got {self.budget_consumed}")


@dataclass(frozen=True, slots=True)
class BurnRateRule:
    """A multi-window alert condition: both windows' burn rates above ``factor``."""

    severity: Severity
    long_window_s: float
    short_window_s: float
    factor: float

    def __post_init__(self) -> None:
        if not 0 < self.short_window_s <= self.long_window_s:
            raise ValueError(
                f"need 0 < short window <= long window, got {self.short_window_s}s and {self.long_window_s}s"
            )
        if self.factor <= 0:
            raise ValueError(f"burn-rate factor must be positive, got {self.factor}")


SRE_WORKBOOK_POLICY: tuple[BudgetPolicy, ...] = (
    BudgetPolicy(Severity.PAGE, long_window_s=1 * HOUR, short_window_s=5 * 60.0, budget_consumed=0.02),
    BudgetPolicy(Severity.PAGE, long_window_s=6 * HOUR, short_window_s=30 * 60.0, budget_consumed=0.05),
    BudgetPolicy(Severity.TICKET, long_window_s=1 * DAY, short_window_s=2 * HOUR, budget_consumed=0.10),
    BudgetPolicy(Severity.TICKET, long_window_s=3 * DAY, short_window_s=6 * HOUR, budget_consumed=0.10),
)
"""The SRE workbook's pages and tickets ("Alerting on SLOs", as in Sloth's google-30d/28d windows)."""


def spec_policy(spec: ModelMonitorSpec) -> tuple[BudgetPolicy, ...]:
    """The policy rows of a spec: ``spec.alerting.burnRateRules``, or the workbook's when it is omitted.

    >>> from modelmonitor.api.spec import ModelMonitorSpec
    >>> spec = ModelMonitorSpec.model_validate({"target": {"deployment": "m"}, "alerting": {"burnRateRules": [
    ...     {"severity": "page", "longWindow": "2h", "shortWindow": "10m", "budgetPercent": 4}]}})
    >>> spec_policy(spec)
    (BudgetPolicy(severity=<Severity.PAGE: 'page'>, long_window_s=7200.0, short_window_s=600.0, budget_consumed=0.04),)
    """
    rows = spec.alerting.burn_rate_rules
    if rows is None:
        return SRE_WORKBOOK_POLICY
    return tuple(
        BudgetPolicy(
            Severity(row.severity.value),
            long_window_s=parse_duration(row.long_window),
            short_window_s=parse_duration(row.short_window),
            budget_consumed=row.budget_percent / 100,
        )
        for row in rows
    )


def burn_rate_factor(budget_consumed: float, period_s: float, long_window_s: float) -> float:
    """The burn rate that spends ``budget_consumed`` of the budget within ``long_window_s``.

    >>> round(burn_rate_factor(0.02, 30 * 86400, 3600), 6)
    14.4
    """
    if period_s <= 0 or long_window_s <= 0:
        raise ValueError(f"period and window must be positive, got {period_s}s and {long_window_s}s")
    return budget_consumed * period_s / long_window_s


def rules_for_period(period_s: float, policy: Sequence[BudgetPolicy] = SRE_WORKBOOK_POLICY) -> tuple[BurnRateRule, ...]:
    """Burn-rate rules for an SLO period, with factors derived from the policy's budget shares.

    Rows whose long window is longer than the period are left out: a 1-day SLO has no 3-day ticket.
    """
    if period_s <= 0:
        raise ValueError(f"SLO period must be positive, got {period_s}s")
    rules = []
    for row in policy:
        if row.long_window_s > period_s:
            continue
        factor = burn_rate_factor(row.budget_consumed, period_s, row.long_window_s)
        rules.append(BurnRateRule(row.severity, row.long_window_s, row.short_window_s, factor))
    return tuple(rules)


SRE_WORKBOOK_RULES: tuple[BurnRateRule, ...] = rules_for_period(THIRTY_DAYS)
"""Pages at 14.4 (1h & 5m) and 6 (6h & 30m), tickets at 3 (1d & 2h) and 1 (3d & 6h)."""


def windows_of(rules: Iterable[BurnRateRule]) -> tuple[float, ...]:
    """Every window the rules read, shortest first: what the analysis loop must count events over."""
    return tuple(sorted({w for rule in rules for w in (rule.long_window_s, rule.short_window_s)}))


def covered_counts(
    counts: EventCounts | None, observed_s: float, window_s: float, min_coverage: float = 0.9
) -> EventCounts | None:
    """``counts`` if data covers at least ``min_coverage`` of the window, else ``None`` (no data).

    After an operator or sidecar restart the rings hold less history than the long windows span; a
    1h window with 10 minutes of data must not stand in for an hour, whatever it counted.
    """
    if not 0 < min_coverage <= 1:
        raise ValueError(f"min_coverage must lie in (0, 1], got {min_coverage}")
    if window_s <= 0:
        raise ValueError(f"window must be positive, got {window_s}s")
    return counts if observed_s >= min_coverage * window_s else None
