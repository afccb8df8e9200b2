"""Monitoring through the proxy, the proxy's own endpoints, the concurrency limit and shutdown.

We test these aspects:
- with the real recorder, KServe v1, OIP v2 and json (feature paths) traffic shows up in the snapshot and in /metrics;
- the feedback join: a label posted for a proxied request id is joined (200); an unknown id is 404;
- fail-open: a recorder that raises never changes the client's response; the failure is counted in
  modelmonitor_monitoring_errors_total; a recorder whose metrics fail to render leaves the proxy's own;
- recording sees the request and response bodies (up to the parse limit) and the request id;
- own paths live under the prefix: /metrics is the model's by default and the proxy's only when asked;
  unknown paths under the prefix are 404, wrong methods 405; the prefix is configurable;
- snapshot and feedback answer 404 with monitoring off; readyz follows the upstream (TCP or a health path);
- past maxConcurrency the proxy answers 503 with Retry-After and counts the rejection;
- SIGTERM drains: an in-flight request completes, then the CLI exits 0.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import aiohttp
import pytest

from modelmonitor.api.sidecar_config import SidecarConfig
from modelmonitor_proxy.app import ProxyOptions
from modelmonitor_proxy.recorder import Exchange, Recorder
from tests.integration.proxy.conftest import ModelServerProcess, ProxyProcess, free_port, running_proxy, wait_until
from tests.support.model_server import kserve_v1_body, oip_v2_body

ROWS = [[0.05 * i - 0.3 * j for i in range(20)] for j in range(2)]


class ExplodingRecorder(Recorder):
    """A recorder whose recording always fails (to prove fail-open)."""

    def record(self, exchange: Exchange) -> None:
        raise RuntimeError("boom")


class BrokenCollector:
    def collect(self) -> Any:
        raise RuntimeError("rendering failed")


class UnrenderableRecorder(Recorder):
    """A recorder whose metrics cannot be rendered."""

    def collector(self) -> Any:
        return BrokenCollector()


class KeepingRecorder(Recorder):
    """A recorder that also keeps every exchange it was given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seen: list[Exchange] = []

    def record(self, exchange: Exchange) -> None:
        self.seen.append(exchange)
        super().record(exchange)


@pytest.mark.parametrize(
    ("path", "body"), [("/v1/models/m:predict", kserve_v1_body(ROWS)), ("/v2/models/m/infer", oip_v2_body(ROWS))]
)
async def test_traffic_reaches_snapshot_and_metrics(model_server: ModelServerProcess, path: str, body: bytes) -> None:
    recorder = KeepingRecorder(SidecarConfig(), version="v7", cohort="canary")
    async with running_proxy(model_server.url, recorder=recorder) as (_, url), aiohttp.ClientSession() as session:
        for i in range(5):
            headers = {"Content-Type": "application/json", "X-Request-ID": f"req-{i}"}
            async with session.post(f"{url}{path}", data=body, headers=headers) as response:
                assert response.status == 200
                response_body = await response.read()
        async with session.get(f"{url}/modelmonitor/v1/snapshot") as response:
            snapshot = await response.json()
        async with session.get(f"{url}/modelmonitor/metrics") as response:
            metrics = await response.text()
    assert snapshot["labels"] == {"model": "local", "version": "v7", "cohort": "canary"}
    assert snapshot["total"]["requests"] == {"2xx": 5}
    assert snapshot["total"]["rows"] == 10
    assert len(snapshot["total"]["features"]) == 20
    assert 'modelmonitor_requests_total{code="2xx",cohort="canary",model="local",version="v7"} 5.0' in metrics
    assert "modelmonitor_proxy_requests_total" in metrics
    last = recorder.seen[-1]
    assert (last.request_id, last.method, last.path, last.status) == ("req-4", "POST", path, 200)
    assert last.request_body == body
    assert last.response_body == response_body
    assert last.request_content_type == "application/json"
    assert last.response_bytes == len(response_body)
    assert 0 < last.duration_seconds < 5


async def test_feedback_join(model_server: ModelServerProcess) -> None:
    recorder = Recorder(SidecarConfig())
    async with running_proxy(model_server.url, recorder=recorder) as (_, url), aiohttp.ClientSession() as session:
        async with session.post(f"{url}/v1/models/m:predict", data=kserve_v1_body(ROWS[:1])) as response:
            request_id = response.headers["X-Request-ID"]
        feedback = f"{url}/modelmonitor/v1/feedback"
        async with session.post(feedback, data=json.dumps({"requestId": request_id, "label": 1})) as response:
            joined_status, joined = response.status, await response.json()
        async with session.post(feedback, data=json.dumps({"requestId": "never-seen", "label": 0})) as response:
            unknown_status = response.status
        async with session.post(feedback, data=b"not json") as response:
            malformed_status = response.status
        async with session.get(feedback) as response:
            wrong_method = response.status
    assert joined_status == 200
    assert joined["requestId"] == request_id
    assert unknown_status == 404
    assert malformed_status == 400
    assert wrong_method == 405


async def test_fail_open(model_server: ModelServerProcess) -> None:
    recorder = ExplodingRecorder(SidecarConfig())
    body = kserve_v1_body(ROWS)
    async with running_proxy(model_server.url, recorder=recorder) as (app, url), aiohttp.ClientSession() as session:
        async with session.post(f"{model_server.url}/v1/models/m:predict", data=body) as response:
            want = (response.status, await response.read())
        for _ in range(3):
            async with session.post(f"{url}/v1/models/m:predict", data=body) as response:
                assert (response.status, await response.read()) == want
        async with session.get(f"{url}/modelmonitor/metrics") as response:
            metrics = await response.text()
    assert app.stats.monitoring_errors == 3
    assert "modelmonitor_monitoring_errors_total 3.0" in metrics


async def test_broken_recorder_metrics_leave_proxy_metrics(model_server: ModelServerProcess) -> None:
    recorder = UnrenderableRecorder(SidecarConfig())
    async with (
        running_proxy(model_server.url, recorder=recorder) as (_, url),
        aiohttp.ClientSession() as session,
        session.get(f"{url}/modelmonitor/metrics") as response,
    ):
        status, text = response.status, await response.text()
    assert status == 200
    assert "modelmonitor_proxy_requests_total" in text
    assert "modelmonitor_monitoring_errors_total 1.0" in text


async def test_metrics_path_and_prefix(model_server: ModelServerProcess) -> None:
    async with aiohttp.ClientSession() as session:
        async with running_proxy(model_server.url) as (_, url):
            async with session.get(f"{url}/metrics") as response:
                root = await response.text()
            async with session.get(f"{url}/modelmonitor/metrics") as response:
                own = await response.text()
            async with session.get(f"{url}/modelmonitor/nothing-here") as response:
                reserved = response.status
            async with session.get(f"{url}/modelmonitor/v1/snapshot") as response:
                snapshot_off = response.status
            async with session.get(f"{url}/modelmonitor/healthz") as response:
                healthz = response.status
        options = ProxyOptions(path_prefix="/mm/x", serve_root_metrics=True)
        async with running_proxy(model_server.url, options=options) as (_, url):
            async with session.get(f"{url}/metrics") as response:
                root_own = await response.text()
            async with session.get(f"{url}/mm/x/readyz") as response:
                ready = response.status
            async with session.get(f"{url}/modelmonitor/readyz") as response:
                forwarded = response.status  # not ours any more: the model answers 404
    assert root.startswith("model_server_predictions_total")
    assert "modelmonitor_proxy_requests_total" in own
    assert reserved == 404
    assert snapshot_off == 404
    assert healthz == 200
    assert "modelmonitor_proxy_requests_total" in root_own
    assert ready == 200
    assert forwarded == 404


async def test_readyz_health_path(model_server: ModelServerProcess) -> None:
    async with aiohttp.ClientSession() as session:
        for health_path, want in (("/v2/health/ready", 200), ("/status/503", 503)):
            options = ProxyOptions(health_path=health_path)
            async with (
                running_proxy(model_server.url, options=options) as (_, url),
                session.get(f"{url}/modelmonitor/readyz") as response,
            ):
                assert response.status == want, health_path


async def test_concurrency_limit(model_server: ModelServerProcess) -> None:
    options = ProxyOptions(max_concurrency=2)
    async with running_proxy(model_server.url, options=options) as (app, url), aiohttp.ClientSession() as session:

        async def slow() -> int:
            async with session.get(f"{url}/slow?ms=400") as response:
                await response.read()
                return response.status

        slow_calls = [asyncio.create_task(slow()) for _ in range(2)]
        await wait_until(lambda: app.stats.in_flight == 2)
        async with session.get(f"{url}/slow?ms=1") as response:
            rejected = (response.status, response.headers.get("Retry-After"), await response.json())
        statuses = await asyncio.gather(*slow_calls)
    assert statuses == [200, 200]
    assert rejected[0] == 503
    assert rejected[1] == "1"
    assert rejected[2]["error"]["code"] == "too_many_requests"
    assert app.stats.outcomes["rejected"] == 1


async def test_sigterm_drains_in_flight(model_server: ModelServerProcess) -> None:
    proxy = ProxyProcess(model_server.url, "--no-monitoring", "--shutdown-timeout", "5")
    try:
        async with aiohttp.ClientSession() as session:
            pending = asyncio.create_task(session.get(f"{proxy.url}/slow?ms=600"))
            await asyncio.sleep(0.2)
            proxy.process.send_signal(15)
            response = await pending
            body = await response.json()
            code = await asyncio.to_thread(proxy.process.wait, 10)
    finally:
        proxy.stop()
    assert response.status == 200
    assert body == {"slept_ms": 600.0}
    assert code == 0


async def test_cli_rejects_bad_flags(tmp_path: Any) -> None:
    bad_config = tmp_path / "config.json"
    bad_config.write_text('{"spec": {"nope": 1}}')
    for args in (
        ["--upstream", "ftp://x:1"],
        ["--upstream", "http://127.0.0.1:1", "--listen", "nonsense"],
        ["--upstream", "http://127.0.0.1:1", "--config", str(bad_config)],
    ):
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "modelmonitor_proxy", *args, "--listen" if "--listen" not in args else "--log-level",
            f"127.0.0.1:{free_port()}" if "--listen" not in args else "INFO",
            stderr=asyncio.subprocess.PIPE, env=_env(),
        )  # fmt: skip
        _, stderr = await process.communicate()
        assert process.returncode == 2, args
        assert b"error:" in stderr


def _env() -> dict[str, str]:
    from tests.integration.proxy.conftest import child_env

    return child_env()


async def test_json_protocol_with_paths(model_server: ModelServerProcess) -> None:
    config = SidecarConfig.model_validate(
        {
            "spec": {
                "target": {"deployment": "d"},
                "protocol": "json",
                "features": [{"name": f"f{i:02d}", "path": f"rows.*.f{i:02d}"} for i in range(20)],
                "prediction": {"path": "scores.*"},
            }
        }
    )
    recorder = Recorder(config)
    body = json.dumps({"rows": [{f"f{i:02d}": x for i, x in enumerate(row)} for row in ROWS]}).encode()
    async with running_proxy(model_server.url, recorder=recorder) as (_, url), aiohttp.ClientSession() as session:
        async with session.post(f"{url}/predict", data=body) as response:
            request_id = response.headers["X-Request-ID"]
            assert response.status == 200
        async with session.post(
            f"{url}/modelmonitor/v1/feedback", data=json.dumps({"requestId": request_id, "label": 0})
        ) as response:
            joined = response.status
        async with session.get(f"{url}/modelmonitor/v1/snapshot") as response:
            snapshot = await response.json()
    total = snapshot["total"]
    assert total["rows"] == 2
    assert sorted(total["features"]) == [f"f{i:02d}" for i in range(20)]
    assert total["prediction"]["readable"] == 2
    assert joined == 200
