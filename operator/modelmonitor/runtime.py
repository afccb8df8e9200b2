"""The operator process: Kopf's settings, the operator's own /metrics, and the Kopf event loop.

Kept apart from the ``run`` command so that the CLI's other commands do not import Kopf.
"""

from __future__ import annotations

import asyncio

import kopf
import prometheus_client
from prometheus_client import CollectorRegistry

from modelmonitor.config import OperatorConfig
from modelmonitor.handlers import OperatorContext, build_registry
from modelmonitor.kube.client import KubeApi, build_api_client
from modelmonitor.metrics import OperatorMetrics


def run_operator(config: OperatorConfig, *, liveness_endpoint: str | None = None) -> None:
    """Run the operator until it is stopped (SIGTERM, SIGINT)."""
    kopf.configure(
        debug=config.log_level == "DEBUG",
        quiet=config.log_level in ("WARNING", "ERROR"),
        log_format=kopf.LogFormat.JSON if config.log_format == "json" else kopf.LogFormat.FULL,
        log_refkey="object",
    )
    registry = CollectorRegistry()
    if config.metrics_port:
        prometheus_client.start_http_server(config.metrics_port, registry=registry)
    api = KubeApi(build_api_client(api_url=config.api_url, kubeconfig=config.kubeconfig, token=config.api_token))
    context = OperatorContext(config=config, api=api, metrics=OperatorMetrics(registry))
    try:
        asyncio.run(
            kopf.operator(
                registry=build_registry(context),
                standalone=config.standalone or None,
                clusterwide=not config.namespaces,
                namespaces=list(config.namespaces),
                liveness_endpoint=liveness_endpoint,
            )
        )
    finally:
        api.close()
