"""The ``cluster`` fixture the scenarios run against: the strict emulator, the operator, real sidecars.

A scenario only uses the :class:`EmulatedCluster` interface (create the monitor, read conditions,
send traffic and labels), so a kind-backed cluster with the same methods can reuse the scenarios.

Windows are compressed on purpose so that a scenario takes seconds: the operator evaluates every
second, and its page rule reads a 60 s long and a 60 s short window at the SRE workbook's page factor
(14.4 for a 30-day SLO). Sidecar buckets are 60 s wide and the emulated pods have just started,
so a window is judged once history covers ``MIN_COVERAGE`` (5 %) of it, said here rather than
hidden: the production default is 90 %.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import kmock
import kopf
import pytest
import yaml
from kopf.testing import KopfRunner
from prometheus_client import CollectorRegistry

from modelmonitor.api.crd import build_crd
from modelmonitor.api.profile import ReferenceProfile
from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.config import OperatorConfig
from modelmonitor.handlers import OperatorContext, analysis, monitors, startup
from modelmonitor.handlers.analysis import AnalysisLoop
from modelmonitor.kube.client import KubeApi, build_api_client
from modelmonitor.metrics import OperatorMetrics
from modelmonitor.slo.windows import BudgetPolicy, Severity
from tests.scenarios.cluster import PodProcesses, send_labels, send_traffic, start_pods
from tests.scenarios.traffic import Traffic, sidecar_config
from tests.support.emulator import StrictEmulator, declare_crd, declare_kopf_backbone

NS = "ml"
MM = "modelmonitor.io/v1alpha1/modelmonitors"
DEPLOYMENT = "fraud-scorer"
TICK_S = 0.25
MIN_COVERAGE = 0.05
COMPRESSED_POLICY = (
    # 14.4 = budget consumed * 30d / 60s: the workbook's fast-burn page factor over a one-minute window.
    BudgetPolicy(Severity.PAGE, long_window_s=60.0, short_window_s=60.0, budget_consumed=14.4 * 60 / (30 * 86400)),
)


def kmock_resource(kind: str) -> kmock.ResourceInfo:
    return kmock.ResourceInfo(kind=kind, namespaced=True, verbs={"list", "get", "create", "delete"})


class EmulatedCluster:
    """The emulator, an operator (KopfRunner) and ``pods`` real sidecar+model pairs."""

    def __init__(self, emulator: StrictEmulator, tmp: Path) -> None:
        self.emulator = emulator
        self.tmp = tmp
        self.pods: list[PodProcesses] = []
        self.runner: KopfRunner | None = None
        self.session: aiohttp.ClientSession | None = None
        self.loop: AnalysisLoop | None = None
        self.api: KubeApi | None = None
        self.interval_s = 1.0

    async def start(
        self, spec: ModelMonitorSpec, profile: ReferenceProfile | None, *, pods: int = 3, features: int = 20
    ) -> None:
        self.pods = await asyncio.to_thread(
            start_pods, sidecar_config(spec, profile, DEPLOYMENT), pods, features=features, workdir=self.tmp
        )
        selector = {"matchLabels": {"app": DEPLOYMENT}}
        template = {"metadata": {"labels": {"app": DEPLOYMENT}}, "spec": {"containers": [{"name": "model"}]}}
        self.emulator.seed(
            "apps/v1/deployments",
            NS,
            {"metadata": {"name": DEPLOYMENT}, "spec": {"replicas": pods, "selector": selector, "template": template}},
        )
        if profile is not None and spec.reference is not None:
            text = yaml.safe_dump(profile.model_dump(by_alias=True, mode="json"))
            self.emulator.seed(
                "v1/configmaps",
                NS,
                {"metadata": {"name": spec.reference.config_map}, "data": {spec.reference.key: text}},
            )
        for pod in self.pods:
            self.emulator.seed("v1/pods", NS, pod.pod_object(DEPLOYMENT))
        self.session = aiohttp.ClientSession()
        await self.start_operator()
        document = {
            "apiVersion": "modelmonitor.io/v1alpha1",
            "kind": "ModelMonitor",
            "metadata": {"name": DEPLOYMENT, "namespace": NS},
            "spec": spec.model_dump(by_alias=True, mode="json", exclude_none=True),
        }
        self.interval_s = float(spec.analysis.interval.rstrip("s"))
        async with (
            aiohttp.ClientSession() as client,
            client.post(
                f"{str(self.emulator.url).rstrip('/')}/apis/modelmonitor.io/v1alpha1/namespaces/{NS}/modelmonitors",
                json=document,
            ) as response,
        ):
            assert response.status < 300, await response.text()

    async def start_operator(self) -> None:
        """Start an operator process (KopfRunner) with a fresh analysis loop: nothing kept in memory."""
        config = OperatorConfig(
            standalone=True, webhooks_enabled=False, api_url=str(self.emulator.url).rstrip("/"),
            retry_base_seconds=0.2, retry_max_seconds=0.5, sidecar_check_interval=0, metrics_port=0,
        )  # fmt: skip
        if self.api is None:
            self.api = KubeApi(build_api_client(api_url=config.api_url))
        ctx = OperatorContext(config, self.api, OperatorMetrics(CollectorRegistry()))
        registry = kopf.OperatorRegistry()
        startup.register(registry, ctx)
        monitors.register(registry, ctx)
        self.loop = AnalysisLoop(ctx, policy=COMPRESSED_POLICY, min_coverage=MIN_COVERAGE, fetch_timeout_s=2.0)
        analysis.register(registry, ctx, tick_s=TICK_S, loop=self.loop)
        settings = kopf.OperatorSettings()
        settings.queueing.idle_timeout = 0.3
        settings.queueing.exit_timeout = 0.3
        self.runner = KopfRunner(["run", "--standalone", "-A"], registry=registry, settings=settings, timeout=30)
        await asyncio.to_thread(self.runner.__enter__)

    async def stop_operator(self) -> None:
        if self.runner is not None:
            runner, self.runner = self.runner, None
            await asyncio.to_thread(runner.__exit__, None, None, None)

    def status(self) -> dict[str, Any]:
        return dict(self.emulator.objects[MM, NS, DEPLOYMENT].get("status") or {})

    def condition(self, kind: str) -> dict[str, Any] | None:
        for condition in self.status().get("conditions") or []:
            if condition.get("type") == kind:
                return dict(condition)
        return None

    def jobs(self) -> list[dict[str, Any]]:
        """Jobs created in the monitor's namespace."""
        return [
            dict(obj.raw)
            for key, obj in list(self.emulator.objects.items())
            if key[0] == "batch/v1/jobs" and not obj.deleted
        ]

    def events(self, reason: str) -> list[dict[str, Any]]:
        """Events the operator posted with ``reason``."""
        return [
            dict(obj.raw)
            for key, obj in list(self.emulator.objects.items())
            if key[0] == "v1/events" and not obj.deleted and obj.get("reason") == reason
        ]

    async def wait_for(self, check: Callable[[], Any], *, timeout: float = 20.0, what: str = "condition") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                found = check()
            except (KeyError, TypeError):
                found = None
            if found:
                return found
            await asyncio.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}; status: {self.status()}")

    async def analysed_after(self, moment: str | None) -> dict[str, Any]:
        """Wait for an evaluation later than ``moment`` (status.lastAnalysisTime) and return the status."""
        await self.wait_for(lambda: (self.status().get("lastAnalysisTime") or "") > (moment or ""), what="an analysis")
        return self.status()

    async def traffic(self, traffic: Traffic, n: int) -> list[tuple[str, float]]:
        assert self.session is not None
        return await send_traffic(self.session, self.pods, traffic, n)

    async def labels(self, items: list[dict[str, Any]]) -> int:
        assert self.session is not None
        return await send_labels(self.session, self.pods, items)

    async def stop(self) -> None:
        await self.stop_operator()
        if self.session is not None:
            await self.session.close()
        if self.api is not None:
            self.api.close()
        for pod in self.pods:
            pod.stop()


@pytest.fixture
def emulator(kmock: StrictEmulator) -> StrictEmulator:
    declare_kopf_backbone(kmock)
    declare_crd(kmock, build_crd())
    kmock.resources["batch/v1/jobs"] = kmock_resource("Job")
    return kmock


@pytest.fixture
async def cluster(emulator: StrictEmulator, tmp_path: Path) -> AsyncIterator[EmulatedCluster]:
    running = EmulatedCluster(emulator, tmp_path)
    try:
        yield running
    finally:
        await running.stop()
