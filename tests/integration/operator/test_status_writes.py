"""Condition writes through the API with optimistic concurrency (kube.status) against the emulator.

We test these aspects:
- conditions, phase and observedGeneration land through the /status subresource; the changed reasons are returned;
- writing the same observations again sends no request;
- concurrent writers of different condition types both survive (the resourceVersion guard retries);
- a vanished monitor is not an error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from modelmonitor.api.status import ConditionStatus, ConditionType
from modelmonitor.kube.client import KubeApi, build_api_client
from modelmonitor.kube.status import write_conditions
from modelmonitor.wiring.conditions import Observation
from tests.integration.operator.conftest import MM, NS, monitor
from tests.support.emulator import StrictEmulator

READY = Observation(ConditionType.READY, ConditionStatus.TRUE, "Wired", "ok")
MISSING = Observation(ConditionType.SIDECAR_MISSING, ConditionStatus.TRUE, "PodsWithoutSidecar", "1 pod")


@pytest.fixture
def api(emulator: StrictEmulator) -> Iterator[KubeApi]:
    client = KubeApi(build_api_client(api_url=str(emulator.url).rstrip("/")))
    yield client
    client.close()


async def test_write_then_nothing_to_write(emulator: StrictEmulator, api: KubeApi) -> None:
    emulator.seed(MM, NS, monitor())
    changed = await write_conditions(api, namespace=NS, name="fraud-scorer", observations=[READY], now="t1")
    assert changed == [READY]
    status = emulator.objects[MM, NS, "fraud-scorer"]["status"]
    assert status["phase"] == "Healthy"
    assert status["observedGeneration"] == 1
    assert status["conditions"][0]["reason"] == "Wired"
    versions = len(emulator.objects[MM, NS, "fraud-scorer"].history)
    again = await write_conditions(api, namespace=NS, name="fraud-scorer", observations=[READY], now="t2")
    assert again == []
    assert len(emulator.objects[MM, NS, "fraud-scorer"].history) == versions


async def test_concurrent_writers_do_not_lose_updates(emulator: StrictEmulator, api: KubeApi) -> None:
    emulator.seed(MM, NS, monitor())
    await asyncio.gather(
        *[
            write_conditions(api, namespace=NS, name="fraud-scorer", observations=[obs], now="t", acted=acted)
            for obs, acted in [(READY, True), (MISSING, False)] * 3
        ]
    )
    types = sorted(c["type"] for c in emulator.objects[MM, NS, "fraud-scorer"]["status"]["conditions"])
    assert types == ["Ready", "SidecarMissing"]


async def test_vanished_monitor(emulator: StrictEmulator, api: KubeApi) -> None:
    assert await write_conditions(api, namespace=NS, name="absent", observations=[READY], now="t") == []
