"""The forwarding path: one client request in, the upstream's response out, monitoring after.

Owns what the client sees from a proxied request: the upstream's status, reason, end-to-end
headers and body (byte for byte), an ``X-Request-ID``, and the proxy's own 502/503/504 JSON
errors. Owns fail-open too: monitoring runs only after the response has been written, inside a
``try`` that can only bump ``modelmonitor_monitoring_errors_total``.

Bodies up to the buffer limit (the recorder's parse limit, at least 64 KiB) are read whole: one
write each way and a copy for the recorder. Larger bodies, or chunked ones that outgrow the limit,
stream through in pieces of at most 64 KiB with back-pressure on both sides, and are recorded
without a body.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import AsyncIterator
from typing import Protocol

import orjson
from aiohttp import StreamReader, web
from aiohttp.helpers import rfc822_formatted_time
from aiohttp.http import HttpVersion11
from multidict import CIMultiDict

from modelmonitor_proxy.proxy_metrics import ForwardingStats
from modelmonitor_proxy.recorder import Exchange
from modelmonitor_proxy.upstream import HOP_BY_HOP, UpstreamError, UpstreamPool, UpstreamResponse, connection_tokens

log = logging.getLogger(__name__)

MIN_BUFFER_BYTES = 65536
"""Bodies up to this size are buffered even with monitoring off: one write beats a stream."""

MONITORING_LOG_INTERVAL_SECONDS = 60.0

REQUEST_ID = "X-Request-ID"
_REQUEST_ID_LOWER = b"x-request-id"
_EXTENSION_HEADER = b"inference-header-content-length"
_SPECIAL_REQUEST_HEADERS = HOP_BY_HOP | {
    b"content-length",
    _REQUEST_ID_LOWER,
    b"content-type",
    b"expect",
    _EXTENSION_HEADER,
}
_SPECIAL_RESPONSE_HEADERS = HOP_BY_HOP | {b"content-length", b"content-type", _REQUEST_ID_LOWER, b"date"}


class MonitoringHook(Protocol):
    """What the forwarding path hands each finished exchange to (``Recorder`` satisfies it)."""

    @property
    def parse_limit_bytes(self) -> int:
        """Bodies larger than this are recorded without their content."""
        ...

    def record(self, exchange: Exchange) -> None:
        """Record one exchange; may raise (the proxy counts it and carries on)."""
        ...


class SerializedResponse(web.StreamResponse):
    """A buffered upstream response, serialized by the proxy and written to the socket in one call.

    aiohttp's ``Response`` would rebuild the headers as a ``CIMultiDict`` of ``str``, re-serialize
    them and add ``Content-Type``/``Server`` defaults; here the upstream's header bytes go out as
    they came (minus hop-by-hop ones) with ``Content-Length`` set from the body. aiohttp's request
    handler still drives it (``prepare``/``write_eof``), so keep-alive and pipelining work as usual.
    """

    def __init__(
        self,
        request: web.BaseRequest,
        upstream: UpstreamResponse,
        headers: list[tuple[bytes, bytes]],
        body: bytes | None,
    ) -> None:
        super().__init__(status=upstream.status, reason=upstream.reason or None)
        keep_alive = request.keep_alive
        lines = [b"HTTP/1.1 %d %s\r\n" % (upstream.status, upstream.reason.encode("latin-1"))]
        lines.extend(name + b": " + value + b"\r\n" for name, value in headers)
        if body is not None:
            lines.append(b"Content-Length: %d\r\n" % len(body))
        if not keep_alive:
            lines.append(b"Connection: close\r\n")
        elif request.version != HttpVersion11:
            lines.append(b"Connection: keep-alive\r\n")
        lines.append(b"\r\n")
        if body and request.method != "HEAD":
            lines.append(body)
        self._serialized = b"".join(lines)
        self._sent = False
        self._proxy_keep_alive = keep_alive

    @property
    def keep_alive(self) -> bool:
        return self._proxy_keep_alive

    async def prepare(self, request: web.BaseRequest) -> None:
        if self._sent:
            return
        transport = request.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("the client closed the connection")
        self._sent = True
        transport.write(self._serialized)

    async def write_eof(self, data: bytes = b"") -> None:
        return None


class ExactStreamResponse(web.StreamResponse):
    """A streamed upstream response whose headers are exactly the upstream's.

    aiohttp adds ``Content-Type: application/octet-stream`` to any non-empty body without one; a
    proxy must not.
    """

    _drop_content_type = False

    async def _prepare_headers(self) -> None:
        await super()._prepare_headers()
        if self._drop_content_type:
            self._headers.popall("Content-Type", None)


def new_request_id() -> str:
    """A random 128-bit id as 32 hex digits (``os.urandom`` is faster than ``uuid4`` and as random)."""
    return os.urandom(16).hex()


def error_response(status: int, code: str, message: str, request_id: str, **headers: str) -> web.Response:
    """The proxy's own JSON error body, e.g. ``{"error": {"code": "upstream_unavailable", ...}}``."""
    body = orjson.dumps({"error": {"code": code, "message": message, "requestId": request_id}})
    response = web.Response(status=status, body=body, content_type="application/json")
    response.headers[REQUEST_ID] = request_id
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


class Forwarder:
    """Forwards requests to one upstream and reports each exchange to an optional monitoring hook.

    Parameters
    ----------
    pool:
        Keep-alive connections to the model container.
    stats:
        Counters the forwarding path bumps (exported by ``ForwardingCollector``).
    monitor:
        Receives each finished exchange after its response was written; ``None`` turns monitoring off.
    max_concurrency:
        Requests in flight above which new ones get 503 with ``Retry-After`` (0 = no limit).
    """

    def __init__(
        self,
        pool: UpstreamPool,
        stats: ForwardingStats,
        monitor: MonitoringHook | None = None,
        *,
        max_concurrency: int = 0,
    ) -> None:
        self.pool = pool
        self.stats = stats
        self.monitor = monitor
        self.max_concurrency = max_concurrency
        self.parse_limit = monitor.parse_limit_bytes if monitor is not None else 0
        self.buffer_limit = max(self.parse_limit, MIN_BUFFER_BYTES)
        self._last_monitoring_log = -MONITORING_LOG_INTERVAL_SECONDS

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Forward ``request`` (the caller has already routed the proxy's own paths elsewhere)."""
        stats = self.stats
        if self.max_concurrency and stats.in_flight >= self.max_concurrency:
            stats.outcomes["rejected"] += 1
            request_id = _incoming_request_id(request) or new_request_id()
            return error_response(
                503,
                "too_many_requests",
                f"more than {self.max_concurrency} requests in flight",
                request_id,
                Retry_After="1",
            )
        stats.in_flight += 1
        try:
            return await self._forward(request)
        finally:
            stats.in_flight -= 1

    async def _forward(self, request: web.BaseRequest) -> web.StreamResponse:
        started_at = time.time()
        t0 = time.perf_counter()
        method = request.method
        target = request.raw_path

        # One pass over the client's headers: drop hop-by-hop ones, note the few we care about.
        raw_headers = request.raw_headers
        extra_hop = connection_tokens(raw_headers) if "Connection" in request.headers else frozenset()
        forward: list[tuple[bytes, bytes]] = []
        request_id_bytes: bytes | None = None
        content_type: bytes | None = None
        expect_continue = False
        extension = False
        for name, value in raw_headers:
            lower = name.lower()
            if lower in extra_hop:
                continue
            if lower not in _SPECIAL_REQUEST_HEADERS:  # the common case: pass it on
                forward.append((name, value))
                continue
            if lower in HOP_BY_HOP or lower == b"content-length":
                continue
            if lower == _REQUEST_ID_LOWER:
                request_id_bytes = value
            elif lower == b"content-type":
                content_type = value
            elif lower == b"expect":
                expect_continue = value.lower() == b"100-continue"
                continue  # answered by this hop below
            elif lower == _EXTENSION_HEADER:
                extension = True
            forward.append((name, value))
        if request_id_bytes is None:
            request_id = new_request_id()
            forward.append((b"X-Request-ID", request_id.encode()))
        else:
            request_id = request_id_bytes.decode("latin-1")

        if expect_continue and request.version == HttpVersion11 and request.can_read_body:
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            request.writer.output_size = 0

        # Request body: buffer up to the limit, else stream.
        request_body: bytes | None
        body: bytes | AsyncIterator[bytes]
        stream_length: int | None = None
        request_bytes = 0
        if not request.can_read_body:
            request_body = body = b""
        else:
            declared = request.content_length
            try:
                if declared is not None and declared <= self.buffer_limit:
                    request_body = body = await request.content.readexactly(declared)
                    request_bytes = declared
                elif declared is not None:
                    request_body = None
                    stream_length = declared
                    request_bytes = declared
                    body = _stream(request.content, b"")
                else:
                    head, complete = await _read_up_to(request.content, self.buffer_limit)
                    if complete:
                        request_body = body = head
                        request_bytes = len(head)
                    else:
                        request_body = None
                        body = _stream(request.content, head)
            except Exception as exc:  # any failure to read the client's body ends this exchange
                return self._client_failed(request, request_id, exc)
        recorded_request = request_body if request_body is not None and len(request_body) <= self.parse_limit else None

        try:
            upstream = await self.pool.request(method, target, forward, body, content_length=stream_length)
        except UpstreamError as exc:
            response = self._upstream_failed(exc, request_id)
            delivered = await self._send_error(request, response)
            # Recorded even when the client left meanwhile: the upstream failure is real.
            self._observe(
                request_id, method, target, response.status, t0, started_at, recorded_request, None,
                content_type, None, request_bytes, 0, extension,
            )  # fmt: skip
            return response if delivered else _DISCARDED()
        except ClientBodyError as exc:
            return self._client_failed(request, request_id, exc.__cause__ or exc)

        try:
            return await self._respond(
                request, upstream, request_id, t0, started_at,
                recorded_request, content_type, request_bytes, extension,
            )  # fmt: skip
        except BaseException:
            if not upstream.body_done:
                self.pool.discard(upstream)
            raise

    async def _respond(
        self,
        request: web.BaseRequest,
        upstream: UpstreamResponse,
        request_id: str,
        t0: float,
        started_at: float,
        recorded_request: bytes | None,
        request_content_type: bytes | None,
        request_bytes: int,
        extension: bool,
    ) -> web.StreamResponse:
        stats = self.stats
        pool = self.pool
        timeout = pool.read_timeout
        body_less = not upstream.has_body

        # The upstream's end-to-end headers, as bytes, in order (one pass; Connection-named ones after).
        kept: list[tuple[bytes, bytes]] = []
        named: frozenset[bytes] = frozenset()
        response_content_type: str | None = None
        has_request_id = False
        has_date = False
        for name, value in upstream.headers:
            lower = name.lower()
            if lower not in _SPECIAL_RESPONSE_HEADERS:  # the common case: pass it on
                kept.append((name, value))
                continue
            if lower in HOP_BY_HOP:
                if lower == b"connection":
                    named = connection_tokens([(name, value)])
                continue
            if lower == b"content-length" and not body_less:
                continue
            if lower == b"content-type":
                response_content_type = value.decode("latin-1")
            elif lower == _REQUEST_ID_LOWER:
                has_request_id = True
            elif lower == b"date":
                has_date = True
            kept.append((name, value))
        if named:
            kept = [(name, value) for name, value in kept if name.lower() not in named]
        if not has_request_id:
            kept.append((b"X-Request-ID", request_id.encode("latin-1")))
        if not has_date:
            # RFC 9110 §6.6.1: a recipient forwarding a response without Date appends one.
            kept.append((b"Date", rfc822_formatted_time().encode("latin-1")))

        length = upstream.content_length
        response_body: bytes | None = None
        response_bytes = 0
        started = False
        try:
            if body_less:
                response_body = b""
                pool.release(upstream)
                response: web.StreamResponse = SerializedResponse(request, upstream, kept, None)
                await self._send(request, response)
            elif length is not None and length <= self.buffer_limit:
                response_body = await upstream.read_all(timeout)
                response_bytes = len(response_body)
                pool.release(upstream)
                response = SerializedResponse(request, upstream, kept, response_body)
                await self._send(request, response)
            else:
                pieces = upstream.iter_body(timeout)
                first: list[bytes] = []
                complete = False
                if length is None:
                    # Unknown length (chunked or until close): buffer up to the limit, it is usually small.
                    buffered = 0
                    async for piece in pieces:
                        first.append(piece)
                        buffered += len(piece)
                        if buffered > self.buffer_limit:
                            break
                    else:
                        complete = True
                if complete:
                    response_body = b"".join(first)
                    response_bytes = len(response_body)
                    pool.release(upstream)
                    response = SerializedResponse(request, upstream, kept, response_body)
                    await self._send(request, response)
                else:
                    reason = upstream.reason or None
                    headers: CIMultiDict[str] = CIMultiDict(
                        (name.decode("latin-1"), value.decode("latin-1")) for name, value in kept
                    )
                    stream = ExactStreamResponse(status=upstream.status, reason=reason, headers=headers)
                    stream._drop_content_type = response_content_type is None
                    if length is not None:
                        stream.content_length = length
                    elif request.version == HttpVersion11:
                        stream.enable_chunked_encoding()
                    started = True
                    await stream.prepare(request)
                    for piece in first:
                        response_bytes += len(piece)
                        await stream.write(piece)
                    async for piece in pieces:
                        response_bytes += len(piece)
                        await stream.write(piece)
                    pool.release(upstream)
                    await stream.write_eof()
                    response = stream
        except UpstreamError as exc:
            if not started:
                # Nothing sent yet: the client still gets a clean 502/504.
                self.pool.discard(upstream)
                response = self._upstream_failed(exc, request_id)
                delivered = await self._send_error(request, response)
                self._observe(
                    request_id, request.method, request.raw_path, response.status, t0, started_at, recorded_request,
                    None, request_content_type, None, request_bytes, 0, extension,
                )  # fmt: skip
                return response if delivered else _DISCARDED()
            # The head is on the wire: all we can do is cut the connection (nginx does the same).
            self.pool.discard(upstream)
            stats.upstream_errors[exc.kind] += 1
            stats.outcomes["aborted"] += 1
            log.warning("upstream broke mid-response for %s %s: %s", request.method, request.raw_path, exc)
            if request.transport is not None:
                request.transport.close()
            return _DISCARDED()
        except ConnectionError:
            if not upstream.body_done:
                self.pool.discard(upstream)
            stats.outcomes["aborted"] += 1
            return _DISCARDED()

        stats.outcomes["proxied"] += 1
        self._observe(
            request_id, request.method, request.raw_path, upstream.status, t0, started_at,
            recorded_request, response_body if response_bytes <= self.parse_limit else None,
            request_content_type, response_content_type, request_bytes, response_bytes, extension,
        )  # fmt: skip
        return response

    def _upstream_failed(self, exc: UpstreamError, request_id: str) -> web.Response:
        """Count an upstream failure and build the client's 502 (unreachable, broken) or 504 (too slow)."""
        self.stats.upstream_errors[exc.kind] += 1
        self.stats.outcomes["upstream_error"] += 1
        if exc.kind == "timeout":
            return error_response(504, "upstream_timeout", str(exc), request_id)
        return error_response(502, "upstream_unavailable", str(exc), request_id)

    def _client_failed(self, request: web.BaseRequest, request_id: str, exc: BaseException) -> web.StreamResponse:
        """The client's body broke off (aborted) or was badly framed: answer 400 if anyone listens, then close."""
        transport = request.transport
        if transport is None or transport.is_closing():
            self.stats.outcomes["aborted"] += 1
            return _DISCARDED()
        self.stats.outcomes["bad_request"] += 1
        response = error_response(400, "bad_request_body", f"could not read the request body: {exc}", request_id)
        response.force_close()
        return response

    async def _send_error(self, request: web.BaseRequest, response: web.StreamResponse) -> bool:
        """Send the proxy's own error response; ``False`` when the client has gone away."""
        try:
            await self._send(request, response)
        except ConnectionError:
            return False
        return True

    async def _send(self, request: web.BaseRequest, response: web.StreamResponse) -> None:
        """Write the whole response now, so that monitoring runs after the client has it."""
        await response.prepare(request)
        await response.write_eof()

    def _observe(
        self,
        request_id: str,
        method: str,
        target: str,
        status: int,
        t0: float,
        started_at: float,
        request_body: bytes | None,
        response_body: bytes | None,
        request_content_type: bytes | None,
        response_content_type: str | None,
        request_bytes: int,
        response_bytes: int,
        extension: bool,
    ) -> None:
        monitor = self.monitor
        if monitor is None:
            return
        try:
            monitor.record(
                Exchange(
                    request_id,
                    method,
                    target,
                    status,
                    time.perf_counter() - t0,
                    started_at,
                    request_body,
                    response_body,
                    request_content_type.decode("latin-1") if request_content_type is not None else None,
                    response_content_type,
                    request_bytes,
                    response_bytes,
                    extension,
                )
            )
        except Exception:
            self.monitoring_failed()

    def monitoring_failed(self) -> None:
        """Count a monitoring failure; log its traceback at most once a minute (fail-open)."""
        self.stats.monitoring_errors += 1
        now = time.monotonic()
        if now - self._last_monitoring_log >= MONITORING_LOG_INTERVAL_SECONDS:
            self._last_monitoring_log = now
            log.exception(
                "monitoring failed; the response was not affected (%d failures so far, next log in %ds at most)",
                self.stats.monitoring_errors,
                int(MONITORING_LOG_INTERVAL_SECONDS),
            )


class ClientBodyError(Exception):
    """Reading the client's streamed body failed while it was being sent upstream."""


def _DISCARDED() -> web.Response:  # noqa: N802 - reads as a constant at the call sites
    """A response for a client that is gone: aiohttp's write fails quietly and the connection closes."""
    response = web.Response(status=499)
    response.force_close()
    return response


def _incoming_request_id(request: web.BaseRequest) -> str | None:
    return request.headers.get(REQUEST_ID)


async def _read_up_to(content: StreamReader, limit: int) -> tuple[bytes, bool]:
    """Read a body of unknown length until EOF or past ``limit``; return it and whether it is complete."""
    pieces: list[bytes] = []
    size = 0
    while size <= limit:
        piece = await content.readany()
        if not piece:
            return b"".join(pieces), True
        pieces.append(piece)
        size += len(piece)
    return b"".join(pieces), False


async def _stream(content: StreamReader, head: bytes) -> AsyncIterator[bytes]:
    if head:
        yield head
    while True:
        try:
            piece = await content.readany()
        except Exception as exc:
            # Not an OSError, so the upstream client cannot mistake it for its own connection failing.
            raise ClientBodyError(str(exc)) from exc
        if not piece:
            return
        yield piece
