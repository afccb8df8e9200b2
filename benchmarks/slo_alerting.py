"""Cost of the SLO and alerting layer per analysis interval: is it negligible next to a 30 s interval?

Measures, as medians over interleaved repeats: evaluating one SLO's burn rules (7 windows), planning
notifications for N firing alerts (fresh state and steady state), the state's JSON round trip, and
generating a PrometheusRule. The baseline is one `json.dumps` of an Alertmanager payload of 10 alerts,
measured in the same run, so the ratios survive a noisy machine.

Run: PYTHONPATH=operator:sidecar python -m benchmarks.slo_alerting
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from modelmonitor.alerts.dispatch import AlertState, DispatchConfig, dispatch, record_sent
from modelmonitor.alerts.model import Alert
from modelmonitor.alerts.payload import alertmanager_payload
from modelmonitor.api.validation import parse_spec
from modelmonitor.rules.prometheus_rule import build_prometheus_rule
from modelmonitor.slo.alerting import evaluate_burn
from modelmonitor.slo.burn_rate import EventCounts
from modelmonitor.slo.windows import SRE_WORKBOOK_RULES, windows_of

T0 = datetime(2026, 11, 27, tzinfo=UTC)
CONFIG = DispatchConfig()


def alerts(n: int) -> list[Alert]:
    return [
        Alert(
            labels={"alertname": "Burn", "model": f"m{i % 20}", "version": "v1", "slo": f"s{i}", "severity": "page"},
            annotations={"summary": "burning"},
        )
        for i in range(n)
    ]


def delivered_state(active: list[Alert]) -> AlertState:
    notifications, state = dispatch(active, AlertState(), T0, CONFIG)
    for notification in notifications:
        state = record_sent(state, notification, T0)
    return state


def median_seconds(func: Callable[[], object], loops: int) -> float:
    start = time.perf_counter()
    for _ in range(loops):
        func()
    return (time.perf_counter() - start) / loops


def main(repeats: int = 7) -> None:
    counts = dict.fromkeys(windows_of(SRE_WORKBOOK_RULES), EventCounts.from_bad(20, 1000))
    spec = parse_spec(
        {
            "target": {"deployment": "m"},
            "slos": [
                {"name": "availability", "sli": "error-rate", "objective": 99.9},
                {"name": "latency", "sli": "latency", "thresholdSeconds": 0.3, "objective": 99},
                {"name": "accuracy", "sli": "accuracy", "objective": 95},
            ],
        }
    )
    a10, a100, a1000 = alerts(10), alerts(100), alerts(1000)
    steady100, steady1000 = delivered_state(a100), delivered_state(a1000)
    payload = alertmanager_payload(dispatch(a10, AlertState(), T0, DispatchConfig(group_by=()))[0][0])
    later = T0 + timedelta(minutes=1)
    cases: dict[str, tuple[Callable[[], object], int]] = {
        "baseline: json.dumps(10-alert payload)": (lambda: json.dumps(payload), 2000),
        "evaluate_burn, 1 SLO, 7 windows": (lambda: evaluate_burn(SRE_WORKBOOK_RULES, counts, 99.9), 2000),
        "dispatch 100 new alerts": (lambda: dispatch(a100, AlertState(), T0, CONFIG), 50),
        "dispatch 100 alerts, steady state": (lambda: dispatch(a100, steady100, later, CONFIG), 50),
        "dispatch 1000 alerts, steady state": (lambda: dispatch(a1000, steady1000, later, CONFIG), 5),
        "state JSON round trip, 1000 alerts": (lambda: AlertState.from_json(steady1000.to_json()), 5),
        "build_prometheus_rule, 3 SLOs": (lambda: build_prometheus_rule(spec, "m", "ns"), 200),
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):  # interleaved: every case once per round
        for name, (func, loops) in cases.items():
            samples[name].append(median_seconds(func, loops))
    baseline = statistics.median(samples["baseline: json.dumps(10-alert payload)"])
    print("| operation | median | × baseline |")
    print("|---|---|---|")
    for name, values in samples.items():
        value = statistics.median(values)
        print(f"| {name} | {value * 1e6:,.1f} µs | {value / baseline:,.1f} |")


if __name__ == "__main__":
    main()
