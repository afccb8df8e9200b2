"""One operator evaluating 100 ModelMonitors with 5 pods each: does it fit in one 30 s interval?

Each pod is a loopback address ``127.0.x.y`` whose sidecar endpoint (real port 8008, real path)
answers a realistic snapshot: a Recorder with 20 numeric features and a reference profile, fed one
hour of traffic (61 one-minute buckets, 100 requests a minute, 2 % errors). The snapshot server runs
in a child process so that serving does not share the operator's event loop. The operator side runs
the production path for every monitor, concurrently: ``SidecarSource.fetch`` of its 5 pods (aiohttp,
timeouts), ``merge_collection`` (sum merge, windows cut in one pass), ``evaluate`` (burn rates of two
SLOs over the SRE workbook windows, drift of 20 features with hysteresis, quality), and
``report`` (conditions, status summary). Kubernetes API calls (pod listing, status patch) are not
included: they are one list and at most one patch per monitor, and depend on the API server.

Scenarios, interleaved and repeated (medians): ``evaluate`` alone on pre-merged counts (the baseline),
``merge+evaluate`` on pre-fetched snapshots, and the full ``fetch+merge+evaluate+report``.

Run: ``PYTHONPATH=operator:sidecar:. python -m benchmarks.bench_analysis [--monitors 100] [--pods 5] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import time
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from modelmonitor.analysis import report
from modelmonitor.analysis.evaluate import AnalysisMemory, evaluate, required_windows
from modelmonitor.sources.base import Collection
from modelmonitor.sources.sidecars import SidecarPod, SidecarSource, merge_collection, ring_seconds

PORT = 8008
HOUR = 3600.0


def _address(index: int) -> str:
    return f"127.0.{10 + index // 250}.{1 + index % 250}"


def _spec_and_profile() -> tuple[Any, Any]:
    from tests.scenarios.traffic import monitor_spec, reference_profile

    spec = monitor_spec(
        slos=[
            {"name": "availability", "sli": "error-rate", "objective": 99.9},
            {"name": "latency", "sli": "latency", "objective": 99, "thresholdSeconds": 0.25},
        ],
        drift={"window": "1h", "minSamples": 500, "consecutive": 2},
    )
    return spec, reference_profile(20)


def _snapshot(seed: int, now: float) -> bytes:
    from tests.scenarios.traffic import Traffic, feed, sidecar_config

    from modelmonitor_proxy.recorder import Recorder

    spec, profile = _spec_and_profile()
    recorder = Recorder(sidecar_config(spec, profile), clock=lambda: now)
    feed(recorder, Traffic(20, seed=seed, error_rate=0.02), 6_100, start=now - HOUR - 60, seconds=HOUR + 60)
    return orjson.dumps(recorder.snapshot(now))


def _serve(count: int, bodies: list[bytes], ready: Any) -> None:
    async def main() -> None:
        async def snapshot(request: web.Request) -> web.Response:
            host = request.transport.get_extra_info("sockname")[0] if request.transport else ""
            index = int(host.split(".")[-1]) % len(bodies)
            return web.Response(body=bodies[index], content_type="application/json")

        app = web.Application()
        app.router.add_get("/modelmonitor/v1/snapshot", snapshot)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        for index in range(count):
            await web.TCPSite(runner, _address(index), PORT).start()
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


async def _round(
    session: aiohttp.ClientSession, spec: Any, profile: Any, monitors: int, pods: int, now: float
) -> tuple[float, list[Collection]]:
    """The full path for every monitor; returns the wall time and the collections (for the other scenarios)."""
    windows = required_windows(spec)
    source = SidecarSource(session, None, namespace="ml", spec=spec, timeout_s=10.0)  # type: ignore[arg-type]
    collections: list[Collection] = []

    async def one(monitor: int) -> None:
        members = [SidecarPod(f"m{monitor}-{p}", _address(monitor * pods + p), now - 2 * HOUR) for p in range(pods)]
        fetched = await asyncio.gather(*(source.fetch(pod) for pod in members))
        collection = merge_collection(members, fetched, windows, now, ring_seconds(spec), port=PORT)
        if not isinstance(collection, Collection) or collection.unreachable:
            raise RuntimeError(f"monitor {monitor}: {collection}")
        result = evaluate(spec, collection.counts, now=now, history_s=collection.history_s, reference=profile)
        report.observations(result)
        report.status_summary(result, pods=pods, analysed_at="now")
        collections.append(collection)

    started = time.perf_counter()
    await asyncio.gather(*(one(m) for m in range(monitors)))
    return time.perf_counter() - started, collections


async def run(monitors: int, pods: int, repeats: int) -> None:
    now = 1_800_003_600.0
    spec, profile = _spec_and_profile()
    bodies = [_snapshot(seed, now) for seed in range(pods)]
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=_serve, args=(monitors * pods, bodies, ready), daemon=True)
    server.start()
    ready.wait(120)
    windows = required_windows(spec)
    timings: dict[str, list[float]] = {"evaluate": [], "merge+evaluate": [], "fetch+merge+evaluate+report": []}
    snapshots = [orjson.loads(b) for b in bodies]
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as session:
            for _ in range(repeats):
                wall, collections = await _round(session, spec, profile, monitors, pods, now)
                timings["fetch+merge+evaluate+report"].append(wall)
                started = time.perf_counter()
                for _monitor in range(monitors):
                    members = [SidecarPod(f"p{p}", _address(p), now - 2 * HOUR) for p in range(pods)]
                    merged = merge_collection(members, snapshots, windows, now, ring_seconds(spec), port=PORT)
                    assert isinstance(merged, Collection)
                    evaluate(spec, merged.counts, now=now, history_s=merged.history_s, reference=profile)
                timings["merge+evaluate"].append(time.perf_counter() - started)
                started = time.perf_counter()
                for collection in collections:
                    evaluate(spec, collection.counts, now=now, history_s=collection.history_s, reference=profile,
                             memory=AnalysisMemory())  # fmt: skip
                timings["evaluate"].append(time.perf_counter() - started)
    finally:
        server.terminate()
    size = sum(len(b) for b in bodies) / len(bodies)
    print(f"{monitors} monitors x {pods} pods, snapshot {size / 1024:.0f} KiB per pod, medians of {repeats} rounds\n")
    print("| scenario | all monitors (s) | per evaluation (ms) | ratio to evaluate |")
    print("|---|---|---|---|")
    base = statistics.median(timings["evaluate"])
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.2f} | {1000 * median / monitors:.1f} | {median / base:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--monitors", type=int, default=100)
    parser.add_argument("--pods", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.monitors, args.pods, args.repeats))


if __name__ == "__main__":
    main()
