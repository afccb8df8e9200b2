"""Per-request monitoring cost of the sidecar's recorder, in-process (no HTTP).

The acceptance bar: one KServe v1 request of one instance of 20 floats, with its response, costs
at most 15 µs of monitoring work (parse both bodies once with orjson, extract, bin 20 features,
record latency/status/sizes/prediction, remember the prediction for feedback). Each scenario
records a fresh batch of exchanges (distinct request ids, so the feedback buffer really grows);
scenarios are interleaved and repeated, and the table shows medians of the thread's CPU time
(wall time on this shared machine also counts waiting for a core) with the ratio to the
baseline measured in the same run: ``orjson.loads`` of both bodies, the floor of any monitoring.
For comparison, one scenario observes the 20 values with per-feature prometheus_client
histograms, which is what the recorder avoids on the request path.

Run: ``PYTHONPATH=operator:sidecar python -m benchmarks.bench_recorder [--repeats 15] [--calls 2000]``
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable

import orjson
from prometheus_client import CollectorRegistry, Histogram

from modelmonitor.api.profile import NumericProfile, ReferenceProfile
from modelmonitor.api.sidecar_config import SidecarConfig
from modelmonitor_proxy.recorder import Exchange, Recorder

N_FEATURES = 20
EDGES = [-2.0 + 0.5 * i for i in range(9)]  # 9 edges: 8 inner bins, plus underflow and overflow


def _profile() -> ReferenceProfile:
    features = [
        NumericProfile(
            name=f"f{i}", edges=EDGES, counts=[10] * (len(EDGES) + 1), sums=[0.0] * (len(EDGES) + 1), mean=0.0, std=1.0
        )
        for i in range(N_FEATURES)
    ]
    return ReferenceProfile(rows=100, features=features)


def _exchanges(request: bytes, response: bytes, calls: int, tag: str) -> list[Exchange]:
    return [
        Exchange(
            request_id=f"{tag}-{i}",
            method="POST",
            path="/v1/models/m:predict",
            status=200,
            duration_seconds=0.004,
            started_at=1_700_000_000.0 + i * 0.001,
            request_body=request,
            response_body=response,
            request_content_type="application/json",
            response_content_type="application/json",
            request_bytes=len(request),
            response_bytes=len(response),
        )
        for i in range(calls)
    ]


def _bodies(rng: random.Random) -> dict[str, tuple[bytes, bytes]]:
    row = [round(rng.gauss(0.0, 1.0), 6) for _ in range(N_FEATURES)]
    batch = [[round(rng.gauss(0.0, 1.0), 6) for _ in range(N_FEATURES)] for _ in range(32)]
    return {
        "v1-list": (orjson.dumps({"instances": [row]}), orjson.dumps({"predictions": [0.73]})),
        "v1-dict": (
            orjson.dumps({"instances": [{f"f{i}": v for i, v in enumerate(row)}]}),
            orjson.dumps({"predictions": [0.73]}),
        ),
        "v2": (
            orjson.dumps({"inputs": [{"name": "x", "shape": [1, N_FEATURES], "datatype": "FP64", "data": row}]}),
            orjson.dumps({"outputs": [{"name": "p", "shape": [1], "datatype": "FP64", "data": [0.73]}]}),
        ),
        "v1-batch32": (orjson.dumps({"instances": batch}), orjson.dumps({"predictions": [0.73] * 32})),
    }


def _time(run: Callable[[], None], calls: int) -> float:
    # CPU time of this thread: on a shared, noisy machine wall time also counts the time the
    # thread waited for a core, which is not monitoring work.
    start = time.thread_time_ns()
    run()
    return (time.thread_time_ns() - start) / calls / 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    rng = random.Random(42)
    bodies = _bodies(rng)
    profiled = SidecarConfig(profile=_profile())
    discovered = SidecarConfig()
    registry = CollectorRegistry()
    histograms = [Histogram(f"bench_f{i}", "bench", registry=registry, buckets=EDGES) for i in range(N_FEATURES)]
    row_values = orjson.loads(bodies["v1-list"][0])["instances"][0]

    def baseline(exchanges: list[Exchange]) -> Callable[[], None]:
        def run() -> None:
            loads = orjson.loads
            for exchange in exchanges:
                loads(exchange.request_body)  # type: ignore[arg-type]
                loads(exchange.response_body)  # type: ignore[arg-type]

        return run

    def recording(config: SidecarConfig, exchanges: list[Exchange]) -> Callable[[], None]:
        recorder = Recorder(config, clock=lambda: 1_700_000_000.0)
        # Warm: discovery and the first bucket happen once per pod, not per request.
        recorder.record(exchanges[0])

        def run() -> None:
            record = recorder.record
            for exchange in exchanges:
                record(exchange)

        return run

    def prometheus(exchanges: list[Exchange]) -> Callable[[], None]:
        def run() -> None:
            loads = orjson.loads
            for exchange in exchanges:
                values = loads(exchange.request_body)["instances"][0]  # type: ignore[arg-type]
                loads(exchange.response_body)  # type: ignore[arg-type]
                for histogram, value in zip(histograms, values, strict=True):
                    histogram.observe(value)

        return run

    scenarios: dict[str, Callable[[int], Callable[[], None]]] = {
        "baseline: orjson.loads of both bodies (v1, 1x20)": lambda r: baseline(
            _exchanges(*bodies["v1-list"], args.calls, f"b{r}")
        ),
        "recorder, KServe v1 1x20 list, profile bins (acceptance)": lambda r: recording(
            profiled, _exchanges(*bodies["v1-list"], args.calls, f"p{r}")
        ),
        "recorder, KServe v1 1x20 list, no config (default bins)": lambda r: recording(
            discovered, _exchanges(*bodies["v1-list"], args.calls, f"d{r}")
        ),
        "recorder, KServe v1 1x20 dict, profile bins": lambda r: recording(
            profiled, _exchanges(*bodies["v1-dict"], args.calls, f"k{r}")
        ),
        "recorder, OIP v2 [1,20] tensor, profile bins": lambda r: recording(
            profiled, _exchanges(*bodies["v2"], args.calls, f"v{r}")
        ),
        "recorder, KServe v1 32x20 batch, per request": lambda r: recording(
            profiled, _exchanges(*bodies["v1-batch32"], args.calls // 8, f"t{r}")
        ),
        "parse + 20 prometheus Histogram.observe (avoided)": lambda r: prometheus(
            _exchanges(*bodies["v1-list"], args.calls, f"h{r}")
        ),
    }
    assert len(row_values) == N_FEATURES
    results: dict[str, list[float]] = {name: [] for name in scenarios}
    for repeat in range(args.repeats):
        for name, build in scenarios.items():
            run = build(repeat)
            calls = args.calls // 8 if "batch" in name else args.calls
            results[name].append(_time(run, calls))
    base = statistics.median(results["baseline: orjson.loads of both bodies (v1, 1x20)"])
    print(f"Recorder CPU cost per request, median of {args.repeats} interleaved repeats of {args.calls} calls\n")
    print("| scenario | CPU µs per request (median) | min–max | vs baseline |")
    print("|---|---|---|---|")
    for name, samples in results.items():
        median = statistics.median(samples)
        print(f"| {name} | {median:.2f} | {min(samples):.2f}–{max(samples):.2f} | {median / base:.2f}× |")


if __name__ == "__main__":
    main()
