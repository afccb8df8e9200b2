"""The proxy's own forwarding metrics: outcomes, upstream errors, in-flight requests, monitoring errors.

The hot path only bumps plain integers on :class:`ForwardingStats`; :class:`ForwardingCollector`
turns them into Prometheus families at scrape time. A ``prometheus_client.Counter`` costs a lock
and a label lookup per increment, which is measurable at thousands of requests per second on
two cores; a scrape every 15 s costs nothing.

The recording metrics (latency, status classes, features, predictions) come from the
recorder's collector, not from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Literal

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

Outcome = Literal["proxied", "upstream_error", "rejected", "aborted", "bad_request"]
OUTCOMES: tuple[Outcome, ...] = ("proxied", "upstream_error", "rejected", "aborted", "bad_request")
"""How a forwarded request ended: ``proxied`` (the upstream's response reached the client),
``upstream_error`` (the proxy answered 502/504), ``rejected`` (503 past ``maxConcurrency``),
``aborted`` (the client went away, or the upstream broke after the response had started),
``bad_request`` (the client's body was not valid HTTP framing; the proxy answered 400)."""

UPSTREAM_ERROR_KINDS = ("connect", "timeout", "protocol")


@dataclass(slots=True)
class ForwardingStats:
    """Plain counters bumped by the forwarding path (one event loop thread, so no locks)."""

    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    upstream_errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(UPSTREAM_ERROR_KINDS, 0))
    in_flight: int = 0
    monitoring_errors: int = 0
    own_requests: int = 0
    """Requests answered by the proxy's own endpoints (metrics, snapshot, feedback, probes)."""

    def forwarded_total(self) -> int:
        """All forwarded requests that have finished, whatever their outcome."""
        return sum(self.outcomes.values())


class ForwardingCollector(Collector):
    """Exposes :class:`ForwardingStats` as ``modelmonitor_proxy_*`` families.

    Parameters
    ----------
    stats:
        The live counters.
    pool_opened:
        Callable returning how many upstream connections have been opened (keep-alive health).
    max_concurrency:
        The configured limit, 0 for none (exported so dashboards can draw it).
    """

    def __init__(self, stats: ForwardingStats, pool_opened: Callable[[], int], max_concurrency: int) -> None:
        self._stats = stats
        self._pool_opened = pool_opened
        self._max_concurrency = max_concurrency

    def collect(self) -> Iterator[Metric]:
        stats = self._stats
        requests = CounterMetricFamily(
            "modelmonitor_proxy_requests",
            "Forwarded requests by how they ended (proxied, upstream_error, rejected, aborted, bad_request).",
            labels=["outcome"],
        )
        for outcome, count in stats.outcomes.items():
            requests.add_metric([outcome], count)
        yield requests
        errors = CounterMetricFamily(
            "modelmonitor_proxy_upstream_errors",
            "Requests the upstream model could not answer, by kind (connect, timeout, protocol).",
            labels=["kind"],
        )
        for kind, count in stats.upstream_errors.items():
            errors.add_metric([kind], count)
        yield errors
        yield GaugeMetricFamily(
            "modelmonitor_proxy_in_flight_requests", "Requests being forwarded right now.", value=stats.in_flight
        )
        yield GaugeMetricFamily(
            "modelmonitor_proxy_max_concurrency",
            "Configured limit of requests in flight (0 = no limit).",
            value=self._max_concurrency,
        )
        yield CounterMetricFamily(
            "modelmonitor_monitoring_errors",
            "Requests whose monitoring failed (the response itself was unaffected: fail-open).",
            value=stats.monitoring_errors,
        )
        yield CounterMetricFamily(
            "modelmonitor_proxy_own_requests",
            "Requests answered by the proxy's own endpoints (metrics, snapshot, feedback, probes).",
            value=stats.own_requests,
        )
        yield CounterMetricFamily(
            "modelmonitor_proxy_upstream_connections_opened",
            "TCP connections opened to the upstream (low relative to requests when keep-alive works).",
            value=self._pool_opened(),
        )


class GuardedCollector(Collector):
    """Wraps the recorder's collector so that a failure there cannot take ``/metrics`` down.

    The forwarding metrics must stay scrapeable even if a monitoring bug breaks rendering: the
    failure is reported through ``on_error`` (which counts ``modelmonitor_monitoring_errors_total``)
    and that scrape carries no recording metrics.
    """

    def __init__(self, inner: Collector, on_error: Callable[[], None]) -> None:
        self._inner = inner
        self._on_error = on_error

    def collect(self) -> Iterator[Metric]:
        try:
            metrics = list(self._inner.collect())
        except Exception:
            self._on_error()
            return iter(())
        return iter(metrics)
