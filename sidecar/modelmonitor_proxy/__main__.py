"""``modelmonitor-proxy``: the sidecar's command line.

Parses flags and environment once (``MODELMONITOR_VERSION`` and ``MODELMONITOR_COHORT`` come from
the pod via the downward API), loads the config file, builds the app with :func:`create_app`,
runs it until SIGTERM/SIGINT and then drains in-flight requests.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from prometheus_client.registry import CollectorRegistry

from modelmonitor.api.sidecar_config import SidecarConfig
from modelmonitor_proxy.app import ProxyOptions, create_app, parse_upstream
from modelmonitor_proxy.recorder import Recorder

log = logging.getLogger("modelmonitor_proxy")

COHORTS = ("stable", "canary")


@dataclass(frozen=True, slots=True)
class ProxySettings:
    """Everything the command line decided (flags over environment over defaults)."""

    upstream: str
    listen_host: str
    listen_port: int
    config_path: Path | None
    monitoring: bool
    version: str
    cohort: str
    options: ProxyOptions
    shutdown_timeout: float
    use_uvloop: bool
    log_level: str


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelmonitor-proxy",
        description="Forward every request to the model container and record it for monitoring.",
    )
    parser.add_argument("--upstream", required=True, help="model container, http://HOST:PORT")
    parser.add_argument("--listen", default="0.0.0.0:8008", help="HOST:PORT to listen on (default 0.0.0.0:8008)")
    parser.add_argument("--config", type=Path, help="SidecarConfig JSON written by the operator (default: built-in)")
    parser.add_argument(
        "--no-monitoring", action="store_true", help="forward only (no recorder): the benchmark baseline"
    )
    parser.add_argument("--model-version", help="version label of this pod's model (env MODELMONITOR_VERSION)")
    parser.add_argument("--cohort", choices=COHORTS, help="stable or canary (env MODELMONITOR_COHORT; default stable)")
    parser.add_argument("--path-prefix", help="prefix of the proxy's own endpoints (default: spec.sidecar.pathPrefix)")
    parser.add_argument(
        "--max-concurrency", type=int, help="requests in flight before 503 (default: spec.sidecar.maxConcurrency)"
    )
    parser.add_argument("--connect-timeout", type=float, default=5.0, help="seconds to connect upstream (5)")
    parser.add_argument(
        "--upstream-timeout", type=float, default=60.0, help="seconds to wait for the response head and between reads"
    )
    parser.add_argument("--health-path", help="upstream path that must answer 2xx for /readyz (default: TCP connect)")
    parser.add_argument(
        "--serve-root-metrics", action="store_true", help="also answer GET /metrics (off: the model may have its own)"
    )
    parser.add_argument("--shutdown-timeout", type=float, default=25.0, help="seconds to drain on SIGTERM (25)")
    parser.add_argument("--access-log", action="store_true", help="log every request (costs CPU)")
    parser.add_argument("--no-uvloop", action="store_true", help="use the stdlib event loop")
    parser.add_argument("--log-level", default="INFO", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    return parser


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8008`` for IPv6) to ``(host, port)``."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"--listen must be HOST:PORT, got {text!r}")
    return host.strip("[]") or "0.0.0.0", int(port_text)


def read_settings(argv: Sequence[str] | None, environ: Mapping[str, str]) -> tuple[ProxySettings, SidecarConfig]:
    """Parse flags and environment; return the settings and the loaded ``SidecarConfig``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        parse_upstream(args.upstream)
        host, port = parse_listen(args.listen)
    except ValueError as exc:
        parser.error(str(exc))
    config = SidecarConfig()
    if args.config is not None:
        try:
            config = SidecarConfig.from_json(args.config.read_bytes())
        except OSError as exc:
            parser.error(f"--config {args.config}: {exc.strerror or exc}")
        except ValueError as exc:
            parser.error(f"--config {args.config} is not a valid SidecarConfig: {exc}")
    cohort = args.cohort or environ.get("MODELMONITOR_COHORT") or "stable"
    if cohort not in COHORTS:
        parser.error(f"MODELMONITOR_COHORT must be one of {', '.join(COHORTS)}, got {cohort!r}")
    sidecar = config.spec.sidecar
    max_concurrency = args.max_concurrency if args.max_concurrency is not None else sidecar.max_concurrency
    if max_concurrency < 0:
        parser.error("--max-concurrency must be >= 0")
    options = ProxyOptions(
        path_prefix=args.path_prefix or sidecar.path_prefix,
        max_concurrency=max_concurrency,
        connect_timeout=args.connect_timeout,
        read_timeout=args.upstream_timeout,
        serve_root_metrics=args.serve_root_metrics,
        health_path=args.health_path,
        access_log=args.access_log,
    )
    settings = ProxySettings(
        upstream=args.upstream,
        listen_host=host,
        listen_port=port,
        config_path=args.config,
        monitoring=not args.no_monitoring,
        version=args.model_version or environ.get("MODELMONITOR_VERSION") or "unknown",
        cohort=cohort,
        options=options,
        shutdown_timeout=args.shutdown_timeout,
        use_uvloop=not args.no_uvloop,
        log_level=args.log_level,
    )
    return settings, config


def build_recorder(settings: ProxySettings, config: SidecarConfig) -> Recorder | None:
    """The recorder, or ``None`` with monitoring off."""
    if not settings.monitoring:
        return None
    return Recorder(config, version=settings.version, cohort=settings.cohort)


async def serve(settings: ProxySettings, config: SidecarConfig, ready: asyncio.Event | None = None) -> None:
    """Run the proxy until SIGTERM or SIGINT, then drain."""
    recorder = build_recorder(settings, config)
    app = create_app(
        settings.upstream,
        recorder=recorder,
        registry=CollectorRegistry(),
        options=settings.options,
    )
    port = await app.start(settings.listen_host, settings.listen_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "modelmonitor-proxy listening on %s:%d, forwarding to %s (monitoring %s, prefix %s)",
        settings.listen_host,
        port,
        settings.upstream,
        "on" if recorder is not None else "off",
        settings.options.path_prefix,
    )
    if ready is not None:
        ready.set()
    await stop.wait()
    log.info("shutting down: draining in-flight requests for up to %gs", settings.shutdown_timeout)
    await app.shutdown(settings.shutdown_timeout)
    log.info("stopped after %d forwarded requests", app.stats.forwarded_total())


def main(argv: Sequence[str] | None = None) -> int:
    settings, config = read_settings(argv, os.environ)
    logging.basicConfig(
        level=getattr(logging, settings.log_level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if settings.use_uvloop:
        try:
            import uvloop
        except ImportError:
            log.info("uvloop not installed; using the stdlib event loop")
        else:
            uvloop.run(serve(settings, config))
            return 0
    asyncio.run(serve(settings, config))
    return 0


if __name__ == "__main__":
    sys.exit(main())
