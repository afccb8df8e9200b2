"""Fixtures for running the whole operator (KopfRunner, own thread) against the strict emulator."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import kopf
import pytest
from kopf.testing import KopfRunner
from prometheus_client import CollectorRegistry

from modelmonitor.api.crd import build_crd
from modelmonitor.config import OperatorConfig
from modelmonitor.handlers import OperatorContext, build_registry
from modelmonitor.kube.client import KubeApi, build_api_client
from modelmonitor.metrics import OperatorMetrics
from tests.support.emulator import StrictEmulator, declare_crd, declare_kopf_backbone

MM = "modelmonitor.io/v1alpha1/modelmonitors"
DEPLOYMENTS = "apps/v1/deployments"
SERVICES = "v1/services"
CONFIGMAPS = "v1/configmaps"
NS = "ml"


def deployment(name: str = "fraud-scorer", *, labels: dict[str, str] | None = None) -> dict[str, Any]:
    template_meta: dict[str, Any] = {"labels": labels} if labels is not None else {}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": template_meta,
                "spec": {"containers": [{"name": "model", "image": "model:1", "ports": [{"containerPort": 8080}]}]},
            },
        },
    }


def service(name: str = "fraud-scorer") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]},
    }


def monitor(name: str = "fraud-scorer", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "modelmonitor.io/v1alpha1",
        "kind": "ModelMonitor",
        "metadata": {"name": name, "namespace": NS},
        "spec": spec or {"target": {"deployment": "fraud-scorer", "service": "fraud-scorer", "port": 8080}},
    }


async def eventually(check: Callable[[], Any], *, timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``check`` every 20 ms until it returns a truthy value (or no exception); fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except (KeyError, AssertionError, ValueError, TypeError) as exc:
            last = exc
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}: {last!r}")


@pytest.fixture
def emulator(kmock: StrictEmulator) -> StrictEmulator:
    declare_kopf_backbone(kmock)
    declare_crd(kmock, build_crd())
    return kmock


_TEST_SETTINGS: dict[str, Any] = {
    "standalone": True,
    "webhooks_enabled": False,
    "webhook_addr": "127.0.0.1",
    "webhook_host": "127.0.0.1",
    "webhook_port": 0,
    "retry_base_seconds": 0.2,
    "retry_max_seconds": 0.5,
    "sidecar_check_interval": 0,  # off: its timers outlive Kopf's exit by up to 5 s; on where tested
    "analysis_tick_seconds": 0,  # off for the same reason; the analysis suites run it
    "metrics_port": 0,
}


@pytest.fixture
def operator_config(emulator: StrictEmulator, request: pytest.FixtureRequest) -> OperatorConfig:
    """Fast retries, no webhooks; a test changes any setting with ``indirect`` parametrization."""
    overrides = getattr(request, "param", {})
    return OperatorConfig(**{**_TEST_SETTINGS, "api_url": str(emulator.url).rstrip("/"), **overrides})


@pytest.fixture
def context(operator_config: OperatorConfig) -> Iterator[OperatorContext]:
    api = KubeApi(build_api_client(api_url=operator_config.api_url))
    yield OperatorContext(operator_config, api, OperatorMetrics(CollectorRegistry()))
    api.close()


class Operator:
    """Start and stop the operator in its own thread (KopfRunner), as many times as a test needs."""

    def __init__(self, context: OperatorContext) -> None:
        self.context = context
        self.runner: KopfRunner | None = None

    async def start(self) -> None:
        settings = kopf.OperatorSettings()
        # A per-object worker lingers idle_timeout (5 s) after its last event, and Kopf's exit waits for
        # it: shorten both so that stopping mid-processing takes milliseconds, not seconds.
        settings.queueing.idle_timeout = 0.3
        settings.queueing.exit_timeout = 0.3
        args = ["run", "--standalone", "-A"]
        self.runner = KopfRunner(args, registry=build_registry(self.context), settings=settings, timeout=30)
        await asyncio.to_thread(self.runner.__enter__)

    async def stop(self) -> None:
        if self.runner is not None:
            runner, self.runner = self.runner, None
            await asyncio.to_thread(runner.__exit__, None, None, None)


@pytest.fixture
async def operator(context: OperatorContext) -> AsyncIterator[Operator]:
    running = Operator(context)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()
