"""Our Alertmanager payload against the real Alertmanager (Debian's prometheus-alertmanager) on loopback.

We test these aspects:
- an alert POSTed to Alertmanager reaches a webhook receiver with the same top-level and per-alert keys as
  the payload we build, the same version, status, group labels, common labels and zero-time endsAt;
- Alertmanager's fingerprint of the alert equals ours.
Skipped with a reason when prometheus-alertmanager is not installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from modelmonitor.alerts.dispatch import AlertState, DispatchConfig, dispatch
from modelmonitor.alerts.model import Alert
from modelmonitor.alerts.payload import alertmanager_payload

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
pytestmark = pytest.mark.skipif(
    ALERTMANAGER is None,
    reason="prometheus-alertmanager not installed (apt-get install --no-install-recommends prometheus-alertmanager)",
)
LABELS = {"alertname": "ModelMonitorErrorBudgetBurn", "model": "fraud", "version": "v1", "slo": "a", "severity": "page"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def hook() -> AsyncIterator[tuple[str, asyncio.Queue[dict[str, Any]]]]:
    bodies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        await bodies.put(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook", bodies
    finally:
        await runner.cleanup()


@contextlib.contextmanager
def alertmanager(tmp_path: Path, hook_url: str, port: int) -> Any:
    config = tmp_path / "am.yml"
    config.write_text(
        "route:\n  receiver: hook\n  group_by: [model, version]\n  group_wait: 0s\n  group_interval: 1s\n"
        f"  repeat_interval: 1h\nreceivers:\n  - name: hook\n    webhook_configs:\n      - url: {hook_url}\n"
    )
    assert ALERTMANAGER is not None
    process = subprocess.Popen(
        [
            ALERTMANAGER,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_payload_and_fingerprint_match_alertmanager(
    tmp_path: Path, hook: tuple[str, asyncio.Queue[dict[str, Any]]]
) -> None:
    hook_url, bodies = hook
    port = free_port()
    with alertmanager(tmp_path, hook_url, port):
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            for _ in range(100):
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"{base}/-/ready") as response:
                        if response.status == 200:
                            break
                await asyncio.sleep(0.05)
            alert = [{"labels": LABELS, "annotations": {"summary": "burning"}, "generatorURL": "http://mm"}]
            async with session.post(f"{base}/api/v2/alerts", json=alert) as response:
                assert response.status == 200
            theirs = await asyncio.wait_for(bodies.get(), timeout=15)

    now = datetime.now(UTC)
    (notification,), _ = dispatch(
        [Alert(labels=LABELS, annotations={"summary": "burning"})], AlertState(), now, DispatchConfig()
    )
    ours = alertmanager_payload(notification, external_url="http://mm")
    assert set(ours) == set(theirs)
    assert set(ours["alerts"][0]) == set(theirs["alerts"][0])
    assert ours["version"] == theirs["version"] == "4"
    assert ours["status"] == theirs["status"] == "firing"
    assert ours["groupLabels"] == theirs["groupLabels"]
    assert ours["commonLabels"] == theirs["commonLabels"]
    assert ours["commonAnnotations"] == theirs["commonAnnotations"]
    assert theirs["alerts"][0]["endsAt"] == ours["alerts"][0]["endsAt"] == "0001-01-01T00:00:00Z"
    assert theirs["alerts"][0]["fingerprint"] == ours["alerts"][0]["fingerprint"]
