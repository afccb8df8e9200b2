"""Soak: many requests through the proxy CLI (monitoring on) with malformed bodies, an upstream crash and client aborts.

We test these aspects:
- every response the client receives equals what the upstream sends for that request (status and body,
  byte for byte), or is the proxy's documented JSON 502 while the upstream is down;
- the proxy never dies and never cuts a connection on its own;
- the proxy's RSS grows by less than 10 MB after warm-up;
- the counters add up: forwarded outcomes sum to the requests sent, and the recorder saw every
  exchange that completed (proxied or answered 502).

The count is ``MODELMONITOR_SOAK_REQUESTS`` (default 20,000, about 15 s here; the acceptance run is
100,000: ``MODELMONITOR_SOAK_REQUESTS=100000 pytest tests/integration/proxy/test_soak.py``).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import time
from dataclasses import dataclass, field

import psutil
import pytest

from tests.integration.proxy.conftest import ModelServerProcess, ProxyProcess
from tests.integration.proxy.raw_http import RawConnection, RawResponse, request_bytes
from tests.support.model_server import kserve_v1_body, oip_v2_body

REQUESTS = int(os.environ.get("MODELMONITOR_SOAK_REQUESTS", "20000"))
CONNECTIONS = 16
MALFORMED_SHARE = 0.10
ABORT_SHARE = 0.02
RSS_GROWTH_LIMIT_BYTES = 10 * 1024 * 1024
DOWN_GRACE_SECONDS = 1.0

pytestmark = pytest.mark.slow


@dataclass(frozen=True, slots=True)
class Case:
    path: str
    body: bytes


def corpus(seed: int = 11) -> list[Case]:
    """200 request bodies: KServe v1 and OIP v2 predictions of 1-3 rows, 10 % malformed."""
    rng = random.Random(seed)
    cases: list[Case] = []
    malformed = [
        b"",
        b"{",
        b"not json at all",
        b'{"instances": "rows"}',
        b'{"instances": [[1, 2]]}',
        b'{"inputs": [{"name": "x", "shape": [1, 20], "datatype": "FP64", "data": [1]}]}',
        b"\xff\xfe\x00",
        b"[]",
        b'{"inputs": 5}',
        b'{"instances": [["a"] ]}',
    ]
    for index in range(200):
        if index % 10 == 0:
            path = "/v1/models/m:predict" if index % 20 == 0 else "/v2/models/m/infer"
            cases.append(Case(path, malformed[(index // 10) % len(malformed)]))
            continue
        rows = [[round(rng.gauss(0, 2), 4) for _ in range(20)] for _ in range(rng.randint(1, 3))]
        if index % 2:
            cases.append(Case("/v1/models/m:predict", kserve_v1_body(rows)))
        else:
            cases.append(Case("/v2/models/m/infer", oip_v2_body(rows)))
    assert sum(1 for i in range(len(cases)) if i % 10 == 0) / len(cases) == MALFORMED_SHARE
    return cases


def send_bytes(case: Case, request_id: str) -> bytes:
    headers = [("Content-Type", "application/json"), ("X-Request-ID", request_id)]
    return request_bytes("POST", case.path, case.body, headers)


@dataclass
class Tally:
    sent: int = 0
    matched: int = 0
    down_502: int = 0
    aborted: int = 0
    mismatches: list[str] = field(default_factory=list)
    down_since: float | None = None
    up_again: float | None = None


async def expected_responses(port: int, cases: list[Case]) -> list[tuple[int, bytes]]:
    conn = await RawConnection.open(port)
    answers = []
    for index, case in enumerate(cases):
        response = await conn.send(send_bytes(case, f"expect-{index}"), "POST")
        answers.append((response.status, response.body))
    await conn.close()
    return answers


def is_documented_502(response: RawResponse) -> bool:
    if response.status != 502:
        return False
    try:
        error = json.loads(response.body)["error"]
    except (ValueError, KeyError, TypeError):
        return False
    return bool(error["code"] == "upstream_unavailable" and error["requestId"])


def scrape(text: str, name: str) -> dict[str, float]:
    values = {}
    for line in text.splitlines():
        match = re.match(rf"^{name}(\{{[^}}]*\}})? (\S+)$", line)
        if match:
            values[match.group(1) or ""] = float(match.group(2))
    return values


async def get(port: int, path: str) -> RawResponse:
    conn = await RawConnection.open(port)
    try:
        return await conn.send(request_bytes("GET", path))
    finally:
        await conn.close()


async def test_soak(tmp_path: os.PathLike[str]) -> None:
    config = os.path.join(tmp_path, "config.json")
    with open(config, "w") as handle:
        # A bounded feedback buffer smaller than the run: memory must stay flat once it is full.
        json.dump({"spec": {"target": {"deployment": "soak"}, "sidecar": {"feedbackBufferSize": 2000}}}, handle)
    model = ModelServerProcess("--features", "20")
    model.start()
    proxy = ProxyProcess(model.url, "--config", config, "--upstream-timeout", "10")
    try:
        cases = corpus()
        expected = await expected_responses(model.port, cases)
        tally = Tally()
        rss: dict[str, int] = {}
        process = psutil.Process(proxy.process.pid)
        next_index = 0
        rng = random.Random(5)
        plan = [rng.random() for _ in range(REQUESTS)]

        async def restart_upstream() -> None:
            tally.down_since = time.monotonic()
            await asyncio.to_thread(model.kill)
            await asyncio.sleep(0.3)
            await asyncio.to_thread(model.start)
            tally.up_again = time.monotonic()

        restart: asyncio.Task[None] | None = None

        async def worker() -> None:
            nonlocal next_index, restart
            conn = await RawConnection.open(proxy.port)
            while next_index < REQUESTS:
                index = next_index
                next_index += 1
                if index == REQUESTS // 10:
                    rss["warm"] = process.memory_info().rss
                if index == REQUESTS // 2:
                    restart = asyncio.create_task(restart_upstream())
                case = cases[index % len(cases)]
                data = send_bytes(case, f"soak-{index}")
                tally.sent += 1
                if plan[index] < ABORT_SHARE:
                    # Abort: half the time after the whole request, half the time mid-body.
                    tally.aborted += 1
                    await conn.close()
                    conn = await RawConnection.open(proxy.port)
                    cut = data if plan[index] < ABORT_SHARE / 2 else data[: len(data) - max(1, len(case.body) // 2)]
                    if cut is not data and not case.body:
                        cut = data  # nothing to cut: abort after the request
                    conn.writer.write(cut)
                    await conn.writer.drain()
                    await conn.close()
                    conn = await RawConnection.open(proxy.port)
                    continue
                response = await conn.send(data, "POST")
                want_status, want_body = expected[index % len(cases)]
                if response.status == want_status and response.body == want_body:
                    tally.matched += 1
                elif is_documented_502(response) and tally.down_since is not None:
                    tally.down_502 += 1
                    now = time.monotonic()
                    if tally.up_again is not None and now > tally.up_again + DOWN_GRACE_SECONDS:
                        tally.mismatches.append(f"#{index}: 502 {now - tally.up_again:.2f}s after restart")
                else:
                    tally.mismatches.append(f"#{index} {case.path}: got {response.status} {response.body[:120]!r}")
            await conn.close()

        started = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        if restart is not None:
            await restart
        elapsed = time.monotonic() - started

        # Let the proxy finish what aborted clients left behind, then read its counters.
        deadline = time.monotonic() + 10
        while True:
            scraped = await get(proxy.port, "/modelmonitor/metrics")
            metrics = scraped.body.decode()
            assert scraped.status == 200, proxy.log_text()[-3000:]
            outcomes = scrape(metrics, "modelmonitor_proxy_requests_total")
            in_flight = scrape(metrics, "modelmonitor_proxy_in_flight_requests")[""]
            if (in_flight == 0 and sum(outcomes.values()) >= REQUESTS) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        rss["end"] = process.memory_info().rss
        health = await get(proxy.port, "/modelmonitor/healthz")
        assert proxy.process.poll() is None, "the proxy died"
        assert health.status == 200
    finally:
        proxy.stop()
        model.kill()

    print(
        f"\nsoak: {REQUESTS} requests in {elapsed:.1f}s ({REQUESTS / elapsed:.0f}/s): {tally.matched} identical, "
        f"{tally.down_502} documented 502, {tally.aborted} aborted; RSS warm {rss['warm'] / 2**20:.1f} MB, "
        f"end {rss['end'] / 2**20:.1f} MB; outcomes {outcomes}"
    )
    assert not tally.mismatches, tally.mismatches[:10]
    assert tally.matched + tally.down_502 + tally.aborted == REQUESTS
    assert tally.down_502 > 0, "the upstream restart was not observed"
    assert rss["end"] - rss["warm"] < RSS_GROWTH_LIMIT_BYTES
    assert sum(outcomes.values()) == REQUESTS
    completed = outcomes['{outcome="proxied"}'] + outcomes['{outcome="upstream_error"}']
    assert completed >= tally.matched + tally.down_502
    recorded = scrape(metrics, "modelmonitor_requests_total")
    monitoring_errors = scrape(metrics, "modelmonitor_monitoring_errors_total")[""]
    assert sum(recorded.values()) + monitoring_errors == completed, (recorded, monitoring_errors, completed)
    assert outcomes['{outcome="upstream_error"}'] >= tally.down_502
