"""Real processes on 127.0.0.1 for the proxy's integration tests: a model server, the proxy in-process or as the CLI."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.registry import CollectorRegistry

from modelmonitor_proxy.app import ProxyApp, ProxyOptions, create_app

ROOT = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 15.0, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "operator"), str(ROOT / "sidecar"), str(ROOT)])
    return env


class ModelServerProcess:
    """``python -m tests.support.model_server`` on a free port; restartable on the same port."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.args = args
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "tests.support.model_server", "--port", str(self.port), *self.args]
        self.process = subprocess.Popen(command, cwd=ROOT, env=child_env(), stderr=subprocess.DEVNULL)
        wait_for_port(self.port, process=self.process)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None


@pytest.fixture(scope="module")
def model_server() -> Iterator[ModelServerProcess]:
    server = ModelServerProcess("--features", "20")
    server.start()
    yield server
    server.kill()


@contextlib.asynccontextmanager
async def running_proxy(upstream: str, **kwargs: Any) -> AsyncIterator[tuple[ProxyApp, str]]:
    """The proxy in this test's event loop on a free port; yields the app and its base URL."""
    options = kwargs.pop("options", None) or ProxyOptions()
    app = create_app(upstream, registry=CollectorRegistry(), options=options, **kwargs)
    port = await app.start("127.0.0.1", 0)
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        await app.shutdown(timeout=2.0)


class ProxyProcess:
    """The ``modelmonitor-proxy`` command line as a child process."""

    def __init__(self, upstream: str, *args: str) -> None:
        self.port = free_port()
        command = [
            sys.executable, "-m", "modelmonitor_proxy", "--upstream", upstream,
            "--listen", f"127.0.0.1:{self.port}", *args,
        ]  # fmt: skip
        # A file, not a pipe: nobody reads a pipe while the test runs, and a full pipe blocks the proxy.
        self.log = tempfile.NamedTemporaryFile(prefix="modelmonitor-proxy-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(command, cwd=ROOT, env=child_env(), stderr=self.log)
        wait_for_port(self.port, process=self.process)

    def log_text(self) -> str:
        with open(self.log.name, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def terminate(self, timeout: float = 15.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        self.log.close()


async def wait_until(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        await asyncio.sleep(0.01)
