"""Multi-window burn-rate evaluation of one SLO, and its one-line message.

We test these aspects:
- each workbook rule fires just above its factor and not at it, and only when BOTH windows exceed it;
- the most urgent severity wins (page over ticket), and every firing rule is listed;
- restart safety: a window without data (None, missing, zero events, under min_events, or covered by less
  history than min_coverage) never fires a rule, even when the other window burns hot, and is listed as "no data";
- worst burn rate and its window; budget remaining from period counts;
- the on-call message for firing, quiet and no-data verdicts; the status entry.
"""

from __future__ import annotations

import pytest

from modelmonitor.api.status import SloStatus
from modelmonitor.slo.alerting import BurnAssessment, evaluate_burn, format_burn_message, slo_status
from modelmonitor.slo.burn_rate import EventCounts
from modelmonitor.slo.windows import DAY, HOUR, SRE_WORKBOOK_RULES, BurnRateRule, Severity, windows_of

OBJECTIVE = 99.9
TOTAL = 1_000_000


def at_burn(rate: float) -> EventCounts:
    """A million events burning at ``rate`` times the 99.9% budget (bad = rate * 1000)."""
    return EventCounts.from_bad(round(rate * TOTAL * 0.001), TOTAL)


def all_windows(rate: float) -> dict[float, EventCounts | None]:
    return dict.fromkeys(windows_of(SRE_WORKBOOK_RULES), at_burn(rate))


def evaluate(counts: dict[float, EventCounts | None], **kwargs: object) -> BurnAssessment:
    return evaluate_burn(SRE_WORKBOOK_RULES, counts, OBJECTIVE, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("rule", SRE_WORKBOOK_RULES, ids=lambda r: f"{r.severity}-{r.long_window_s:g}")
def test_rule_fires_just_above_its_factor_and_only_with_both_windows(rule: BurnRateRule) -> None:
    quiet = all_windows(0.5)
    above = at_burn(rule.factor + 0.1)
    both = quiet | {rule.long_window_s: above, rule.short_window_s: above}
    assert rule in evaluate(both).firing
    at_factor = quiet | {rule.long_window_s: at_burn(rule.factor), rule.short_window_s: at_burn(rule.factor)}
    assert rule not in evaluate(at_factor).firing
    assert rule not in evaluate(quiet | {rule.long_window_s: above}).firing
    assert rule not in evaluate(quiet | {rule.short_window_s: above}).firing


@pytest.mark.parametrize(
    ("rate", "severity", "firing_factors"),
    [
        (0.5, None, []),
        (1.5, Severity.TICKET, [1.0]),
        (4.0, Severity.TICKET, [3.0, 1.0]),
        (10.0, Severity.PAGE, [6.0, 3.0, 1.0]),
        (20.0, Severity.PAGE, [14.4, 6.0, 3.0, 1.0]),
    ],
)
def test_severity_under_uniform_burn(rate: float, severity: Severity | None, firing_factors: list[float]) -> None:
    verdict = evaluate(all_windows(rate))
    assert verdict.severity is severity
    assert [r.factor for r in verdict.firing] == pytest.approx(firing_factors)
    assert verdict.severities == {r.severity for r in verdict.firing}
    if firing_factors:
        assert verdict.rule is not None
        assert verdict.rule.factor == pytest.approx(max(firing_factors))
    else:
        assert verdict.rule is None
    assert verdict.no_data_windows == ()


def test_short_spike_alone_does_not_page() -> None:
    counts = all_windows(0.2) | {300.0: at_burn(100.0)}
    verdict = evaluate(counts)
    assert verdict.severity is None
    assert verdict.worst is not None
    assert verdict.worst[0] == 300.0
    assert verdict.worst[1] == pytest.approx(100.0)


@pytest.mark.parametrize(
    "missing_long",
    [
        pytest.param(None, id="none"),
        pytest.param(EventCounts(good=0, total=0), id="zero-events"),
        pytest.param("absent", id="key-absent"),
    ],
)
def test_no_data_in_long_window_never_fires(missing_long: EventCounts | str | None) -> None:
    # After a restart: the 5m window is on fire but the 1h and longer windows are not covered yet.
    counts: dict[float, EventCounts | None] = {300.0: at_burn(100.0), 1800.0: at_burn(100.0), 7200.0: None}
    for window in (HOUR, 6 * HOUR, DAY, 3 * DAY, 6 * HOUR):
        if missing_long == "absent":
            counts.pop(window, None)
        else:
            counts[window] = missing_long  # type: ignore[assignment]
    verdict = evaluate(counts)
    assert verdict.severity is None
    assert verdict.firing == ()
    assert verdict.no_data_windows == (HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY)
    assert verdict.burn_rates[HOUR] is None


def test_restart_rebuilds_windows_before_alerting() -> None:
    # The sidecars restarted 10 minutes ago and are burning hot: the counts of every window are really the
    # last 10 minutes. Only windows that history covers are judged, so nothing pages until 1h is covered.
    hot = all_windows(100.0)
    ten_minutes = evaluate(hot, history_s=600)
    assert ten_minutes.severity is None
    assert ten_minutes.no_data_windows == (1800.0, HOUR, 2 * HOUR, 6 * HOUR, DAY, 3 * DAY)
    assert ten_minutes.burn_rates[300.0] == pytest.approx(100.0)
    assert evaluate(hot, history_s=0.85 * HOUR).severity is None
    fifty_four_minutes = evaluate(hot, history_s=0.9 * HOUR)
    assert fifty_four_minutes.severity is Severity.PAGE
    assert fifty_four_minutes.rule == SRE_WORKBOOK_RULES[0]
    assert evaluate(hot, history_s=1800, min_coverage=0.5).rule == SRE_WORKBOOK_RULES[0]


def test_min_events_makes_thin_windows_no_data() -> None:
    counts = all_windows(20.0) | {300.0: EventCounts.from_bad(1, 3)}
    assert evaluate(counts, min_events=10).rule == SRE_WORKBOOK_RULES[1]
    assert 300.0 in evaluate(counts, min_events=10).no_data_windows
    assert evaluate(counts).rule == SRE_WORKBOOK_RULES[0]
    with pytest.raises(ValueError, match="min_events"):
        evaluate(counts, min_events=0)


def test_worst_prefers_longest_window_on_ties() -> None:
    worst = evaluate(all_windows(2.0)).worst
    assert worst is not None
    assert worst[0] == 3 * DAY
    assert worst[1] == pytest.approx(2.0)
    assert evaluate({}).worst is None


def test_budget_remaining_from_period_counts() -> None:
    verdict = evaluate(all_windows(0.5), period_counts=EventCounts.from_bad(250, 1_000_000))
    assert verdict.budget_remaining == pytest.approx(0.75)
    assert evaluate(all_windows(0.5)).budget_remaining is None
    assert evaluate(all_windows(0.5), period_counts=EventCounts(0, 0)).budget_remaining is None


def test_message_when_paging() -> None:
    counts = all_windows(0.5) | {HOUR: EventCounts.from_bad(152, 10_000), 300.0: EventCounts.from_bad(16, 1000)}
    assert format_burn_message("availability", evaluate(counts)) == (
        "availability burning 15.2× budget over 1h (and 16.0× over 5m): page"
    )


def test_message_when_quiet_and_partly_without_data() -> None:
    counts: dict[float, EventCounts | None] = {300.0: at_burn(0.4), HOUR: at_burn(0.7)}
    assert format_burn_message("latency", evaluate(counts)) == (
        "latency burning 0.7× budget over 1h: ok (no data over 30m, 2h, 6h, 1d, 3d)"
    )


def test_message_without_any_data() -> None:
    assert format_burn_message("accuracy", evaluate({})) == "accuracy: no data over any alerting window"


def test_slo_status() -> None:
    counts = all_windows(0.5) | {HOUR: at_burn(20.0), 300.0: at_burn(16.0)}
    verdict = evaluate(counts, period_counts=EventCounts.from_bad(250, 1_000_000))
    assert slo_status("availability", verdict) == SloStatus(
        name="availability", burn_rate=20.0, window="1h", budget_remaining=0.75, severity="page"
    )
    assert slo_status("latency", evaluate({})) == SloStatus(name="latency")
