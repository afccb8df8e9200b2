"""The proxy against upstreams that speak odd or broken HTTP (a scripted TCP server on loopback).

We test these aspects:
- broken response heads (bad status line, bad header, Content-Length and chunked together, oversized
  head, 101 Switching Protocols, bad chunk size, a body cut short) become a counted JSON 502, never a guess;
- a body delimited by the connection closing passes through whole, and that connection is not reused;
- interim 1xx responses are swallowed and the final response is forwarded;
- Connection: close from the upstream stops reuse; keep-alive otherwise;
- an upstream that dies in the middle of a streamed body cuts the client's connection (counted as aborted);
- headers named in the upstream's Connection header are dropped; Date is added when missing;
- an HTTP/1.0 client gets its response and a closed connection.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from tests.integration.proxy.conftest import running_proxy
from tests.integration.proxy.raw_http import RawConnection, request_bytes


@contextlib.asynccontextmanager
async def scripted_upstream(answer: bytes | list[bytes], *, close_after: bool = False) -> AsyncIterator[str]:
    """A server answering every request with ``answer`` (pieces sent with a pause between them)."""
    pieces = answer if isinstance(answer, list) else [answer]

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                for piece in pieces:
                    writer.write(piece)
                    await writer.drain()
                    await asyncio.sleep(0.01)
                if close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 twohundred OK\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header Line\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n",
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nhello\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b",
        b"",
    ],
)
async def test_broken_upstream_answers_are_502(answer: bytes) -> None:
    async with scripted_upstream(answer, close_after=True) as upstream, running_proxy(upstream) as (app, url):
        conn = await RawConnection.open(port_of(url))
        response = await conn.send(request_bytes("GET", "/x"))
        await conn.close()
    assert response.status == 502, response.body
    assert b"upstream_unavailable" in response.body
    assert app.stats.upstream_errors["protocol"] == 1


async def test_body_until_close_passes_and_is_not_reused() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this until the end"
    async with scripted_upstream(answer, close_after=True) as upstream, running_proxy(upstream) as (app, url):
        conn = await RawConnection.open(port_of(url))
        first = await conn.send(request_bytes("GET", "/a"))
        second = await conn.send(request_bytes("GET", "/b"))
        await conn.close()
    assert first.body == second.body == b"all of this until the end"
    assert app.pool.opened == 2


async def test_interim_responses_are_swallowed() -> None:
    answer = [b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]
    async with scripted_upstream(answer) as upstream, running_proxy(upstream) as (_, url):
        conn = await RawConnection.open(port_of(url))
        response = await conn.send(request_bytes("GET", "/a"))
        await conn.close()
    assert (response.status, response.body) == (200, b"ok")


@pytest.mark.parametrize(("connection", "opened"), [(b"close", 3), (b"keep-alive", 1)])
async def test_upstream_connection_header_controls_reuse(connection: bytes, opened: int) -> None:
    answer = b"HTTP/1.1 200 OK\r\nConnection: " + connection + b"\r\nContent-Length: 2\r\n\r\nok"
    close_after = connection == b"close"
    async with scripted_upstream(answer, close_after=close_after) as upstream, running_proxy(upstream) as (app, url):
        conn = await RawConnection.open(port_of(url))
        for _ in range(3):
            response = await conn.send(request_bytes("GET", "/a"))
            assert response.body == b"ok"
            assert response.header("connection") != "close"  # the client's connection is not the upstream's
        await conn.close()
    assert app.pool.opened == opened


async def test_upstream_dying_mid_stream_cuts_the_client() -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n"
    pieces = [head, b"x" * 300_000]
    async with scripted_upstream(pieces, close_after=True) as upstream, running_proxy(upstream) as (app, url):
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(url))
        writer.write(request_bytes("GET", "/big"))
        received = await asyncio.wait_for(reader.read(), 5.0)  # until the proxy closes
        writer.close()
    assert received.startswith(b"HTTP/1.1 200 OK")
    assert len(received) < 1_000_000
    assert app.stats.outcomes["aborted"] == 1
    assert app.stats.upstream_errors["protocol"] == 1


async def test_headers_named_in_upstream_connection_are_dropped() -> None:
    answer = b"HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nX-End: 2\r\nContent-Length: 2\r\n\r\nok"
    async with scripted_upstream(answer) as upstream, running_proxy(upstream) as (_, url):
        conn = await RawConnection.open(port_of(url))
        response = await conn.send(request_bytes("GET", "/a"))
        await conn.close()
    names = [name for name, _ in response.headers]
    assert "x-hop" not in names
    assert "x-end" in names
    assert "date" in names  # added: the upstream sent none (RFC 9110 §6.6.1)


async def test_http10_client_gets_a_closed_connection() -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    async with scripted_upstream(answer) as upstream, running_proxy(upstream) as (_, url):
        reader, writer = await asyncio.open_connection("127.0.0.1", port_of(url))
        writer.write(b"GET /a HTTP/1.0\r\nHost: p\r\n\r\n")
        data = await asyncio.wait_for(reader.read(), 5.0)  # the proxy closes after the response
        writer.close()
    assert data.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"\r\nContent-Length: 2\r\n" in data
    assert data.endswith(b"\r\n\r\nok")
