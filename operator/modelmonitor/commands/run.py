"""``modelmonitor run``: the operator (Kopf) against in-cluster config, a kubeconfig, or an explicit API URL.

Flags override ``MODELMONITOR_*`` environment variables (see :mod:`modelmonitor.config`); both are
parsed once here and passed down. Logs are Kopf's structured JSON (one object per line, with the
Kubernetes object under ``object``) unless ``--log-format plain``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

import kopf
import prometheus_client
from prometheus_client import CollectorRegistry

from modelmonitor.config import ConfigError, OperatorConfig
from modelmonitor.handlers import OperatorContext, build_registry
from modelmonitor.kube.client import KubeApi, build_api_client
from modelmonitor.metrics import OperatorMetrics

FLAGS = {
    "api_url": "api_url",
    "kubeconfig": "kubeconfig",
    "namespace": "namespaces",
    "standalone": "standalone",
    "peering": "peering",
    "sidecar_image": "sidecar_image",
    "webhook_host": "webhook_host",
    "webhook_port": "webhook_port",
    "webhook_cert": "webhook_certfile",
    "webhook_key": "webhook_pkeyfile",
    "no_webhooks": "webhooks_enabled",
    "metrics_port": "metrics_port",
    "log_format": "log_format",
    "log_level": "log_level",
}


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="run the operator (Kopf) against a cluster")
    parser.add_argument("--api-url", help="Kubernetes API URL (default: in-cluster, then kubeconfig)")
    parser.add_argument("--kubeconfig", help="path of a kubeconfig file")
    parser.add_argument("--namespace", action="append", help="namespace to watch (repeatable; default: all)")
    parser.add_argument("--standalone", action="store_true", default=None, help="run without peering")
    parser.add_argument("--peering", help="Kopf peering name (default: auto-detect, standalone when absent)")
    parser.add_argument("--sidecar-image", help="image of the injected proxy")
    parser.add_argument("--webhook-host", help="host name the API server uses to reach the webhooks")
    parser.add_argument("--webhook-port", type=int, help="webhook server port (default 9443)")
    parser.add_argument("--webhook-cert", help="TLS certificate file (default: self-signed)")
    parser.add_argument("--webhook-key", help="TLS private key file")
    parser.add_argument("--no-webhooks", action="store_false", default=None, help="do not serve admission webhooks")
    parser.add_argument("--metrics-port", type=int, help="port of the operator's /metrics (0 disables)")
    parser.add_argument("--liveness", default=None, help="Kopf liveness endpoint, e.g. http://0.0.0.0:8081/healthz")
    parser.add_argument("--log-format", choices=["json", "plain"])
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"])
    parser.set_defaults(handler=run)


def overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given as flags (``None`` means not given)."""
    return {setting: getattr(args, flag, None) for flag, setting in FLAGS.items()}


def run(args: argparse.Namespace) -> int:
    try:
        config = OperatorConfig.load(os.environ, overrides(args))
    except ConfigError as error:
        print(f"modelmonitor run: {error}", file=sys.stderr)
        return 2
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
                liveness_endpoint=args.liveness,
            )
        )
    finally:
        api.close()
    return 0
