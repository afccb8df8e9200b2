"""``modelmonitor run``: the operator (Kopf) against in-cluster config, a kubeconfig, or an explicit API URL.

Flags override ``MODELMONITOR_*`` environment variables (see :mod:`modelmonitor.config`); both are
parsed once here and passed down. Logs are Kopf's structured JSON (one object per line, with the
Kubernetes object under ``object``) unless ``--log-format plain``.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from modelmonitor.config import ConfigError, OperatorConfig

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
    # Kopf and the Kubernetes client take about a second to import: only `run` pays for them.
    from modelmonitor.runtime import run_operator

    run_operator(config, liveness_endpoint=args.liveness)
    return 0
