"""A ``monitoring.coreos.com/v1`` ``PrometheusRule`` for a ModelMonitor's SLOs, in Sloth's style.

For each SLO three rule groups are generated:

- SLI recordings: ``slo:sli_error:ratio_rate<w>`` for every window of the burn-rate policy (by default
  5m, 30m, 1h, 2h, 6h, 1d, 3d; ``spec.alerting.burnRateRules`` when given) and for the SLO period;
  plus ``slo:sli_events:rate5m`` and ``slo:sli_bad_events:rate5m``, from which the period ratio is computed.
- Metadata recordings: ``slo:objective:ratio``, ``slo:error_budget:ratio``, ``slo:time_period:days``,
  ``slo:current_burn_rate:ratio``, ``slo:period_burn_rate:ratio``, ``slo:period_error_budget_remaining:ratio``.
- Alerts: ``ModelMonitorErrorBudgetBurn`` with ``severity: page`` (1h & 5m over 14.4, or 6h & 30m over 6
  for a 30-day period) and ``severity: ticket`` (1d & 2h over 3, or 3d & 6h over 1), or the spec's own
  ``alerting.burnRateRules``; factors follow the period as in :mod:`modelmonitor.slo.windows`. Latency SLOs also get
  ``ModelMonitorLatencyBucketMissing``, as a threshold that is not a bucket bound would otherwise leave
  the SLO silently without data.

Unlike Sloth, which averages the 5m *ratios* over the period (so a quiet night weighs as much as a busy
day), the period ratio here is ``sum_over_time`` of bad-event rates over ``sum_over_time`` of event rates:
an event-weighted ratio that costs no more.

Assumptions about the sidecar's metrics (the names its recorder exports):

- ``modelmonitor_requests_total{model, version, cohort, code}``: requests by status class, ``code`` in
  ``"1xx"``..``"5xx"``. Requests the proxy could not forward are counted with ``code="5xx"`` (the client
  saw a 502/504). A window with requests but no 5xx series yet counts as 0 errors (``or vector(0)``); a
  window without requests has no data and never alerts.
- ``modelmonitor_request_duration_seconds_bucket{le, model, version, cohort}`` (and ``_count``): a
  histogram in seconds, whose bounds include every latency SLO's ``thresholdSeconds``, formatted as
  ``prometheus_client`` formats ``le`` (``0.3``, ``1.0``).
- ``modelmonitor_feedback_predictions_total{outcome="correct"|"incorrect", model, version, cohort}``:
  labelled predictions after the label joined.

Drift SLOs are judged by the operator (drift is computed from merged sketches, not from a Prometheus
series) and get no rules; :func:`unsupported_slos` lists them with the reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from modelmonitor.api.durations import format_duration, parse_duration
from modelmonitor.api.spec import ModelMonitorSpec, SliKind, Slo
from modelmonitor.slo.windows import (
    SRE_WORKBOOK_POLICY,
    BudgetPolicy,
    BurnRateRule,
    rules_for_period,
    spec_policy,
    windows_of,
)

REQUESTS = "modelmonitor_requests_total"
DURATION = "modelmonitor_request_duration_seconds"
FEEDBACK = "modelmonitor_feedback_predictions_total"
BURN_ALERT_NAME = "ModelMonitorErrorBudgetBurn"
BUCKET_ALERT_NAME = "ModelMonitorLatencyBucketMissing"
RATE_WINDOW = 5 * 60.0
"""The shortest window; its rate feeds the current burn rate and the period ratio."""


def go_float(value: float) -> str:
    """A float as ``prometheus_client`` writes it into ``le`` labels (``0.3``, ``1.0``, ``1e+07``)."""
    text = repr(float(value))
    dot = text.find(".")
    if value > 0 and dot > 6:
        mantissa = f"{text[0]}.{text[1:dot]}{text[dot + 1 :]}".rstrip("0.")
        return f"{mantissa}e+0{dot - 1}"
    return text


def _quote(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def _selector(labels: Mapping[str, str], regex: Mapping[str, str] | None = None, **extra: str) -> str:
    pairs = [f"{name}={_quote(value)}" for name, value in {**labels, **extra}.items()]
    pairs += [f"{name}=~{_quote(pattern)}" for name, pattern in (regex or {}).items()]
    return "{" + ",".join(pairs) + "}"


def _decimal(value: Decimal) -> str:
    return format(value.normalize(), "f")


def error_budget_text(objective_percent: float) -> str:
    """The budget ``1 - objective`` as an exact decimal literal (``99.9`` gives ``0.001``)."""
    return _decimal((Decimal(100) - Decimal(repr(float(objective_percent)))) / Decimal(100))


def _factor_text(factor: float) -> str:
    return f"{factor:.10g}"


def unsupported_slos(spec: ModelMonitorSpec) -> list[tuple[str, str]]:
    """SLOs that get no Prometheus rules, with the reason."""
    return [
        (slo.name, "drift is judged by the operator from merged sketches; there is no Prometheus series for it")
        for slo in spec.slos
        if slo.sli is SliKind.DRIFT
    ]


def sli_rates(slo: Slo, selector: Mapping[str, str], window: str) -> tuple[str, str]:
    """PromQL for (bad events per second, events per second) of an SLI over ``window``."""
    if slo.sli is SliKind.ERROR_RATE:
        bad = f"(sum(rate({REQUESTS}{_selector(selector, code='5xx')}[{window}])) or vector(0))"
        total = f"sum(rate({REQUESTS}{_selector(selector)}[{window}]))"
        return bad, total
    if slo.sli is SliKind.LATENCY:
        assert slo.threshold_seconds is not None  # the spec model enforces it
        le = go_float(slo.threshold_seconds)
        total = f"sum(rate({DURATION}_count{_selector(selector)}[{window}]))"
        good = f"sum(rate({DURATION}_bucket{_selector(selector, le=le)}[{window}]))"
        return f"({total} - {good})", total
    if slo.sli is SliKind.ACCURACY:
        bad = f"(sum(rate({FEEDBACK}{_selector(selector, outcome='incorrect')}[{window}])) or vector(0))"
        labelled = _selector(selector, regex={"outcome": "correct|incorrect"})
        total = f"sum(rate({FEEDBACK}{labelled}[{window}]))"
        return bad, total
    raise ValueError(f"slo {slo.name}: sli {slo.sli.value} has no Prometheus rules")


def _burn_condition(rules: Sequence[BurnRateRule], id_selector: str, budget: str) -> str:
    clauses = []
    for rule in rules:
        threshold = f"({_factor_text(rule.factor)} * {budget})"
        short = format_duration(rule.short_window_s)
        long = format_duration(rule.long_window_s)
        clauses.append(
            "(\n"
            f"  max(slo:sli_error:ratio_rate{short}{id_selector} > {threshold}) without (slo_window)\n"
            "  and\n"
            f"  max(slo:sli_error:ratio_rate{long}{id_selector} > {threshold}) without (slo_window)\n"
            ")"
        )
    return "\nor\n".join(clauses) + "\n"


def slo_rule_groups(
    slo: Slo,
    *,
    monitor: str,
    namespace: str,
    model: str,
    selector: Mapping[str, str],
    policy: Sequence[BudgetPolicy] = SRE_WORKBOOK_POLICY,
) -> list[dict[str, Any]]:
    """The three rule groups (SLI recordings, metadata recordings, alerts) of one SLO."""
    period_s = parse_duration(slo.window)
    period = format_duration(period_s)
    burn_rules = rules_for_period(period_s, policy)
    slo_id = f"{namespace}-{monitor}-{slo.name}"
    ids = {"slo_id": slo_id, "slo": slo.name, "monitor": monitor, "model": model, "namespace": namespace}
    id_selector = _selector({"slo_id": slo_id})
    budget = error_budget_text(slo.objective)
    rate = format_duration(RATE_WINDOW)

    bad_5m, total_5m = sli_rates(slo, selector, rate)
    sli_rules: list[dict[str, Any]] = [
        {"record": f"slo:sli_bad_events:rate{rate}", "expr": bad_5m + "\n", "labels": ids | {"slo_window": rate}},
        {"record": f"slo:sli_events:rate{rate}", "expr": total_5m + "\n", "labels": ids | {"slo_window": rate}},
    ]
    for window_s in sorted({*windows_of(burn_rules), RATE_WINDOW}):
        window = format_duration(window_s)
        if window_s == RATE_WINDOW:
            expr = f"slo:sli_bad_events:rate{rate}{id_selector}\n/\nslo:sli_events:rate{rate}{id_selector}\n"
        else:
            bad, total = sli_rates(slo, selector, window)
            expr = f"{bad}\n/\n{total}\n"
        sli_rules.append(
            {"record": f"slo:sli_error:ratio_rate{window}", "expr": expr, "labels": ids | {"slo_window": window}}
        )
    sli_rules.append(
        {
            "record": f"slo:sli_error:ratio_rate{period}",
            "expr": (
                f"sum_over_time(slo:sli_bad_events:rate{rate}{id_selector}[{period}])\n/\n"
                f"sum_over_time(slo:sli_events:rate{rate}{id_selector}[{period}])\n"
            ),
            "labels": ids | {"slo_window": period},
        }
    )
    if period_s in windows_of(burn_rules) or period_s == RATE_WINDOW:
        sli_rules.pop()  # the period is already an alerting window

    without_window = "sum without (slo_window) "
    meta_rules: list[dict[str, Any]] = [
        {
            "record": "slo:objective:ratio",
            "expr": f"vector({_decimal(Decimal(repr(float(slo.objective))) / 100)})",
            "labels": dict(ids),
        },
        {"record": "slo:error_budget:ratio", "expr": f"vector({budget})", "labels": dict(ids)},
        {
            "record": "slo:time_period:days",
            "expr": f"vector({_decimal(Decimal(repr(period_s)) / 86400)})",
            "labels": dict(ids),
        },
        {
            "record": "slo:current_burn_rate:ratio",
            "expr": f"{without_window}(slo:sli_error:ratio_rate{rate}{id_selector}) / {budget}",
            "labels": dict(ids),
        },
        {
            "record": "slo:period_burn_rate:ratio",
            "expr": f"{without_window}(slo:sli_error:ratio_rate{period}{id_selector}) / {budget}",
            "labels": dict(ids),
        },
        {
            "record": "slo:period_error_budget_remaining:ratio",
            "expr": f"1 - slo:period_burn_rate:ratio{id_selector}",
            "labels": dict(ids),
        },
    ]

    alert_rules: list[dict[str, Any]] = []
    for severity in ("page", "ticket"):
        chosen = [rule for rule in burn_rules if rule.severity.value == severity]
        if not chosen:
            continue
        alert_rules.append(
            {
                "alert": BURN_ALERT_NAME,
                "expr": _burn_condition(chosen, id_selector, budget),
                "labels": ids | {"sli": slo.sli.value, "severity": severity},
                "annotations": {
                    "summary": f"SLO {slo.name} of model {model} is burning its error budget ({severity})",
                    "description": (
                        f"The {slo.sli.value} SLO {slo.name} ({slo.objective:g}% over {period}) burns its error "
                        f"budget faster than a {severity} rule allows over both of its windows."
                    ),
                },
            }
        )
    if slo.sli is SliKind.LATENCY:
        assert slo.threshold_seconds is not None
        le = go_float(slo.threshold_seconds)
        alert_rules.append(
            {
                "alert": BUCKET_ALERT_NAME,
                "expr": (
                    f"sum(rate({DURATION}_count{_selector(selector)}[1h])) > 0\n"
                    f"unless\nsum(rate({DURATION}_bucket{_selector(selector, le=le)}[1h]))\n"
                ),
                "for": "15m",
                "labels": ids | {"sli": slo.sli.value, "severity": "ticket"},
                "annotations": {
                    "summary": f"latency SLO {slo.name} of model {model} has no bucket at le={le}",
                    "description": (
                        f"Requests are recorded but the latency histogram has no bucket bound at {le}s, so the "
                        f"SLO {slo.name} has no data and cannot alert. Add the threshold to the sidecar's buckets."
                    ),
                },
            }
        )
    prefix = f"modelmonitor-{namespace}-{monitor}-{slo.name}"
    return [
        {"name": f"{prefix}-sli-recordings", "rules": sli_rules},
        {"name": f"{prefix}-meta-recordings", "rules": meta_rules},
        {"name": f"{prefix}-alerts", "rules": alert_rules},
    ]


def build_prometheus_rule(
    spec: ModelMonitorSpec,
    monitor: str,
    namespace: str,
    *,
    selector: Mapping[str, str] | None = None,
    policy: Sequence[BudgetPolicy] | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The ``PrometheusRule`` manifest for the spec's SLOs (drift SLOs excepted, see :func:`unsupported_slos`).

    ``selector`` adds label matchers to every sidecar metric (``model`` is always matched), e.g.
    ``{"namespace": "ml"}`` when Prometheus attaches the pod's namespace. ``labels`` go on the manifest,
    e.g. the ``release`` label a Prometheus' ``ruleSelector`` picks. ``policy`` defaults to the spec's
    (``alerting.burnRateRules``, else the SRE workbook's), the rows the analysis loop evaluates.
    """
    policy = spec_policy(spec) if policy is None else policy
    model = spec.model.name or monitor
    matchers = {"model": model, **(selector or {})}
    groups = []
    for slo in spec.slos:
        if slo.sli is SliKind.DRIFT:
            continue
        groups.extend(
            slo_rule_groups(slo, monitor=monitor, namespace=namespace, model=model, selector=matchers, policy=policy)
        )
    metadata: dict[str, Any] = {
        "name": f"{monitor}-slos",
        "namespace": namespace,
        "labels": {
            "app.kubernetes.io/managed-by": "modelmonitor",
            "modelmonitor.io/monitor": monitor,
            **(labels or {}),
        },
    }
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": metadata,
        "spec": {"groups": groups},
    }
