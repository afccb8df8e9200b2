"""The Prometheus source against Debian's Prometheus on loopback, on blocks backfilled from a real Recorder.

We test these aspects:
- the sidecars source and the Prometheus source give the same burn rates on the same traffic (every window
  the data covers), and the same label counts;
- they give the same drift verdicts, scores and states per feature and for the predictions (one feature
  drifted in the last 20 minutes), from the same bin counts, and the same data quality;
- a window without any request series is None (no data), never zero; an unreachable Prometheus is NoData.
Skipped when prometheus/promtool are not installed (``apt-get install prometheus``).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import subprocess
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import numpy as np
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.openmetrics.exposition import generate_latest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from modelmonitor.analysis.evaluate import counts_by_window, evaluate, required_windows
from modelmonitor.api.profile import ReferenceProfile
from modelmonitor.sources.base import Collection, NoData
from modelmonitor.sources.prometheus import PrometheusSource
from modelmonitor.stats.binning import fit_numeric_bins
from modelmonitor.stats.sketches import NumericSketch
from modelmonitor_proxy.recorder import Recorder
from tests.scenarios.traffic import Traffic, feed, monitor_spec, reference_profile, sidecar_config

PROMETHEUS, PROMTOOL = shutil.which("prometheus"), shutil.which("promtool")
pytestmark = pytest.mark.skipif(PROMETHEUS is None or PROMTOOL is None, reason="prometheus/promtool not installed")

SPEC = monitor_spec(
    slos=[
        {"name": "availability", "sli": "error-rate", "objective": 99.9},
        {"name": "latency", "sli": "latency", "objective": 99, "thresholdSeconds": 1.0},
        {"name": "accuracy", "sli": "accuracy", "objective": 95},
    ]
)
SCRAPE_S = 15.0


def _profile() -> ReferenceProfile:
    """Two standard-normal features and the prediction ``sigmoid(f0)``, as the traffic generator makes them."""
    features = reference_profile(2)
    scores = 1.0 / (1.0 + np.exp(-np.random.default_rng(3).standard_normal(20_000)))
    prediction = NumericSketch.from_values(fit_numeric_bins(scores, 10), scores).to_profile("prediction")
    return ReferenceProfile(rows=features.rows, features=features.features, prediction=prediction)


PROFILE = _profile()
HOUR = 3600.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _openmetrics(recorder: Recorder, clock: Clock, start: float, end: float) -> tuple[str, Recorder]:
    """Feed traffic and scrape every 15 s; one OpenMetrics text with every series' samples in time order."""
    registry = CollectorRegistry()
    registry.register(recorder.collector())
    types: dict[str, str] = {}
    series: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], list[tuple[float, float]]]] = defaultdict(dict)
    calm = Traffic(2, seed=21, error_rate=0.002, slow_rate=0.005)
    step = Traffic(2, seed=22, error_rate=0.05, shift={"f1": 1.0})
    t = start
    while t < end:
        traffic = step if t >= end - 20 * 60 else calm  # the last 20 minutes burn, and f1 drifts
        answered = feed(recorder, traffic, 25, start=t, seconds=SCRAPE_S)
        if answered:
            items = traffic.labels(answered[:10], accuracy=0.9)
            recorder.feedback(json.dumps({"items": items}).encode(), t + SCRAPE_S - 1)
        t += SCRAPE_S
        clock.now = t
        for family in text_string_to_metric_families(generate_latest(registry).decode()):
            types[family.name] = family.type
            for sample in family.samples:
                if sample.name.endswith("_created"):
                    continue
                key = (sample.name, tuple(sorted(sample.labels.items())))
                series[family.name].setdefault(key, []).append((t, sample.value))
    lines = []
    for name, by_series in series.items():
        lines.append(f"# TYPE {name} {types[name]}")
        for (sample_name, labels), points in by_series.items():
            rendered = ",".join(f'{k}="{v}"' for k, v in labels)
            for at, value in points:
                lines.append(f"{sample_name}{{{rendered}}} {value} {at:.3f}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n", recorder


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Recorder, float]]:
    tmp = Path(tmp_path_factory.mktemp("prometheus"))
    end = (time.time() // 3600) * 3600 - HOUR  # an hour boundary in the recent past
    start = end - 2 * HOUR
    clock = Clock(start)
    recorder = Recorder(sidecar_config(SPEC, PROFILE), clock=clock)
    text, recorder = _openmetrics(recorder, clock, start, end)
    (tmp / "data.om").write_text(text)
    subprocess.run([PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", str(tmp / "data.om"), str(tmp / "tsdb")],
                   check=True, capture_output=True)  # fmt: skip
    (tmp / "prometheus.yml").write_text("global: {}\n")
    port = _free_port()
    process = subprocess.Popen(
        [PROMETHEUS, f"--config.file={tmp / 'prometheus.yml'}", f"--storage.tsdb.path={tmp / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=30d"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", recorder, end
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


async def _wait_ready(session: aiohttp.ClientSession, url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            async with session.get(f"{url}/-/ready") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise TimeoutError("prometheus not ready")


async def test_both_sources_give_the_same_burn_rates(
    backfilled: tuple[str, Recorder, float], session: aiohttp.ClientSession
) -> None:
    url, recorder, end = backfilled
    await _wait_ready(session, url)
    windows = required_windows(SPEC)
    source = PrometheusSource(session, SPEC, model="fraud", url=url)
    collected = await source.collect(windows, end)
    assert isinstance(collected, Collection), collected
    sidecar = counts_by_window(recorder.snapshot(end), windows, end)
    from_prometheus = evaluate(SPEC, collected.counts, now=end, history_s=collected.history_s, min_events=1)
    from_sidecars = evaluate(SPEC, sidecar, now=end, history_s=HOUR, min_events=1)
    compared = 0
    for mine, theirs in zip(from_sidecars.slos, from_prometheus.slos, strict=True):
        for window in (300.0, 1800.0, 3600.0):
            a, b = mine.assessment.burn_rates[window], theirs.assessment.burn_rates[window]
            assert a is not None, (mine.slo.name, window)
            assert b is not None, (mine.slo.name, window)
            assert b == pytest.approx(a, rel=1e-6), (mine.slo.name, window)  # aligned scrapes: the same events
            compared += 1
        assert mine.assessment.severity == theirs.assessment.severity
    assert compared == 9
    assert from_sidecars.slos[0].assessment.severity is not None  # the last 20 minutes burn
    assert collected.history_s == pytest.approx(2 * HOUR, abs=120)
    assert collected.counts[86400.0 * 3] is not None  # Prometheus covers what it has


async def test_no_series_is_none_and_no_prometheus_is_no_data(
    backfilled: tuple[str, Recorder, float], session: aiohttp.ClientSession
) -> None:
    url, _, end = backfilled
    await _wait_ready(session, url)
    quiet = PrometheusSource(session, SPEC, model="nobody", url=url)
    collected = await quiet.collect([300.0], end)
    assert isinstance(collected, Collection)
    assert collected.counts[300.0] is None
    assert collected.history_s == 0.0
    gone = PrometheusSource(session, SPEC, model="fraud", url=f"http://127.0.0.1:{_free_port()}")
    assert isinstance(await gone.collect([300.0], end), NoData)


async def test_both_sources_judge_drift_the_same(
    backfilled: tuple[str, Recorder, float], session: aiohttp.ClientSession
) -> None:
    url, recorder, end = backfilled
    await _wait_ready(session, url)
    windows = required_windows(SPEC)
    drift_window = 3600.0
    source = PrometheusSource(session, SPEC, model="fraud", url=url, reference=PROFILE)
    collected = await source.collect(windows, end)
    assert isinstance(collected, Collection), collected
    sidecar = counts_by_window(recorder.snapshot(end), windows, end)
    mine, theirs = sidecar[drift_window], collected.counts[drift_window]
    assert theirs is not None
    for name in ("f0", "f1"):  # the same events in every bin: the same counts, not just similar scores
        assert theirs["features"][name]["sketch"]["counts"] == mine["features"][name]["sketch"]["counts"], name
        assert theirs["features"][name]["sketch"]["edges"] == mine["features"][name]["sketch"]["edges"], name
    assert theirs["prediction"]["values"]["counts"] == mine["prediction"]["values"]["counts"]
    assert theirs["rows"] == mine["rows"]
    assert "features" not in (collected.counts[300.0] or {})  # bins are read for the drift window only

    from_prometheus = evaluate(
        SPEC, collected.counts, now=end, history_s=collected.history_s, reference=PROFILE, min_events=1
    )
    from_sidecars = evaluate(SPEC, sidecar, now=end, history_s=HOUR, reference=PROFILE, min_events=1)
    assert [v.feature for v in from_prometheus.drift] == ["f0", "f1", "prediction"]
    for a, b in zip(from_sidecars.drift, from_prometheus.drift, strict=True):
        assert (b.feature, b.result.method, b.result.verdict, b.state) == (
            a.feature,
            a.result.method,
            a.result.verdict,
            a.state,
        )
        assert b.result.score == pytest.approx(a.result.score, rel=1e-12), a.feature
    verdicts = {v.feature: v.result.verdict for v in from_prometheus.drift}
    assert verdicts == {"f0": "ok", "f1": "drifted", "prediction": "ok"}
    assert from_prometheus.quality == from_sidecars.quality
    assert from_prometheus.unjudged == from_sidecars.unjudged == ()

    without_profile = PrometheusSource(session, SPEC, model="fraud", url=url)
    bare = await without_profile.collect([drift_window], end)
    assert isinstance(bare, Collection)
    assert "features" not in (bare.counts[drift_window] or {})  # unnamed bins are no data, never zeros
    unjudged = evaluate(SPEC, bare.counts, now=end, history_s=bare.history_s, reference=PROFILE, min_events=1)
    assert {v.result.verdict for v in unjudged.drift} == {"insufficient-samples"}
