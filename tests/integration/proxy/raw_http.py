"""A byte-level HTTP/1.1 client for the proxy tests: exact bytes out, exact status and body back.

Test clients built on aiohttp would normalise what we want to observe (header order, framing,
``Expect``), and cost ~10× the CPU, which matters when a soak test sends 100,000 requests.
"""

from __future__ import annotations

import asyncio
import contextlib


class RawResponse:
    """Status, headers (lower-cased names, in order) and the de-framed body."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        lower = name.lower()
        return next((value for key, value in self.headers if key == lower), None)


async def read_response(reader: asyncio.StreamReader, method: str = "GET") -> RawResponse:
    """Read one response (Content-Length, chunked, or body-less) from ``reader``."""
    while True:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head[:-4].decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = [(k.strip().lower(), v.strip()) for k, _, v in (line.partition(":") for line in lines[1:])]
        if status != 100:
            break
    values = dict(headers)
    if method == "HEAD" or status in (204, 304):
        return RawResponse(status, headers, b"")
    if values.get("transfer-encoding", "").lower() == "chunked":
        pieces = []
        while True:
            size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":
                    pass
                break
            pieces.append(await reader.readexactly(size))
            await reader.readexactly(2)
        return RawResponse(status, headers, b"".join(pieces))
    if "content-length" in values:
        return RawResponse(status, headers, await reader.readexactly(int(values["content-length"])))
    return RawResponse(status, headers, await reader.read())


def request_bytes(
    method: str, path: str, body: bytes = b"", headers: list[tuple[str, str]] | None = None, host: str = "proxy"
) -> bytes:
    """A complete HTTP/1.1 request with Content-Length framing."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    lines.extend(f"{k}: {v}" for k, v in headers or [])
    if body or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


class RawConnection:
    """One keep-alive connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> RawConnection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        return cls(reader, writer)

    async def send(self, data: bytes, method: str = "GET") -> RawResponse:
        self.writer.write(data)
        return await read_response(self.reader, method)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()
