"""The proxy's own HTTP endpoints, all under one prefix so that they cannot shadow the model's paths.

``<prefix>`` is ``spec.sidecar.pathPrefix`` (default ``/modelmonitor``):

- ``GET <prefix>/metrics``: Prometheus exposition (text, or OpenMetrics when asked for in ``Accept``).
  ``GET /metrics`` is served too only when ``serve_root_metrics`` is on, because KServe, Triton,
  TorchServe and BentoML model servers expose their own ``/metrics`` on the model port, and a
  sidecar that silently took it over would hide them.
- ``GET <prefix>/v1/snapshot``: the recorder's mergeable sketches as JSON.
- ``POST <prefix>/v1/feedback``: late labels joined by request id.
- ``GET <prefix>/healthz``: the proxy's event loop answers (liveness).
- ``GET <prefix>/readyz``: the upstream answers (readiness); 503 while draining on shutdown.

Any other path under the prefix is a 404 from the proxy, never forwarded: the prefix is reserved.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import orjson
from aiohttp import web
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import CollectorRegistry

from modelmonitor_proxy.proxy_metrics import ForwardingStats

Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]

FEEDBACK_LIMIT_BYTES = 4 * 1024 * 1024
"""Largest feedback body accepted (labels are small; a batch of 10,000 fits comfortably)."""


class RecorderEndpoints(Protocol):
    """What the endpoints need from the recorder."""

    def snapshot(self, now: float) -> dict[str, Any]:
        """The mergeable sketches per window, as JSON-ready data."""
        ...

    def feedback(self, body: bytes, now: float) -> tuple[int, dict[str, Any]]:
        """Join labels by request id; return the HTTP status and JSON body."""
        ...


def json_response(status: int, data: object) -> web.Response:
    """A JSON response serialized with orjson (numpy scalars and arrays allowed)."""
    return web.Response(
        status=status,
        body=orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY),
        content_type="application/json",
    )


async def probe_upstream(host: str, port: int, path: str | None, timeout: float) -> str | None:
    """Check that the upstream answers; return ``None`` when it does, else the reason it does not.

    Without ``path`` a TCP connect is the check (any model server accepts connections once it
    listens). With ``path`` (e.g. ``/v2/health/ready``) a ``GET`` must answer 2xx.
    """
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            if path is None:
                return None
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
            status_line = await reader.readline()
    except TimeoutError:
        return f"upstream {host}:{port} did not answer within {timeout:g}s"
    except OSError as exc:
        return f"upstream {host}:{port} unreachable: {exc.strerror or exc}"
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
    parts = status_line.split(b" ", 2)
    if len(parts) >= 2 and parts[1][:1] == b"2":
        return None
    return f"upstream {path} answered {status_line.strip()[:80].decode('latin-1') or 'nothing'}"


def _too_large() -> web.Response:
    message = f"feedback bodies are limited to {FEEDBACK_LIMIT_BYTES} bytes"
    return json_response(413, {"error": {"code": "too_large", "message": message}})


class OwnEndpoints:
    """Routes the proxy's own paths; :meth:`route` returns ``None`` for anything to forward.

    Parameters
    ----------
    prefix:
        Reserved path prefix, e.g. ``/modelmonitor``.
    registry:
        The Prometheus registry served at ``<prefix>/metrics``.
    recorder:
        Snapshot and feedback source; ``None`` when monitoring is off (both answer 404 then).
    upstream_check:
        Coroutine function returning ``None`` when the upstream answers, else why not.
    stats:
        Forwarding counters (own requests are counted there).
    serve_root_metrics:
        Also answer ``GET /metrics`` (off by default: the model may serve its own).
    clock:
        Wall-clock seconds, injected for tests.
    """

    def __init__(
        self,
        prefix: str,
        registry: CollectorRegistry,
        recorder: RecorderEndpoints | None,
        upstream_check: Callable[[], Awaitable[str | None]],
        stats: ForwardingStats,
        *,
        serve_root_metrics: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.prefix = prefix.rstrip("/")
        self.registry = registry
        self.recorder = recorder
        self.upstream_check = upstream_check
        self.stats = stats
        self.clock = clock
        self.draining = False
        self._prefix_slash = self.prefix + "/"
        self._routes: dict[tuple[str, str], Handler] = {
            ("GET", "/metrics"): self.metrics,
            ("GET", "/v1/snapshot"): self.snapshot,
            ("POST", "/v1/feedback"): self.feedback,
            ("GET", "/healthz"): self.healthz,
            ("GET", "/readyz"): self.readyz,
        }
        self._root_metrics = serve_root_metrics

    def route(self, raw_path: str) -> bool:
        """Whether ``raw_path`` (path and query) belongs to the proxy rather than the model."""
        path = raw_path.partition("?")[0]
        return path.startswith(self._prefix_slash) or path == self.prefix or (self._root_metrics and path == "/metrics")

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """Answer one of the proxy's own paths (``route`` said it is ours)."""
        self.stats.own_requests += 1
        path = request.raw_path.partition("?")[0]
        sub = "/metrics" if path == "/metrics" else path[len(self.prefix) :]
        method = "GET" if request.method == "HEAD" else request.method
        handler = self._routes.get((method, sub))
        if handler is None:
            if any(route_path == sub for _, route_path in self._routes):
                allowed = sorted({m for m, p in self._routes if p == sub})
                response = json_response(405, {"error": {"code": "method_not_allowed", "allowed": allowed}})
                response.headers["Allow"] = ", ".join(allowed)
                return response
            return json_response(
                404, {"error": {"code": "not_found", "message": f"{path} is reserved for the proxy and not served"}}
            )
        return await handler(request)

    async def metrics(self, request: web.BaseRequest) -> web.StreamResponse:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        body = encoder(self.registry)
        return web.Response(body=body, headers={"Content-Type": content_type})

    async def snapshot(self, request: web.BaseRequest) -> web.StreamResponse:
        if self.recorder is None:
            return json_response(404, {"error": {"code": "monitoring_off", "message": "monitoring is disabled"}})
        return json_response(200, self.recorder.snapshot(self.clock()))

    async def feedback(self, request: web.BaseRequest) -> web.StreamResponse:
        if self.recorder is None:
            return json_response(404, {"error": {"code": "monitoring_off", "message": "monitoring is disabled"}})
        length = request.content_length
        if length is not None and length > FEEDBACK_LIMIT_BYTES:
            return _too_large()
        pieces: list[bytes] = []
        size = 0
        while size <= FEEDBACK_LIMIT_BYTES:
            piece = await request.content.readany()
            if not piece:
                break
            pieces.append(piece)
            size += len(piece)
        body = b"".join(pieces)
        if size > FEEDBACK_LIMIT_BYTES:
            return _too_large()
        status, data = self.recorder.feedback(body, self.clock())
        return json_response(status, data)

    async def healthz(self, request: web.BaseRequest) -> web.StreamResponse:
        return json_response(200, {"status": "ok"})

    async def readyz(self, request: web.BaseRequest) -> web.StreamResponse:
        if self.draining:
            return json_response(503, {"ready": False, "reason": "shutting down"})
        reason = await self.upstream_check()
        if reason is not None:
            return json_response(503, {"ready": False, "reason": reason})
        return json_response(200, {"ready": True})
