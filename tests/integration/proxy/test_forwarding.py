"""Forwarding through the proxy to a real model-server process over loopback HTTP.

We test these aspects:
- KServe v1, OIP v2 and json predictions through the proxy equal the direct ones byte for byte;
- every method, the raw path and query string, end-to-end headers and Host reach the upstream unchanged;
  hop-by-hop headers (and those named in Connection) do not;
- X-Request-ID is added when absent (the upstream and the client see the same one) and kept when present;
- statuses pass through (404, 500, 204, 304), HEAD keeps Content-Length, no invented Content-Type;
- large bodies stream both ways (Content-Length and chunked, requests and responses) intact;
- Expect: 100-continue is answered by the proxy;
- upstream down gives a JSON 502 with the request id, a slow upstream a JSON 504, both counted;
- a restarted upstream is picked up on the next request (stale keep-alive connections are retried);
- a client that aborts mid-body or sends broken chunked framing does not hurt the proxy;
- keep-alive to the upstream: many requests, one connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import json

import aiohttp
import pytest

from modelmonitor_proxy.app import ProxyOptions
from tests.integration.proxy.conftest import ModelServerProcess, free_port, running_proxy, wait_until
from tests.integration.proxy.raw_http import RawConnection, request_bytes
from tests.support.model_server import deterministic_bytes, kserve_v1_body, oip_v2_body

ROWS = [[0.1 * i + j for i in range(20)] for j in range(3)]


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/models/m:predict", kserve_v1_body(ROWS)),
        ("/v2/models/m/infer", oip_v2_body(ROWS)),
        ("/predict", json.dumps({"rows": [{f"f{i:02d}": x for i, x in enumerate(r)} for r in ROWS]}).encode()),
        ("/v1/models/m:predict", b'{"instances": "not rows"}'),
    ],
)
async def test_predictions_equal_direct(model_server: ModelServerProcess, path: str, body: bytes) -> None:
    async with running_proxy(model_server.url) as (_, url):
        direct = await RawConnection.open(model_server.port)
        proxied = await RawConnection.open(port_of(url))
        headers = [("Content-Type", "application/json")]
        want = await direct.send(request_bytes("POST", path, body, headers))
        got = await proxied.send(request_bytes("POST", path, body, headers))
        await direct.close()
        await proxied.close()
    assert got.status == want.status
    assert got.body == want.body
    assert got.header("content-type") == want.header("content-type")


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_method_path_query_and_headers_reach_upstream(model_server: ModelServerProcess, method: str) -> None:
    path = "/echo/a%2Fb/c?x=1&y=%20two&x=3&empty="
    headers = [
        ("X-Custom", "kept"),
        ("Connection", "keep-alive, X-Private"),
        ("X-Private", "dropped because Connection names it"),
        ("Keep-Alive", "timeout=5"),
        ("TE", "trailers"),
        ("Proxy-Authorization", "Basic c2VjcmV0"),
        ("Authorization", "Bearer end-to-end"),
    ]
    body = b"payload \x00\xff bytes" if method in ("POST", "PUT", "PATCH") else b""
    async with running_proxy(model_server.url) as (_, url):
        conn = await RawConnection.open(port_of(url))
        response = await conn.send(request_bytes(method, path, body, headers, host="model.example:8080"), method)
        await conn.close()
    assert response.status == 200
    if method == "OPTIONS":
        return
    echoed = json.loads(response.body)
    assert echoed["method"] == method
    assert echoed["path"] == path
    assert echoed["body"].encode("latin-1") == body
    names = {k.lower(): v for k, v in echoed["headers"]}
    assert names["host"] == "model.example:8080"
    assert names["x-custom"] == "kept"
    assert names["authorization"] == "Bearer end-to-end"
    for hop in ("x-private", "keep-alive", "te", "proxy-authorization", "connection"):
        assert hop not in names, hop
    assert response.header("x-echo") == "1"


async def test_request_id_added_and_kept(model_server: ModelServerProcess) -> None:
    async with running_proxy(model_server.url) as (_, url), aiohttp.ClientSession() as session:
        async with session.get(f"{url}/echo") as response:
            added = response.headers["X-Request-ID"]
            seen = {k.lower(): v for k, v in (await response.json())["headers"]}
        async with session.get(f"{url}/echo", headers={"X-Request-ID": "client-chosen-42"}) as response:
            kept = response.headers["X-Request-ID"]
            seen_kept = {k.lower(): v for k, v in (await response.json())["headers"]}
    assert len(added) == 32
    assert seen["x-request-id"] == added
    assert kept == "client-chosen-42"
    assert seen_kept["x-request-id"] == "client-chosen-42"


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/status/404", 404),
    ("POST", "/status/500", 500),
    ("GET", "/status/204", 204),
    ("GET", "/status/304", 304),
    ("GET", "/no/such/path", 404),
])  # fmt: skip
async def test_statuses_pass_through(model_server: ModelServerProcess, method: str, path: str, status: int) -> None:
    async with running_proxy(model_server.url) as (_, url):
        direct = await RawConnection.open(model_server.port)
        proxied = await RawConnection.open(port_of(url))
        want = await direct.send(request_bytes(method, path), method)
        got = await proxied.send(request_bytes(method, path), method)
        await direct.close()
        await proxied.close()
    assert got.status == want.status == status
    assert got.body == want.body
    assert got.header("content-type") == want.header("content-type")


async def test_head_keeps_content_length(model_server: ModelServerProcess) -> None:
    async with running_proxy(model_server.url) as (_, url):
        conn = await RawConnection.open(port_of(url))
        response = await conn.send(request_bytes("HEAD", "/bytes?n=12345"), "HEAD")
        after = await conn.send(request_bytes("GET", "/bytes?n=10"))  # the connection is still in sync
        await conn.close()
    assert response.status == 200
    assert response.header("content-length") == "12345"
    assert after.body == deterministic_bytes(10)


async def test_no_content_type_is_invented(model_server: ModelServerProcess) -> None:
    async with running_proxy(model_server.url) as (_, url):
        conn = await RawConnection.open(port_of(url))
        # The echo body carries no Content-Type of its own on the way up; on the way down aiohttp's
        # json_response sets one, so compare a bare upstream response instead: /bytes sets octet-stream.
        response = await conn.send(request_bytes("GET", "/bytes?n=3"))
        await conn.close()
    assert [v for k, v in response.headers if k == "content-type"] == ["application/octet-stream"]


@pytest.mark.parametrize("size", [0, 1, 65536, 65537, 3_000_001])
async def test_large_bodies_content_length(model_server: ModelServerProcess, size: int) -> None:
    async with running_proxy(model_server.url) as (_, url), aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.get(f"{url}/bytes?n={size}") as response:
            body = await response.read()
            assert response.headers.get("Transfer-Encoding") is None
            assert response.headers["Content-Length"] == str(size)
        data = deterministic_bytes(size, 3)
        async with session.post(f"{url}/upload", data=data) as response:
            upload = await response.json()
    assert body == deterministic_bytes(size)
    assert upload == {"length": size, "sha256": hashlib.sha256(data).hexdigest()}


@pytest.mark.parametrize(("chunks", "size"), [(3, 5), (40, 100_000)])
async def test_chunked_bodies_both_ways(model_server: ModelServerProcess, chunks: int, size: int) -> None:
    pieces = [deterministic_bytes(size, i) for i in range(chunks)]

    async def generate() -> object:
        for piece in pieces:
            yield piece

    async with running_proxy(model_server.url) as (_, url), aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.get(f"{url}/stream?chunks={chunks}&size={size}") as response:
            body = await response.read()
        async with session.post(f"{url}/upload", data=generate()) as response:  # chunked request
            upload = await response.json()
    assert body == b"".join(pieces)
    assert upload == {"length": chunks * size, "sha256": hashlib.sha256(b"".join(pieces)).hexdigest()}


async def test_expect_100_continue(model_server: ModelServerProcess) -> None:
    async with running_proxy(model_server.url) as (_, url):
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(url))
        body = b'{"x": 1}'
        writer.write(
            b"POST /echo HTTP/1.1\r\nHost: p\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n" % len(body)
        )
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 2.0)
        writer.write(body)
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(
            next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
        )
        echoed = json.loads(await reader.readexactly(length))
        writer.close()
    assert interim.startswith(b"HTTP/1.1 100 Continue")
    assert head.startswith(b"HTTP/1.1 200")
    assert echoed["body"] == '{"x": 1}'
    assert "expect" not in {k.lower() for k, _ in echoed["headers"]}


async def test_upstream_down_is_a_counted_json_502() -> None:
    port = free_port()  # nothing listens here
    async with running_proxy(f"http://127.0.0.1:{port}") as (app, url), aiohttp.ClientSession() as session:
        async with session.post(f"{url}/v1/models/m:predict", data=b"{}", headers={"X-Request-ID": "r1"}) as response:
            status = response.status
            body = await response.json()
        async with session.get(f"{url}/modelmonitor/readyz") as ready:
            ready_status = ready.status
    assert status == 502
    assert body["error"]["code"] == "upstream_unavailable"
    assert body["error"]["requestId"] == "r1"
    assert app.stats.upstream_errors["connect"] == 1
    assert app.stats.outcomes["upstream_error"] == 1
    assert ready_status == 503


async def test_slow_upstream_is_a_json_504(model_server: ModelServerProcess) -> None:
    options = ProxyOptions(read_timeout=0.2)
    async with running_proxy(model_server.url, options=options) as (app, url), aiohttp.ClientSession() as session:
        async with session.get(f"{url}/slow?ms=1000") as response:
            status = response.status
            body = await response.json()
        async with session.get(f"{url}/slow?ms=10") as response:
            fast_status = response.status
    assert status == 504
    assert body["error"]["code"] == "upstream_timeout"
    assert app.stats.upstream_errors["timeout"] == 1
    assert fast_status == 200


async def test_restarted_upstream_is_picked_up() -> None:
    server = ModelServerProcess("--features", "20")
    server.start()
    try:
        async with running_proxy(server.url) as (app, url), aiohttp.ClientSession() as session:
            async with session.get(f"{url}/bytes?n=5") as response:
                assert response.status == 200
            server.kill()
            async with session.get(f"{url}/bytes?n=5") as response:
                assert response.status == 502
            server.start()
            async with session.get(f"{url}/bytes?n=5") as response:
                assert response.status == 200
                assert await response.read() == deterministic_bytes(5)
    finally:
        server.kill()
    assert app.stats.outcomes["upstream_error"] == 1


async def test_keep_alive_reuses_one_upstream_connection(model_server: ModelServerProcess) -> None:
    async with running_proxy(model_server.url) as (app, url), aiohttp.ClientSession() as session:
        for _ in range(50):
            async with session.post(f"{url}/v1/models/m:predict", data=kserve_v1_body(ROWS)) as response:
                assert response.status == 200
                await response.read()
    assert app.pool.opened == 1
    assert app.stats.outcomes["proxied"] == 50


async def test_client_abort_mid_body_leaves_proxy_healthy(model_server: ModelServerProcess) -> None:
    async with running_proxy(model_server.url) as (app, url):
        for declared in (100, 1_000_000):  # buffered and streamed request bodies
            _reader, writer = await asyncio.open_connection("127.0.0.1", port_of(url))
            writer.write(b"POST /upload HTTP/1.1\r\nHost: p\r\nContent-Length: %d\r\n\r\n0123456789" % declared)
            await writer.drain()
            await asyncio.sleep(0.05)
            writer.close()
        await wait_until(lambda: app.stats.in_flight == 0 and app.stats.outcomes["aborted"] == 2)
        conn = await RawConnection.open(port_of(url))
        response = await conn.send(request_bytes("GET", "/bytes?n=7"))
        await conn.close()
    assert response.body == deterministic_bytes(7)


async def test_broken_chunked_request_gets_400(model_server: ModelServerProcess) -> None:
    async with running_proxy(model_server.url) as (app, url):
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(url))
        writer.write(b"POST /upload HTTP/1.1\r\nHost: p\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n")
        data = await asyncio.wait_for(reader.read(), 5.0)
        writer.close()
    # aiohttp's parser rejects the framing before the handler runs (it answers as HTTP/1.0 and closes).
    assert data.split(b" ", 2)[1] == b"400"
    assert app.stats.forwarded_total() == 0
