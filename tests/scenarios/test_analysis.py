"""Analysis scenarios: the operator (Kopf, strict emulator) reading real sidecars in front of real model servers.

We test these aspects:
- an error-rate step from 0.1 % to 5 % raises BudgetBurning (page) within 2 analysis intervals, with the SLO,
  burn rate and window in the message, and a Warning Event;
- drift injected into 2 of 20 features marks exactly those (topDrift, Drifting message, gauges);
- too little traffic gives "insufficient samples" for drift and no data for burn rates, never an alert;
- labels arriving late move AwaitingGroundTruth from TooFewLabels to LabelsArrived with an accuracy;
- the analysis memory is persisted in its ConfigMap.
"""

from __future__ import annotations

import time

from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.kube.permissions import Feature, granted, permissions_for, required_permission
from tests.scenarios.conftest import NS, EmulatedCluster
from tests.scenarios.traffic import Traffic, monitor_spec, reference_profile

AVAILABILITY = {"name": "availability", "sli": "error-rate", "objective": 99.9}


def spec(**fields: object) -> ModelMonitorSpec:
    return monitor_spec(
        target={"deployment": "fraud-scorer", "port": 8080},
        analysis={"interval": "1s"},
        reference={"configMap": "fraud-scorer-reference"},
        **fields,
    )


async def test_error_rate_step_pages_within_two_intervals(cluster: EmulatedCluster) -> None:
    await cluster.start(spec(slos=[AVAILABILITY], drift={"minSamples": 200}), reference_profile(20), features=20)
    await cluster.traffic(Traffic(20, seed=1, error_rate=0.001), 1_500)
    await cluster.wait_for(lambda: (cluster.condition("BudgetBurning") or {}).get("reason") == "WithinBudget")
    await cluster.traffic(Traffic(20, seed=2, error_rate=0.05), 1_500)
    stepped = time.monotonic()
    burning = await cluster.wait_for(
        lambda: (c := cluster.condition("BudgetBurning")) and c["status"] == "True" and c, timeout=10
    )
    assert time.monotonic() - stepped <= 2 * cluster.interval_s + 0.5
    assert burning["reason"] == "PageBurnRate"
    assert burning["message"].startswith("availability burning")
    assert "over 1m" in burning["message"]
    status = cluster.status()
    assert status["phase"] == "Degraded"
    assert status["slos"][0]["severity"] == "page"
    events = await cluster.wait_for(lambda: cluster.events("PageBurnRate"), what="a PageBurnRate Event")
    assert events[0]["type"] == "Warning"
    assert events[0]["message"].startswith("availability burning")
    assert cluster.loop is not None
    gauge = cluster.loop.ctx.metrics.slo_burn_rate.labels(NS, "fraud-scorer", "availability", "1m")
    assert gauge._value.get() > 14.4


async def test_drift_in_two_of_twenty_features_marks_exactly_those(cluster: EmulatedCluster) -> None:
    await cluster.start(spec(drift={"minSamples": 500, "consecutive": 2}), reference_profile(20), features=20)
    await cluster.traffic(Traffic(20, seed=3, shift={"f3": 0.8, "f17": -0.8}), 2_000)
    drifting = await cluster.wait_for(
        lambda: (c := cluster.condition("Drifting")) and c["status"] == "True" and c, timeout=15
    )
    assert drifting["reason"] == "FeaturesDrifting"
    assert drifting["message"].startswith("2 of 20 drifting: ")
    status = cluster.status()
    assert sorted(d["feature"] for d in status["topDrift"]) == ["f17", "f3"]
    assert status["driftSummary"] == "2/20"
    assert status["phase"] == "Drifting"
    assert cluster.loop is not None
    scores = cluster.loop.ctx.metrics.feature_drift_score
    assert scores.labels(NS, "fraud-scorer", "f3", "psi")._value.get() > 0.05
    # the state ConfigMap is written after the status: wait for it
    state_name = ("v1/configmaps", NS, "fraud-scorer-modelmonitor-analysis")
    await cluster.wait_for(
        lambda: '"f3": ["drifting"' in cluster.emulator.objects[state_name]["data"]["state.json"], what="saved streaks"
    )


async def test_too_little_traffic_is_insufficient_samples_never_an_alert(cluster: EmulatedCluster) -> None:
    await cluster.start(spec(slos=[AVAILABILITY], drift={"minSamples": 500, "consecutive": 1}), reference_profile(20))
    await cluster.traffic(Traffic(20, seed=4, error_rate=0.3, shift={"f0": 3.0}), 60)
    first = await cluster.analysed_after(None)
    await cluster.analysed_after(first["lastAnalysisTime"])  # a second evaluation: still nothing fires
    drifting = cluster.condition("Drifting")
    assert drifting is not None
    assert (drifting["status"], drifting["reason"]) == ("Unknown", "InsufficientSamples")
    burning = cluster.condition("BudgetBurning")
    assert burning is not None
    assert (burning["status"], burning["reason"]) == ("Unknown", "NoData")
    assert cluster.status()["phase"] == "Healthy"


async def test_late_labels_move_awaiting_ground_truth_to_accuracy(cluster: EmulatedCluster) -> None:
    slos = [{"name": "accuracy", "sli": "accuracy", "objective": 95}]
    await cluster.start(spec(slos=slos), reference_profile(20))
    traffic = Traffic(20, seed=5, error_rate=0.0)
    answered = await cluster.traffic(traffic, 600)
    # evaluations may run while traffic flows: wait for the one that saw all of it
    awaiting = await cluster.wait_for(
        lambda: (c := cluster.condition("AwaitingGroundTruth")) and "for 600 predictions" in c["message"] and c
    )
    assert (awaiting["status"], awaiting["reason"]) == ("True", "TooFewLabels")
    assert awaiting["message"].startswith("0 labels for 600 predictions")
    joined = await cluster.labels(traffic.labels(answered, accuracy=0.9))
    assert joined == 600
    arrived = await cluster.wait_for(
        lambda: (c := cluster.condition("AwaitingGroundTruth")) and c["status"] == "False" and c
    )
    assert arrived["reason"] == "LabelsArrived"
    assert arrived["message"].startswith("600 labels (coverage 100.0%"), arrived["message"]
    accuracy = float(arrived["message"].split("accuracy ")[1].split("%")[0]) / 100
    assert abs(accuracy - 0.9) < 0.04


async def test_lasting_drift_starts_one_retraining_job(cluster: EmulatedCluster) -> None:
    job_template = {
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "t", "image": "t:1"}]}}}
    }
    retraining = {"after": "2s", "cooldown": "1h", "jobTemplate": job_template}
    await cluster.start(spec(drift={"minSamples": 500, "consecutive": 1}, retraining=retraining), reference_profile(20))
    await cluster.traffic(Traffic(20, seed=9, shift={"f7": 1.0}), 1_500)
    await cluster.wait_for(lambda: (cluster.condition("Drifting") or {}).get("status") == "True", timeout=15)
    jobs = await cluster.wait_for(lambda: cluster.jobs(), timeout=10, what="a retraining Job")
    started = await cluster.wait_for(lambda: cluster.events("RetrainingStarted"), what="a RetrainingStarted Event")
    assert "drifting: f7" in started[0]["message"]
    first = cluster.status()["lastAnalysisTime"]
    await cluster.analysed_after(first)
    await cluster.analysed_after(cluster.status()["lastAnalysisTime"])
    assert len(cluster.jobs()) == 1  # the cooldown holds
    job = jobs[0]
    assert job["spec"]["template"]["spec"]["containers"][0]["image"] == "t:1"
    assert job["metadata"]["ownerReferences"][0]["name"] == "fraud-scorer"
    # The chart's RBAC grants this request (kube/permissions.py is what it renders).
    create = required_permission("POST", f"/apis/batch/v1/namespaces/{job['metadata']['namespace']}/jobs")
    assert create in granted(permissions_for({Feature.RETRAINING}))


async def test_silent_sidecars_are_no_data_not_health(cluster: EmulatedCluster) -> None:
    await cluster.start(spec(slos=[AVAILABILITY]), reference_profile(20), pods=2)
    await cluster.traffic(Traffic(20, seed=10, error_rate=0.0), 400)
    await cluster.wait_for(lambda: (cluster.condition("BudgetBurning") or {}).get("reason") == "WithinBudget")
    for pod in cluster.pods:
        assert pod.proxy is not None
        pod.proxy.kill()
        pod.proxy.wait(10)
    burning = await cluster.wait_for(
        lambda: (c := cluster.condition("BudgetBurning")) and c["reason"] == "NoData" and c, timeout=15
    )
    assert burning["status"] == "Unknown"
    assert burning["message"] == "none of 2 sidecars answered"
    assert cluster.status()["pods"] == 0
