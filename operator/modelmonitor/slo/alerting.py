"""Judging one SLO against multi-window burn-rate rules, and saying the verdict in one line for on-call.

A rule fires only when **both** of its windows have data and both burn faster than the rule's factor. A
window without data (``None``, or fewer events than ``min_events``) can never make a rule fire and is
listed in the assessment, so status can say "no data over 1h" instead of a reassuring 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from modelmonitor.api.durations import format_duration
from modelmonitor.api.status import SloStatus
from modelmonitor.slo.burn_rate import EventCounts, burn_rate, error_budget_remaining
from modelmonitor.slo.windows import BurnRateRule, Severity, covered_counts, windows_of

_SEVERITY_RANK = {Severity.PAGE: 0, Severity.TICKET: 1}
_RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class BurnAssessment:
    """The burn-rate verdict of one SLO at one evaluation."""

    objective_percent: float
    severity: Severity | None
    """The most urgent severity among firing rules; ``None`` when nothing fires."""
    rule: BurnRateRule | None
    """The firing rule that decided ``severity`` (most urgent, then highest factor)."""
    firing: tuple[BurnRateRule, ...]
    """Every rule that fires."""
    burn_rates: Mapping[float, float | None] = field(default_factory=dict)
    """Burn rate per window in seconds; ``None`` for windows without data."""
    no_data_windows: tuple[float, ...] = ()
    budget_remaining: float | None = None
    """Fraction of the period's budget left, when period counts were given."""

    @property
    def severities(self) -> frozenset[Severity]:
        """Severities of all firing rules (a page can fire while its ticket also does)."""
        return frozenset(rule.severity for rule in self.firing)

    @property
    def worst(self) -> tuple[float, float] | None:
        """``(window_s, burn_rate)`` of the highest burn rate among windows with data."""
        # Ties go to the longest window: it is the better-supported statement.
        known = [(rate, window) for window, rate in self.burn_rates.items() if rate is not None]
        if not known:
            return None
        rate, window = max(known)
        return window, rate


def evaluate_burn(
    rules: Sequence[BurnRateRule],
    counts_by_window: Mapping[float, EventCounts | None],
    objective_percent: float,
    *,
    period_counts: EventCounts | None = None,
    min_events: int = 1,
    history_s: float | None = None,
    min_coverage: float = 0.9,
) -> BurnAssessment:
    """Evaluate the rules on counts per window (keys in seconds).

    Parameters
    ----------
    rules
        Burn-rate rules, e.g. :data:`~modelmonitor.slo.windows.SRE_WORKBOOK_RULES`.
    counts_by_window
        Good/total events per window. A window that is missing, ``None`` (not covered by data, see
        :func:`~modelmonitor.slo.windows.covered_counts`) or has fewer than ``min_events`` events has no data.
    objective_percent
        The SLO objective, e.g. 99.9.
    period_counts
        Events over the whole SLO period, for ``budget_remaining``; ``None`` leaves it unknown.
    min_events
        Fewest events a window needs to be judged; guards low-traffic windows where one error is 100%.
    history_s, min_coverage
        How much history the counts cover (e.g. time since the sidecars or the operator started); a window
        covered less than ``min_coverage`` has no data, so a restart never judges 1h on 10 minutes.

    >>> from modelmonitor.slo.windows import SRE_WORKBOOK_RULES
    >>> counts = {300.0: EventCounts(good=984, total=1000), 3600.0: EventCounts(good=9848, total=10000)}
    >>> verdict = evaluate_burn(SRE_WORKBOOK_RULES, counts, 99.9)
    >>> verdict.severity, round(verdict.burn_rates[3600.0], 1), len(verdict.no_data_windows)
    (<Severity.PAGE: 'page'>, 15.2, 5)
    >>> format_burn_message("availability", verdict)
    'availability burning 15.2× budget over 1h (and 16.0× over 5m): page'
    """
    if min_events < 1:
        raise ValueError(f"min_events must be at least 1, got {min_events}")
    rates: dict[float, float | None] = {}
    for window in windows_of(rules):
        counts = counts_by_window.get(window)
        if history_s is not None:
            counts = covered_counts(counts, history_s, window, min_coverage)
        if counts is None or counts.total < min_events:
            rates[window] = None
        else:
            rates[window] = burn_rate(counts.bad, counts.total, objective_percent)

    def exceeds(rate: float | None, factor: float) -> bool:
        # "Above the factor" beyond float rounding: 0.0144 / 0.001 must not page at factor 14.4.
        return rate is not None and rate > factor * (1 + _RELATIVE_TOLERANCE)

    def fires(rule: BurnRateRule) -> bool:
        return exceeds(rates[rule.long_window_s], rule.factor) and exceeds(rates[rule.short_window_s], rule.factor)

    firing = tuple(rule for rule in rules if fires(rule))
    decisive = min(firing, key=lambda r: (_SEVERITY_RANK[r.severity], -r.factor), default=None)
    remaining = None
    if period_counts is not None and period_counts.total >= min_events:
        remaining = error_budget_remaining(period_counts.bad, period_counts.total, objective_percent)
    return BurnAssessment(
        objective_percent=objective_percent,
        severity=None if decisive is None else decisive.severity,
        rule=decisive,
        firing=firing,
        burn_rates=rates,
        no_data_windows=tuple(w for w, rate in rates.items() if rate is None),
        budget_remaining=remaining,
    )


def format_burn_message(slo_name: str, assessment: BurnAssessment) -> str:
    """One line for on-call, e.g. ``availability burning 15.2× budget over 1h (and 16.0× over 5m): page``."""
    rule = assessment.rule
    if rule is not None:
        long_rate = assessment.burn_rates[rule.long_window_s]
        short_rate = assessment.burn_rates[rule.short_window_s]
        return (
            f"{slo_name} burning {long_rate:.1f}× budget over {format_duration(rule.long_window_s)} "
            f"(and {short_rate:.1f}× over {format_duration(rule.short_window_s)}): {rule.severity.value}"
        )
    worst = assessment.worst
    if worst is None:
        return f"{slo_name}: no data over any alerting window"
    window, rate = worst
    message = f"{slo_name} burning {rate:.1f}× budget over {format_duration(window)}: ok"
    if assessment.no_data_windows:
        missing = ", ".join(format_duration(w) for w in assessment.no_data_windows)
        message += f" (no data over {missing})"
    return message


def slo_status(slo_name: str, assessment: BurnAssessment) -> SloStatus:
    """The SLO's entry in ``status.slos``: worst burn rate and its window, budget left, severity."""
    worst = assessment.worst
    return SloStatus(
        name=slo_name,
        burn_rate=None if worst is None else round(worst[1], 3),
        window=None if worst is None else format_duration(worst[0]),
        budget_remaining=None if assessment.budget_remaining is None else round(assessment.budget_remaining, 4),
        severity=None if assessment.severity is None else assessment.severity.value,
    )
