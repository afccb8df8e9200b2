"""The sidecars source against real sidecar processes on 127.0.0.x, discovered through the emulator.

We test these aspects:
- only Ready pods with an IP of the target Deployment are asked; other Deployments' pods are not;
- the merged counts are the sum over the sidecars (request counts add up exactly);
- a pod whose sidecar does not answer is reported with the reason, and the rest still merge;
- no ready pod, or no answering sidecar, is an explicit NoData, never empty counts;
- history is the age of the oldest answering sidecar, capped at the ring; windows beyond the ring are None.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from modelmonitor.kube.client import KubeApi, build_api_client
from modelmonitor.sources.base import Collection, NoData
from modelmonitor.sources.sidecars import SidecarSource
from tests.integration.operator.conftest import DEPLOYMENTS, NS, deployment
from tests.scenarios.cluster import PodProcesses, pod_object, send_traffic, start_pods
from tests.scenarios.traffic import Traffic, monitor_spec, sidecar_config
from tests.support.emulator import StrictEmulator, declare_kopf_backbone

SPEC = monitor_spec(slos=[{"name": "availability", "sli": "error-rate", "objective": 99.9}])


@pytest.fixture(scope="module")
def pods(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[PodProcesses]]:
    started = start_pods(sidecar_config(SPEC, None), 3, features=3, workdir=Path(tmp_path_factory.mktemp("pods")))
    yield started
    for pod in started:
        pod.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def api(kmock: StrictEmulator) -> Iterator[KubeApi]:
    declare_kopf_backbone(kmock)
    client = KubeApi(build_api_client(api_url=str(kmock.url).rstrip("/")))
    yield client
    client.close()


async def test_collects_sums_and_reports_silent_pods(
    kmock: StrictEmulator, api: KubeApi, pods: list[PodProcesses], session: aiohttp.ClientSession
) -> None:
    kmock.seed(DEPLOYMENTS, NS, deployment("fraud-scorer"))
    for pod in pods:
        kmock.seed("v1/pods", NS, pod.pod_object("fraud-scorer"))
    old = "2026-01-01T00:00:00Z"
    kmock.seed("v1/pods", NS, pod_object("fraud-scorer-silent", "fraud-scorer", "127.0.0.250", old))
    kmock.seed("v1/pods", NS, pod_object("fraud-scorer-starting", "fraud-scorer", "127.0.0.251", old, ready=False))
    kmock.seed("v1/pods", NS, pod_object("other-model-1", "other-model", "127.0.0.252", old))

    before = await SidecarSource(session, api, namespace=NS, spec=SPEC).collect([300.0], time.time())
    assert isinstance(before, Collection)
    base = sum((before.counts[300.0] or {}).get("requests", {}).values())
    await send_traffic(session, pods, Traffic(3, seed=11, error_rate=0.1), 300)

    source = SidecarSource(session, api, namespace=NS, spec=SPEC, timeout_s=1.0)
    now = time.time()
    collection = await source.collect([300.0, 3600.0, 86400.0 * 3], now)
    assert isinstance(collection, Collection)
    assert sorted(p.pod for p in collection.answered) == sorted(p.name for p in pods)
    silent = collection.unreachable
    assert [p.pod for p in silent] == ["fraud-scorer-silent"]
    assert silent[0].error
    requests = (collection.counts[300.0] or {})["requests"]
    assert sum(requests.values()) - base == 300
    assert 10 <= requests.get("5xx", 0) <= 60
    assert collection.counts[86400.0 * 3] is None  # beyond the ring: no data, not zero
    oldest = min(p.started_at for p in pods)
    assert collection.history_s == pytest.approx(now - oldest, abs=2.0)


async def test_no_ready_pod_or_no_answer_is_no_data(
    kmock: StrictEmulator, api: KubeApi, session: aiohttp.ClientSession
) -> None:
    source = SidecarSource(session, api, namespace=NS, spec=SPEC, timeout_s=0.5)
    missing = await source.collect([300.0], time.time())
    assert isinstance(missing, NoData)
    assert "not found" in missing.reason
    kmock.seed(DEPLOYMENTS, NS, deployment("fraud-scorer"))
    none_ready = await source.collect([300.0], time.time())
    assert isinstance(none_ready, NoData)
    assert "no ready pod" in none_ready.reason
    kmock.seed("v1/pods", NS, pod_object("fraud-scorer-x", "fraud-scorer", "127.0.0.253", "2026-01-01T00:00:00Z"))
    silent = await source.collect([300.0], time.time())
    assert isinstance(silent, NoData)
    assert silent.reason == "none of 1 sidecars answered"
    assert silent.unreachable[0].pod == "fraud-scorer-x"
