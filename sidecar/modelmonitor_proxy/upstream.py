"""The pooled HTTP/1.1 client that talks to the model container.

Owns the connection pool, the request head the upstream receives, the parsing of its response
head and the framing of its response body (Content-Length, chunked, or until close).

Why not ``aiohttp.ClientSession``: on this 2-core machine the session costs ~200 µs of CPU per
request (URL objects, tracing, cookie jar, response objects), more than the whole monitoring
budget. The upstream is one fixed loopback peer that we trust to speak HTTP/1.1, so a small
asyncio-streams client with keep-alive does the job for ~15 µs. It is strict where strictness
matters for a proxy: a malformed status line or header, a bad chunk size or a truncated body is
an :class:`UpstreamError` (the proxy answers 502), never a guess.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import Literal, cast

ErrorKind = Literal["connect", "timeout", "protocol"]

HEAD_LIMIT_BYTES = 65536
"""Largest response head accepted from the upstream (status line plus headers)."""

READ_CHUNK_BYTES = 65536
"""Largest piece of a streamed body held in memory at once."""

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
"""Lower-cased header names that describe one connection, not the message (RFC 9110 §7.6.1)."""


class UpstreamError(Exception):
    """The upstream could not be reached, was too slow, or spoke broken HTTP."""

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind


def connection_tokens(raw_headers: Iterable[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """Header names listed in ``Connection`` (also hop-by-hop), lower-cased."""
    tokens: set[bytes] = set()
    for name, value in raw_headers:
        if name.lower() == b"connection":
            tokens.update(t.strip().lower() for t in value.split(b",") if t.strip())
    return frozenset(tokens)


def end_to_end(raw_headers: Iterable[tuple[bytes, bytes]], *, keep_length: bool = False) -> list[tuple[bytes, bytes]]:
    """The headers a proxy passes on: everything but hop-by-hop ones and those named in ``Connection``.

    ``Content-Length`` is dropped too unless ``keep_length``: the proxy re-frames each hop from the
    body it actually sends (a HEAD or 304 response keeps it, since it describes a body not sent).
    """
    headers = list(raw_headers)
    extra = connection_tokens(headers)
    drop = HOP_BY_HOP | extra if extra else HOP_BY_HOP
    if not keep_length:
        drop = drop | {b"content-length"}
    return [(name, value) for name, value in headers if name.lower() not in drop]


class _ClosedError(Exception):
    """The upstream closed (or the deadline aborted) the connection; ``partial`` bytes were pending."""

    def __init__(self, partial: int) -> None:
        super().__init__(partial)
        self.partial = partial


class _Connection(asyncio.Protocol):
    """One upstream connection: a byte buffer, one waiter, a deadline, write flow control.

    Leaner than ``asyncio.StreamReader`` (which costs several Python calls and a future per read):
    a small response usually arrives in one ``data_received`` and is parsed without waiting again.
    Reading pauses when more than :data:`READ_CHUNK_BYTES` ×4 are buffered (back-pressure).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.reused = False
        self.timed_out = False
        self._waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None
        self._write_paused = False
        self._read_paused = False
        self._deadline: asyncio.TimerHandle | None = None

    # --- protocol callbacks -------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport; they have the same methods.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self._read_paused and len(self.buffer) > 4 * READ_CHUNK_BYTES and self.transport is not None:
            self._read_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self._wake()
        drain = self._drain_waiter
        if drain is not None and not drain.done():
            drain.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        drain = self._drain_waiter
        if drain is not None and not drain.done():
            drain.set_result(None)

    # --- helpers ------------------------------------------------------------------------------
    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _wait(self) -> None:
        if self.eof:
            raise _ClosedError(len(self.buffer))
        if self._read_paused and self.transport is not None:
            self._read_paused = False
            self.transport.resume_reading()
        waiter = self.loop.create_future()
        self._waiter = waiter
        try:
            await waiter
        finally:
            self._waiter = None

    def _consumed(self) -> None:
        if self._read_paused and len(self.buffer) <= READ_CHUNK_BYTES and self.transport is not None:
            self._read_paused = False
            self.transport.resume_reading()

    def arm(self, timeout: float) -> None:
        """Abort the connection if the current wait lasts more than ``timeout`` seconds."""
        self._deadline = self.loop.call_later(timeout, self._expire)

    def disarm(self) -> None:
        deadline = self._deadline
        if deadline is not None:
            deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        self._deadline = None
        self.timed_out = True
        if self.transport is not None:
            self.transport.abort()
        self.eof = True
        self._wake()

    def usable(self) -> bool:
        transport = self.transport
        return not (self.eof or transport is None or transport.is_closing() or self.buffer)

    def close(self) -> None:
        self.disarm()
        if self.transport is not None:
            self.transport.close()

    def write(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise ConnectionResetError("upstream connection is closed")
        self.transport.write(data)

    async def drain(self) -> None:
        if self.eof:
            raise ConnectionResetError("upstream connection closed while sending the body")
        if self._write_paused:
            self._drain_waiter = self.loop.create_future()
            try:
                await self._drain_waiter
            finally:
                self._drain_waiter = None
            if self.eof:
                raise ConnectionResetError("upstream connection closed while sending the body")

    # --- reads (raise _ClosedError at EOF) -----------------------------------------------------------
    async def read_until(self, separator: bytes, limit: int) -> bytes:
        start = 0
        while True:
            index = self.buffer.find(separator, start)
            if index > limit:
                raise UpstreamError("protocol", f"upstream sent a line or head longer than {limit} bytes")
            if index >= 0:
                end = index + len(separator)
                data = bytes(self.buffer[:end])
                del self.buffer[:end]
                self._consumed()
                return data
            if len(self.buffer) > limit:
                raise UpstreamError("protocol", f"upstream sent a line or head longer than {limit} bytes")
            start = max(0, len(self.buffer) - len(separator) + 1)
            await self._wait()

    async def read_exact(self, n: int) -> bytes:
        while len(self.buffer) < n:
            await self._wait()
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        self._consumed()
        return data

    async def read_some(self, n: int) -> bytes:
        """Up to ``n`` bytes, at least one; ``b""`` only at EOF."""
        while not self.buffer:
            if self.eof:
                return b""
            await self._wait()
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        self._consumed()
        return data


@dataclass(slots=True)
class UpstreamResponse:
    """A response head from the upstream plus how to read its body."""

    status: int
    reason: str
    headers: list[tuple[bytes, bytes]]
    content_length: int | None
    chunked: bool
    keep_alive: bool
    connection: _Connection = field(repr=False)
    body_done: bool = False

    @property
    def has_body(self) -> bool:
        """Whether a body follows the head (False for HEAD, 1xx, 204 and 304 responses, and for length 0)."""
        return not self.body_done

    async def read_all(self, timeout: float) -> bytes:
        """The whole body of known :attr:`content_length` (use only when it is small)."""
        if self.body_done:
            return b""
        assert self.content_length is not None
        conn = self.connection
        if len(conn.buffer) >= self.content_length:  # the usual case: it came with the head
            body = await conn.read_exact(self.content_length)
            self.body_done = True
            return body
        conn.arm(timeout)
        try:
            body = await conn.read_exact(self.content_length)
        except _ClosedError as exc:
            raise _body_error(conn, timeout, exc) from None
        finally:
            conn.disarm()
        self.body_done = True
        return body

    async def iter_body(self, timeout: float) -> AsyncIterator[bytes]:
        """Yield the decoded body in pieces of at most :data:`READ_CHUNK_BYTES`; each read has ``timeout``."""
        if self.body_done:
            return
        conn = self.connection
        try:
            if self.chunked:
                async for chunk in _read_chunked(conn, timeout):
                    yield chunk
            elif self.content_length is not None:
                async for chunk in _read_sized(conn, self.content_length, timeout):
                    yield chunk
            else:
                while True:
                    conn.arm(timeout)
                    try:
                        chunk = await conn.read_some(READ_CHUNK_BYTES)
                    finally:
                        conn.disarm()
                    if not chunk:
                        if conn.timed_out:
                            raise _ClosedError(0)
                        break
                    yield chunk
        except _ClosedError as exc:
            raise _body_error(conn, timeout, exc) from None
        self.body_done = True


def _body_error(conn: _Connection, timeout: float, exc: _ClosedError) -> UpstreamError:
    if conn.timed_out:
        return UpstreamError("timeout", f"upstream body read exceeded {timeout:g}s")
    return UpstreamError("protocol", "upstream closed the connection in the middle of the body")


async def _read_sized(conn: _Connection, size: int, timeout: float) -> AsyncIterator[bytes]:
    """Yield exactly ``size`` bytes in pieces of at most :data:`READ_CHUNK_BYTES`; each read has ``timeout``."""
    remaining = size
    while remaining:
        conn.arm(timeout)
        try:
            chunk = await conn.read_some(min(remaining, READ_CHUNK_BYTES))
        finally:
            conn.disarm()
        if not chunk:
            raise _ClosedError(0)
        remaining -= len(chunk)
        yield chunk


async def _read_chunked(conn: _Connection, timeout: float) -> AsyncIterator[bytes]:
    while True:
        conn.arm(timeout)
        try:
            line = await conn.read_until(b"\r\n", HEAD_LIMIT_BYTES)
        finally:
            conn.disarm()
        size_text = line[:-2].split(b";", 1)[0].strip()
        if not size_text or any(c not in b"0123456789abcdefABCDEF" for c in size_text):
            raise UpstreamError("protocol", f"bad chunk size {size_text[:40]!r}")
        size = int(size_text, 16)
        if size == 0:
            # Trailers are hop-by-hop for us (we re-frame); read and drop them.
            while True:
                conn.arm(timeout)
                try:
                    trailer = await conn.read_until(b"\r\n", HEAD_LIMIT_BYTES)
                finally:
                    conn.disarm()
                if trailer == b"\r\n":
                    return
        async for chunk in _read_sized(conn, size, timeout):
            yield chunk
        conn.arm(timeout)
        try:
            crlf = await conn.read_exact(2)
        finally:
            conn.disarm()
        if crlf != b"\r\n":
            raise UpstreamError("protocol", "chunk not followed by CRLF")


_FRAMING_HEADERS = frozenset({b"content-length", b"transfer-encoding", b"connection"})


def _parse_head(head: bytes, method: str) -> tuple[int, str, list[tuple[bytes, bytes]], int | None, bool, bool, bool]:
    lines = head[:-4].split(b"\r\n")
    status_line = lines[0]
    parts = status_line.split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or len(parts[1]) != 3 or not parts[1].isdigit():
        raise UpstreamError("protocol", f"bad status line {status_line[:80]!r}")
    http10 = parts[0] == b"HTTP/1.0"
    status = int(parts[1])
    reason = parts[2].decode("latin-1") if len(parts) == 3 else ""
    headers: list[tuple[bytes, bytes]] = []
    content_length: int | None = None
    chunked = False
    keep_alive = not http10
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        # A field name is a token: no whitespace anywhere (this also rejects obsolete line folding).
        if not sep or not name or b" " in name or b"\t" in name:
            raise UpstreamError("protocol", f"bad header line {line[:80]!r}")
        value = value.strip()
        lower = name.lower()
        if lower not in _FRAMING_HEADERS:
            headers.append((name, value))
            continue
        if lower == b"content-length":
            if not value.isdigit() or (content_length is not None and content_length != int(value)):
                raise UpstreamError("protocol", f"bad Content-Length {value[:40]!r}")
            content_length = int(value)
        elif lower == b"transfer-encoding":
            codings = [c.strip().lower() for c in value.split(b",")]
            if codings[-1] != b"chunked":
                keep_alive = False  # body runs until close (RFC 9112 §6.3 item 7)
            chunked = codings[-1] == b"chunked"
        elif lower == b"connection":
            tokens = {t.strip().lower() for t in value.split(b",")}
            if b"close" in tokens:
                keep_alive = False
            elif b"keep-alive" in tokens:
                keep_alive = True
        headers.append((name, value))
    if chunked and content_length is not None:
        raise UpstreamError("protocol", "upstream sent both Content-Length and chunked Transfer-Encoding")
    body_done = method == "HEAD" or status in (204, 304) or 100 <= status < 200 or content_length == 0
    if not body_done and not chunked and content_length is None:
        keep_alive = False
    return status, reason, headers, content_length, chunked, keep_alive, body_done


class UpstreamPool:
    """Keep-alive connections to one upstream ``host:port``.

    Parameters
    ----------
    host, port:
        The model container's address (loopback in a pod).
    connect_timeout:
        Seconds to wait for a TCP connection.
    read_timeout:
        Seconds to wait for the response head, and between body reads.
    max_idle:
        Idle connections kept for reuse; more in flight are opened on demand and closed after use.
    """

    def __init__(
        self, host: str, port: int, *, connect_timeout: float = 5.0, read_timeout: float = 60.0, max_idle: int = 64
    ) -> None:
        self.host = host
        self.port = port
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_idle = max_idle
        self._idle: deque[_Connection] = deque()
        self._closed = False
        self.opened = 0
        """Connections opened over the pool's life (keep-alive makes this far smaller than requests)."""

    async def _connect(self) -> _Connection:
        try:
            loop = asyncio.get_running_loop()
            async with asyncio.timeout(self.connect_timeout):
                _, conn = await loop.create_connection(lambda: _Connection(loop), self.host, self.port)
        except TimeoutError:
            raise UpstreamError(
                "timeout", f"connect to {self.host}:{self.port} exceeded {self.connect_timeout:g}s"
            ) from None
        except OSError as exc:
            raise UpstreamError(
                "connect", f"cannot connect to {self.host}:{self.port}: {exc.strerror or exc}"
            ) from None
        self.opened += 1
        return conn

    def _take_idle(self) -> _Connection | None:
        while self._idle:
            conn = self._idle.pop()
            if conn.usable():
                return conn
            conn.close()
        return None

    def release(self, response: UpstreamResponse) -> None:
        """Return the response's connection to the pool when it can carry another request, else close it."""
        conn = response.connection
        reusable = response.body_done and response.keep_alive and not self._closed and conn.usable()
        if reusable and len(self._idle) < self.max_idle:
            conn.reused = True
            self._idle.append(conn)
            return
        conn.close()

    def discard(self, response: UpstreamResponse) -> None:
        """Close the response's connection (its body was not read to the end)."""
        response.connection.close()

    async def request(
        self,
        method: str,
        target: str,
        headers: list[tuple[bytes, bytes]],
        body: bytes | AsyncIterator[bytes],
        *,
        content_length: int | None = None,
    ) -> UpstreamResponse:
        """Send a request and read the response head.

        ``headers`` must already be end-to-end only (see :func:`end_to_end`); framing headers are added
        here: ``Content-Length`` for a bytes body or a stream of known ``content_length``,
        ``Transfer-Encoding: chunked`` for a stream of unknown length. A request
        with a bytes body that fails on a reused connection before any response byte arrived is retried
        once on a fresh connection: that is the keep-alive race where the upstream closed an idle
        connection just as we wrote to it.
        """
        head_lines = [f"{method} {target} HTTP/1.1\r\n".encode("latin-1")]
        head_lines.extend(name + b": " + value + b"\r\n" for name, value in headers)
        if isinstance(body, bytes):
            if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
                head_lines.append(b"Content-Length: %d\r\n" % len(body))
        elif content_length is not None:
            head_lines.append(b"Content-Length: %d\r\n" % content_length)
        else:
            head_lines.append(b"Transfer-Encoding: chunked\r\n")
        head_lines.append(b"\r\n")
        head = b"".join(head_lines)

        conn = self._take_idle()
        if conn is None:
            conn = await self._connect()
        try:
            return await self._exchange(conn, method, head, body, content_length is None)
        except _StaleConnectionError:
            conn.close()
            conn = await self._connect()
            try:
                return await self._exchange(conn, method, head, body, content_length is None)
            except _StaleConnectionError:
                conn.close()
                raise UpstreamError("protocol", "upstream closed the connection without a response") from None
            except BaseException:
                conn.close()
                raise
        except BaseException:
            conn.close()
            raise

    async def _exchange(
        self, conn: _Connection, method: str, head: bytes, body: bytes | AsyncIterator[bytes], chunk_framing: bool
    ) -> UpstreamResponse:
        replayable = isinstance(body, bytes)
        try:
            if isinstance(body, bytes):
                conn.write(head + body if body else head)
            else:
                conn.write(head)
                async for piece in body:
                    if piece:
                        conn.write(b"%x\r\n" % len(piece) + piece + b"\r\n" if chunk_framing else piece)
                        await conn.drain()
                if chunk_framing:
                    conn.write(b"0\r\n\r\n")
            conn.arm(self.read_timeout)
            try:
                while True:
                    raw_head = await conn.read_until(b"\r\n\r\n", HEAD_LIMIT_BYTES)
                    status, reason, headers, length, chunked, keep_alive, body_done = _parse_head(raw_head, method)
                    # Interim responses (100 Continue, 103 Early Hints) are for this hop; wait for the final one.
                    if not (100 <= status < 200 and status != 101):
                        break
            finally:
                conn.disarm()
        except _ClosedError as exc:
            if conn.timed_out:
                raise UpstreamError("timeout", f"upstream did not answer within {self.read_timeout:g}s") from None
            if conn.reused and replayable and not exc.partial:
                raise _StaleConnectionError from None
            raise UpstreamError("protocol", "upstream closed the connection before a full response head") from None
        except ConnectionError as exc:
            if conn.reused and replayable:
                raise _StaleConnectionError from None
            raise UpstreamError("protocol", f"upstream connection broke: {exc!r}") from None
        if status == 101:
            raise UpstreamError("protocol", "upstream switched protocols; upgrades are not proxied")
        return UpstreamResponse(status, reason, headers, length, chunked, keep_alive, conn, body_done)

    async def close(self) -> None:
        """Close idle connections; connections in use close when their exchange ends."""
        self._closed = True
        while self._idle:
            conn = self._idle.pop()
            conn.close()


class _StaleConnectionError(Exception):
    """A reused keep-alive connection turned out to be closed by the upstream."""
