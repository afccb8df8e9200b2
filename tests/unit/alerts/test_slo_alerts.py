"""Alerts from SLO burn assessments.

We test these aspects:
- no alert when nothing burns; one alert per firing severity otherwise, with the shared alert name and the
  slo, sli, severity labels (which caller labels cannot override);
- annotations carry the on-call message, the budget left and the runbook link when known;
- they flow through the dispatcher: the page alert goes to the page route, the ticket to the default one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from modelmonitor.alerts.dispatch import AlertState, DispatchConfig, Route, dispatch
from modelmonitor.alerts.slo_alerts import BURN_ALERT_NAME, burn_alerts
from modelmonitor.api.spec import Slo
from modelmonitor.slo.alerting import BurnAssessment, evaluate_burn
from modelmonitor.slo.burn_rate import EventCounts
from modelmonitor.slo.windows import SRE_WORKBOOK_RULES, windows_of

SLO = Slo.model_validate({"name": "availability", "sli": "error-rate", "objective": 99.9})
LABELS = {"namespace": "ml", "monitor": "fraud", "model": "fraud", "version": "v1"}


def assess(bad_per_million: int, period_bad: int | None = None) -> BurnAssessment:
    counts = EventCounts.from_bad(bad_per_million, 1_000_000)
    period = None if period_bad is None else EventCounts.from_bad(period_bad, 1_000_000)
    return evaluate_burn(
        SRE_WORKBOOK_RULES, dict.fromkeys(windows_of(SRE_WORKBOOK_RULES), counts), 99.9, period_counts=period
    )


def test_no_alert_when_quiet() -> None:
    assert burn_alerts(SLO, assess(500), LABELS) == []


def test_page_and_ticket_alerts() -> None:
    alerts = burn_alerts(SLO, assess(20_000, period_bad=400), LABELS | {"severity": "x"}, "http://runbook")
    assert [a.labels for a in alerts] == [
        LABELS | {"alertname": BURN_ALERT_NAME, "slo": "availability", "sli": "error-rate", "severity": s}
        for s in ("page", "ticket")
    ]
    annotations = alerts[0].annotations
    assert annotations["summary"] == "availability burning 20.0× budget over 1h (and 20.0× over 5m): page"
    assert annotations["budget_remaining"] == "60.0%"
    assert annotations["runbook_url"] == "http://runbook"
    assert "objective 99.9% over 30d" in annotations["description"]


def test_ticket_only() -> None:
    alerts = burn_alerts(SLO, assess(2_000), LABELS)
    assert [a.severity for a in alerts] == ["ticket"]
    assert "runbook_url" not in alerts[0].annotations


def test_routed_through_the_dispatcher() -> None:
    alerts = burn_alerts(SLO, assess(20_000), LABELS)
    sent, _ = dispatch(alerts, AlertState(), datetime(2026, 11, 27, tzinfo=UTC), DispatchConfig())
    assert [(n.route, len(n.alerts)) for n in sent] == [(Route.DEFAULT, 1), (Route.PAGE, 1)]
