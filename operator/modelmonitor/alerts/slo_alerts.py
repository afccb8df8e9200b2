"""Alerts raised by burning SLOs: one alert per firing severity, named as the generated Prometheus rules name them.

The operator's own alerts and those of the ``PrometheusRule`` from ``modelmonitor rules`` share the
alert name and the ``slo``/``sli``/``severity`` labels, so a receiver treats both alike.
"""

from __future__ import annotations

from collections.abc import Mapping

from modelmonitor.alerts.model import Alert
from modelmonitor.api.spec import Slo
from modelmonitor.slo.alerting import BurnAssessment, format_burn_message

BURN_ALERT_NAME = "ModelMonitorErrorBudgetBurn"


def burn_alerts(
    slo: Slo, assessment: BurnAssessment, labels: Mapping[str, str], runbook_url: str | None = None
) -> list[Alert]:
    """The alerts of one SLO's assessment: none when nothing fires, else one per firing severity.

    ``labels`` identify the model (e.g. ``namespace``, ``monitor``, ``model``, ``version``); they cannot
    override the alert's own ``alertname``, ``slo``, ``sli`` and ``severity``.
    """
    alerts = []
    for severity in sorted(assessment.severities):
        annotations = {
            "summary": format_burn_message(slo.name, assessment),
            "description": (
                f"SLO {slo.name} ({slo.sli.value}, objective {slo.objective:g}% over {slo.window}) "
                f"is burning its error budget; severity {severity.value}."
            ),
        }
        if assessment.budget_remaining is not None:
            annotations["budget_remaining"] = f"{assessment.budget_remaining:.1%}"
        if runbook_url:
            annotations["runbook_url"] = runbook_url
        alert_labels = {
            **labels,
            "alertname": BURN_ALERT_NAME,
            "slo": slo.name,
            "sli": slo.sli.value,
            "severity": severity.value,
        }
        alerts.append(Alert(labels=alert_labels, annotations=annotations))
    return alerts
