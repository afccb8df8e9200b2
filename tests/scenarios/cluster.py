"""Emulated pods backed by real processes: each pod is a model server plus the real sidecar CLI.

Pod ``i`` gets the loopback address ``127.0.0.(2 + i)`` as its ``status.podIP`` and its sidecar
(``python -m modelmonitor_proxy``) listens there on the real proxy port, so the operator's
discovery and fetching code is the production code. Linux routes all of 127.0.0.0/8 to loopback.
The model server listens on a free port of 127.0.0.1 (the pod's "model container").

A scenario drives traffic through the sidecars with :func:`send_traffic` (predictions, and 5xx via
the model server's ``/status/500``), and labels with :func:`send_labels`.
"""

from __future__ import annotations

import asyncio
import datetime
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from modelmonitor.api.sidecar_config import SidecarConfig
from modelmonitor.wiring import keys
from tests.scenarios.traffic import Traffic

ROOT = Path(__file__).resolve().parents[2]
PROXY_PORT = 8008


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "operator"), str(ROOT / "sidecar"), str(ROOT)])
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_listening(host: str, port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {host}:{port}")
        with socket.socket() as sock:
            if sock.connect_ex((host, port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


class PodProcesses:
    """One emulated pod: a model server and the sidecar in front of it."""

    def __init__(self, index: int, config: SidecarConfig, *, features: int, workdir: Path) -> None:
        self.name = f"{config.spec.target.deployment}-{index:03d}"
        self.ip = f"127.0.0.{2 + index}"
        self.model_port = _free_port()
        self.config_path = workdir / f"config-{index}.json"
        self.config_path.write_text(config.to_json())
        self.log = tempfile.NamedTemporaryFile(prefix=f"pod-{index}-", suffix=".log", delete=False)  # noqa: SIM115
        self.model = subprocess.Popen(
            [sys.executable, "-m", "tests.support.model_server", "--port", str(self.model_port),
             "--features", str(features), "--seed", str(index)],
            cwd=ROOT, env=_env(), stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self.proxy: subprocess.Popen[bytes] | None = None
        self.started_at = time.time()

    def start_proxy(self) -> None:
        self.proxy = subprocess.Popen(
            [sys.executable, "-m", "modelmonitor_proxy", "--upstream", f"http://127.0.0.1:{self.model_port}",
             "--listen", f"{self.ip}:{PROXY_PORT}", "--config", str(self.config_path)],
            cwd=ROOT, env=_env(), stderr=self.log,
        )  # fmt: skip

    def wait(self) -> None:
        wait_listening("127.0.0.1", self.model_port, self.model)
        assert self.proxy is not None
        wait_listening(self.ip, PROXY_PORT, self.proxy)

    @property
    def url(self) -> str:
        return f"http://{self.ip}:{PROXY_PORT}"

    def pod_object(self, deployment: str, *, ready: bool = True) -> dict[str, Any]:
        started = datetime.datetime.fromtimestamp(self.started_at, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return pod_object(self.name, deployment, self.ip, started, ready=ready)

    def stop(self) -> None:
        for process in (self.proxy, self.model):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(10)
        self.log.close()


def pod_object(name: str, deployment: str, ip: str, started: str, *, ready: bool = True) -> dict[str, Any]:
    """A Pod of ``deployment`` as the API server would show it once scheduled and started."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": deployment, keys.INJECT_LABEL: keys.INJECT_VALUE}},
        "spec": {"containers": [{"name": "model"}, {"name": keys.SIDECAR_CONTAINER}]},
        "status": {
            "phase": "Running",
            "podIP": ip,
            "startTime": started,
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [
                {"name": keys.SIDECAR_CONTAINER, "ready": ready, "state": {"running": {"startedAt": started}}}
            ],
        },
    }


def start_pods(config: SidecarConfig, count: int, *, features: int, workdir: Path) -> list[PodProcesses]:
    """Start ``count`` pods (model servers first, then sidecars) and wait until all listen."""
    pods = [PodProcesses(i, config, features=features, workdir=workdir) for i in range(count)]
    try:
        for pod in pods:
            wait_listening("127.0.0.1", pod.model_port, pod.model)
            pod.start_proxy()
        for pod in pods:
            pod.wait()
    except BaseException:
        for pod in pods:
            pod.stop()
        raise
    return pods


async def send_traffic(
    session: aiohttp.ClientSession, pods: Sequence[PodProcesses], traffic: Traffic, n: int
) -> list[tuple[str, float]]:
    """``n`` requests round-robin over the pods; 5xx requests go to ``/status/500``. Returns answered (id, score)."""
    answered: list[tuple[str, float]] = []

    async def one(index: int, request_id: str, body: bytes, status: int) -> None:
        pod = pods[index % len(pods)]
        headers = {"X-Request-ID": request_id, "Content-Type": "application/json"}
        if status >= 500:
            async with session.get(f"{pod.url}/status/500", headers=headers) as response:
                await response.read()
            return
        async with session.post(f"{pod.url}/v1/models/m:predict", data=body, headers=headers) as response:
            payload = await response.json()
            answered.append((request_id, float(payload["predictions"][0])))

    requests = traffic.requests(n)
    for start in range(0, n, 64):
        chunk = requests[start : start + 64]
        await asyncio.gather(*(one(start + i, rid, body, status) for i, (rid, body, status, _, _) in enumerate(chunk)))
    return answered


async def send_labels(
    session: aiohttp.ClientSession, pods: Sequence[PodProcesses], items: Sequence[dict[str, Any]]
) -> int:
    """Post each label to every pod's feedback endpoint (only the pod that served the request joins it)."""
    joined = 0
    for pod in pods:
        for start in range(0, len(items), 500):
            async with session.post(
                f"{pod.url}/modelmonitor/v1/feedback", json={"items": list(items[start : start + 500])}
            ) as response:
                body = await response.json()
                joined += int(body.get("joined", 0)) if isinstance(body, dict) else 0
    return joined
