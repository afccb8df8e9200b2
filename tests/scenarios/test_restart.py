"""Alerts and restart safety: the operator pages through the webhook once, and a restarted operator neither
re-sends nor flips anything.

We test these aspects:
- a burning SLO is delivered to the webhook as an Alertmanager body (alertname, slo, severity page), once;
- after an operator restart (fresh process state, same cluster) the burn-rate windows are rebuilt from the
  sidecars at the first evaluation: BudgetBurning stays True with its lastTransitionTime, no second
  notification is sent before repeatInterval, and the drift streaks come back from the state ConfigMap.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from tests.scenarios.conftest import NS, EmulatedCluster
from tests.scenarios.test_analysis import AVAILABILITY, spec
from tests.scenarios.traffic import Traffic, reference_profile


@pytest.fixture
async def sink() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/hook", received
    await runner.cleanup()


async def test_pages_once_and_a_restart_changes_nothing(
    cluster: EmulatedCluster, sink: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = sink
    monitor = spec(
        slos=[AVAILABILITY],
        drift={"minSamples": 500, "consecutive": 2},
        alerting={"webhook": {"url": url}, "repeatInterval": "4h"},
    )
    await cluster.start(monitor, reference_profile(20))
    await cluster.traffic(Traffic(20, seed=8, error_rate=0.05, shift={"f5": 1.0}), 2_500)
    burning = await cluster.wait_for(
        lambda: (c := cluster.condition("BudgetBurning")) and c["status"] == "True" and c, timeout=15
    )
    drifted = await cluster.wait_for(
        lambda: (c := cluster.condition("Drifting")) and c["status"] == "True" and c, timeout=15
    )
    await cluster.wait_for(lambda: received, what="a notification")
    first = received[0]
    assert first["version"] == "4"
    assert first["status"] == "firing"
    labels = first["alerts"][0]["labels"]
    assert (labels["alertname"], labels["slo"], labels["severity"]) == (
        "ModelMonitorErrorBudgetBurn",
        "availability",
        "page",
    )
    assert labels["namespace"] == NS
    assert labels["monitor"] == "fraud-scorer"
    key = ("v1/configmaps", NS, "fraud-scorer-modelmonitor-analysis")
    # the delivered alert is recorded in the state ConfigMap (written after delivery)
    await cluster.wait_for(
        lambda: json.loads(cluster.emulator.objects[key]["data"]["state.json"])["alerts"]["alerts"],
        what="the alert log in the state ConfigMap",
    )

    await cluster.stop_operator()
    before = cluster.status()["lastAnalysisTime"]
    await cluster.start_operator()
    after = await cluster.analysed_after(before)
    await cluster.analysed_after(after["lastAnalysisTime"])
    again = cluster.condition("BudgetBurning")
    assert again is not None
    assert again["status"] == "True"
    assert again["lastTransitionTime"] == burning["lastTransitionTime"]
    drifting = cluster.condition("Drifting")
    # The streak came back from the ConfigMap: without it the first evaluation would have said NoDrift (1 of 2).
    assert drifting is not None
    assert drifting["lastTransitionTime"] == drifted["lastTransitionTime"]
    await asyncio.sleep(1.0)
    assert len(received) == 1, [r["status"] for r in received]
