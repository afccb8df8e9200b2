"""From analysis results to conditions, status summaries and metric samples.

We test these aspects:
- BudgetBurning: page beats ticket, the message names the SLO, burn rate and windows; no data is Unknown, never False;
- Drifting: the message lists the drifting features with method, score and threshold; insufficient samples and
  a missing reference are Unknown with their own reasons;
- DataQuality and AwaitingGroundTruth reasons; Warning events only for trouble;
- status summaries (slos, worst burn rate, top drift, drift summary) validate against the status model;
- metric samples carry None (remove the series) for no data.
"""

from __future__ import annotations

import json

from modelmonitor.analysis.evaluate import AnalysisResult, counts_by_window, evaluate, required_windows
from modelmonitor.analysis.report import event_type, metric_samples, observations, phase, status_summary
from modelmonitor.api.status import ConditionStatus, ModelMonitorStatus, Phase
from modelmonitor_proxy.recorder import Recorder
from tests.scenarios.traffic import T0, Traffic, feed, monitor_spec, reference_profile, sidecar_config

HOUR = 3600.0
SLOS = [
    {"name": "availability", "sli": "error-rate", "objective": 99.9},
    {"name": "latency", "sli": "latency", "objective": 99, "thresholdSeconds": 1.0},
]


def evaluated(traffic: Traffic, n: int, *, profile_features: int | None = 4, **spec_fields: object) -> AnalysisResult:
    profile = reference_profile(profile_features) if profile_features else None
    spec = monitor_spec(**{"slos": SLOS, "drift": {"minSamples": 500, "consecutive": 1}, **spec_fields})
    recorder = Recorder(sidecar_config(spec, profile), clock=lambda: T0)
    feed(recorder, traffic, n, start=T0, seconds=HOUR)
    now = T0 + HOUR
    counts = counts_by_window(recorder.snapshot(now), required_windows(spec), now)
    return evaluate(spec, counts, now=now, history_s=HOUR, reference=profile)


def by_type(result: AnalysisResult) -> dict[str, tuple[str, str, str]]:
    return {o.type.value: (o.status.value, o.reason, o.message) for o in observations(result)}


def test_burning_and_drifting() -> None:
    result = evaluated(Traffic(4, error_rate=0.05, shift={"f2": 1.0}), 2_000)
    conditions = by_type(result)
    status, reason, message = conditions["BudgetBurning"]
    assert (status, reason) == ("True", "PageBurnRate")
    assert message.startswith("availability burning")
    assert "over 1h" in message
    assert "over 5m" in message
    status, reason, message = conditions["Drifting"]
    assert (status, reason) == ("True", "FeaturesDrifting")
    assert message.startswith("1 of 4 drifting: f2 psi ")
    assert phase(result) is Phase.DEGRADED
    summary = status_summary(result, pods=3, analysed_at="2027-01-15T08:00:00Z")
    parsed = ModelMonitorStatus.model_validate(json.loads(json.dumps(summary)))
    assert parsed.top_drift[0].feature == "f2"
    assert parsed.drift_summary == "1/4"
    assert parsed.slos[0].severity == "page"
    assert parsed.worst_burn_rate is not None
    assert "availability" in parsed.worst_burn_rate
    samples = metric_samples(result)
    assert samples.burn_rates["availability", "1h"] is not None
    assert samples.burn_rates["availability", "6h"] is None
    assert samples.drift_scores["f2", "psi"] is not None
    warnings = {o.type.value for o in observations(result) if event_type(o) == "Warning"}
    assert warnings == {"BudgetBurning", "Drifting"}


def test_healthy() -> None:
    result = evaluated(Traffic(4, error_rate=0.0), 2_000)
    conditions = by_type(result)
    assert conditions["BudgetBurning"][:2] == ("False", "WithinBudget")
    assert conditions["Drifting"][:2] == ("False", "NoDrift")
    assert conditions["DataQuality"][:2] == ("True", "WithinExpectations")
    assert "AwaitingGroundTruth" not in conditions
    assert phase(result) is Phase.HEALTHY


def test_no_traffic_is_unknown_not_healthy() -> None:
    result = evaluated(Traffic(4), 0)
    conditions = by_type(result)
    assert conditions["BudgetBurning"][:2] == ("Unknown", "NoData")
    assert conditions["Drifting"][:2] == ("Unknown", "InsufficientSamples")
    assert metric_samples(result).budget_remaining == {"availability": None, "latency": None}


def test_without_reference_and_with_accuracy_slo() -> None:
    slos = [*SLOS, {"name": "accuracy", "sli": "accuracy", "objective": 95}]
    result = evaluated(Traffic(4, error_rate=0.0), 800, profile_features=None, slos=slos)
    conditions = by_type(result)
    assert conditions["Drifting"][:2] == ("Unknown", "NoReference")
    status, reason, message = conditions["AwaitingGroundTruth"]
    assert (status, reason) == ("True", "TooFewLabels")
    assert message.startswith("0 labels for 800 predictions")
    assert all(
        o.status is not ConditionStatus.TRUE or event_type(o) == "Normal"
        for o in observations(result)
        if o.type.value == "AwaitingGroundTruth"
    )


def test_data_quality_violation() -> None:
    features = [{"name": "f0", "expectations": {"min": -1.0, "max": 1.0}}, {"name": "f1"}]
    result = evaluated(Traffic(2), 1_000, profile_features=2, features=features)
    status, reason, message = by_type(result)["DataQuality"]
    assert (status, reason) == ("False", "ExpectationsViolated")
    assert message.startswith("f0: outOfRange ")
