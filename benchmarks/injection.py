"""Cost of the pure sidecar-injection patch and of an AdmissionReview round trip over HTTPS.

The webhook runs in the pod-creation path with a 5 s timeout and fails open, so it must be cheap.
Medians over interleaved repeats; the baseline is ``copy.deepcopy`` of the same pod (the least any
mutation has to do), measured in the same run. Prints a markdown table.

Run: ``PYTHONPATH=operator:sidecar python -m benchmarks.injection``
"""

from __future__ import annotations

import copy
import statistics
import time
from collections.abc import Callable
from typing import Any

import jsonpatch

from modelmonitor.injection.mutate import InjectionConfig, mutate
from modelmonitor.wiring import keys

CONFIG = InjectionConfig(image="ghcr.io/model-monitor/modelmonitor-proxy:0.1.0")


def pod(containers: int, volumes: int) -> dict[str, Any]:
    return {
        "metadata": {"name": "p", "labels": {keys.INJECT_LABEL: "true"}, "annotations": {keys.SIDECAR_PORT: "8008"}},
        "spec": {
            "containers": [
                {"name": f"c{i}", "image": "model:1", "ports": [{"containerPort": 8080 + i}]} for i in range(containers)
            ],
            "volumes": [{"name": f"v{i}", "emptyDir": {}} for i in range(volumes)],
        },
    }


def per_call_us(fn: Callable[[], object], calls: int = 2000) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main(repeats: int = 7) -> None:
    print("| pod | deepcopy (baseline) µs | mutate µs | mutate + apply µs | mutate / baseline |")
    print("|---|---:|---:|---:|---:|")
    for containers, volumes in [(1, 0), (3, 5), (10, 20)]:
        body = pod(containers, volumes)
        base, cost, applied = [], [], []
        for _ in range(repeats):  # interleaved, so noise hits all three alike
            base.append(per_call_us(lambda b=body: copy.deepcopy(b)))
            cost.append(per_call_us(lambda b=body: mutate(b, CONFIG)))
            applied.append(per_call_us(lambda b=body: jsonpatch.apply_patch(b, mutate(b, CONFIG))))
        b, m, a = statistics.median(base), statistics.median(cost), statistics.median(applied)
        print(f"| {containers} containers, {volumes} volumes | {b:.1f} | {m:.1f} | {a:.1f} | {m / b:.2f} |")


if __name__ == "__main__":
    main()
