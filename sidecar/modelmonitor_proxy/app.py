"""Assembles the sidecar: upstream pool, forwarding path, own endpoints, metrics registry, shutdown.

``create_app`` is the one factory (tests, the CLI and benchmarks all use it). It reads no
environment and no files: the caller passes the parsed config, the recorder (or ``None`` for a
forwarding-only proxy) and the Prometheus registry.

The HTTP server is aiohttp's low-level ``web.Server``: no router, no middleware chain, no
``Application`` signals; one handler that sends the proxy's own prefix to :class:`OwnEndpoints`
and everything else to :class:`Forwarder`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from aiohttp import web
from prometheus_client.registry import Collector, CollectorRegistry

from modelmonitor_proxy.endpoints import OwnEndpoints, RecorderEndpoints, probe_upstream
from modelmonitor_proxy.forwarding import Forwarder, MonitoringHook
from modelmonitor_proxy.proxy_metrics import ForwardingCollector, ForwardingStats, GuardedCollector
from modelmonitor_proxy.upstream import UpstreamPool

log = logging.getLogger(__name__)


class RecorderLike(RecorderEndpoints, MonitoringHook, Protocol):
    """The recorder as the proxy uses it (``modelmonitor_proxy.recorder.Recorder`` satisfies it)."""

    def collector(self) -> Collector: ...


@dataclass(frozen=True, slots=True)
class ProxyOptions:
    """Settings of the forwarding itself (the monitoring settings live in ``SidecarConfig``)."""

    path_prefix: str = "/modelmonitor"
    max_concurrency: int = 0
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    max_idle_connections: int = 64
    serve_root_metrics: bool = False
    health_path: str | None = None
    probe_timeout: float = 2.0
    access_log: bool = False


def parse_upstream(url: str) -> tuple[str, int]:
    """``http://host:port`` to ``(host, port)``; anything else is a ``ValueError`` naming the URL.

    >>> parse_upstream("http://127.0.0.1:8080")
    ('127.0.0.1', 8080)
    """
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"--upstream must look like http://HOST:PORT, got {url!r}")
    if parts.path not in ("", "/") or parts.query:
        raise ValueError(f"--upstream takes no path or query (paths are forwarded unchanged), got {url!r}")
    try:
        port = parts.port or 80
    except ValueError:
        raise ValueError(f"--upstream has an invalid port: {url!r}") from None
    return parts.hostname, port


class ProxyApp:
    """A running (or ready to run) sidecar: call :meth:`start`, later :meth:`shutdown`."""

    def __init__(
        self,
        *,
        pool: UpstreamPool,
        forwarder: Forwarder,
        endpoints: OwnEndpoints,
        registry: CollectorRegistry,
        stats: ForwardingStats,
        options: ProxyOptions,
    ) -> None:
        self.pool = pool
        self.forwarder = forwarder
        self.endpoints = endpoints
        self.registry = registry
        self.stats = stats
        self.options = options
        self._server: web.Server | None = None
        self._listener: asyncio.Server | None = None

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """The one request handler: own paths to the endpoints, the rest to the upstream."""
        if self.endpoints.route(request.raw_path):
            return await self.endpoints.handle(request)
        return await self.forwarder.handle(request)

    async def start(self, host: str, port: int) -> int:
        """Listen on ``host:port`` (0 picks a free port); return the bound port."""
        kwargs: dict[str, Any] = {}
        if not self.options.access_log:
            kwargs["access_log"] = None
        self._server = web.Server(self.handle, **kwargs)
        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(self._server, host, port, reuse_address=True, backlog=1024)
        bound: int = self._listener.sockets[0].getsockname()[1]
        return bound

    async def shutdown(self, timeout: float = 25.0) -> None:
        """Stop accepting, let in-flight requests finish (up to ``timeout`` s), then close everything.

        ``/readyz`` turns 503 first so that Kubernetes stops routing here; idle keep-alive
        connections are closed; a request in flight gets its full response and then its
        connection is closed.
        """
        self.endpoints.draining = True
        if self._listener is not None:
            self._listener.close()
        if self._server is not None:
            # Idle keep-alive connections close now; busy ones close after their response.
            self._server.pre_shutdown()
            await self._server.shutdown(timeout)
        if self._listener is not None:
            await self._listener.wait_closed()
        await self.pool.close()


def create_app(
    upstream: str,
    *,
    recorder: RecorderLike | None = None,
    registry: CollectorRegistry | None = None,
    options: ProxyOptions | None = None,
) -> ProxyApp:
    """Build the sidecar.

    Parameters
    ----------
    upstream:
        ``http://host:port`` of the model container.
    recorder:
        The recorder (``None``: forward only, still counting forwarding metrics).
    registry:
        Where the forwarding collector and the recorder's collector are registered; a fresh one by default.
    options:
        Forwarding settings.
    """
    options = options or ProxyOptions()
    host, port = parse_upstream(upstream)
    registry = registry if registry is not None else CollectorRegistry()
    stats = ForwardingStats()
    pool = UpstreamPool(
        host,
        port,
        connect_timeout=options.connect_timeout,
        read_timeout=options.read_timeout,
        max_idle=options.max_idle_connections,
    )
    forwarder = Forwarder(pool, stats, recorder, max_concurrency=options.max_concurrency)
    if recorder is not None:
        registry.register(GuardedCollector(recorder.collector(), forwarder.monitoring_failed))
    registry.register(ForwardingCollector(stats, lambda: pool.opened, options.max_concurrency))

    async def upstream_check() -> str | None:
        return await probe_upstream(host, port, options.health_path, options.probe_timeout)

    endpoints = OwnEndpoints(
        options.path_prefix,
        registry,
        recorder,
        upstream_check,
        stats,
        serve_root_metrics=options.serve_root_metrics,
    )
    return ProxyApp(
        pool=pool, forwarder=forwarder, endpoints=endpoints, registry=registry, stats=stats, options=options
    )
