"""``modelmonitor run`` as a real process against the emulator's URL.

We test these aspects:
- the command starts the operator with an explicit API URL or a kubeconfig (then with peering
  auto-detected: the emulator has no peering resources, so it runs standalone) and wires a ModelMonitor (Ready=True);
- its logs are JSON lines;
- bad settings exit with status 2 and a message naming the setting.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.operator.conftest import DEPLOYMENTS, MM, NS, deployment, eventually, monitor
from tests.support.emulator import StrictEmulator, write_kubeconfig

ROOT = Path(__file__).resolve().parents[3]


def _env() -> dict[str, str]:
    # the SidecarMissing timer is off: Kopf lets a timer outlive its exit by up to 5 s
    paths = f"{ROOT / 'operator'}:{ROOT / 'sidecar'}"
    return {**os.environ, "PYTHONPATH": paths, "MODELMONITOR_SIDECAR_CHECK_INTERVAL": "0"}


@pytest.mark.parametrize("connection", ["api-url", "kubeconfig"])
async def test_run_wires_a_monitor(emulator: StrictEmulator, tmp_path: Path, connection: str) -> None:
    server = str(emulator.url).rstrip("/")
    if connection == "api-url":
        target = ["--api-url", server, "--standalone"]
    else:  # and no --standalone: without peering resources in the cluster, Kopf runs standalone
        target = ["--kubeconfig", str(write_kubeconfig(tmp_path / "kubeconfig", server))]
    emulator.seed(DEPLOYMENTS, NS, deployment())
    emulator.seed(MM, NS, monitor(target={"deployment": "fraud-scorer"}))
    log = (tmp_path / "operator.log").open("w+")
    command = [
        sys.executable,
        "-m",
        "modelmonitor",
        "run",
        *target,
        "--no-webhooks",
        "--metrics-port",
        "0",
        "--log-format",
        "json",
    ]
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=_env())
    try:

        def wired() -> bool:
            conditions = emulator.objects[MM, NS, "fraud-scorer"]["status"]["conditions"]
            return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)

        await eventually(wired, timeout=20, what="Ready from the CLI operator")
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 10)
        log.seek(0)
        lines = [line for line in log.read().splitlines() if line.strip()]
        log.close()
    assert lines
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert records, lines[:5]
    assert all("message" in record for record in records)


def test_bad_setting_exits_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "modelmonitor", "run", "--webhook-port", "70000"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "config.webhook_port" in result.stderr
