"""What every handler needs, built once by ``modelmonitor run`` (or a test) and closed over."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from modelmonitor.config import OperatorConfig
from modelmonitor.kube.client import KubeApi
from modelmonitor.metrics import OperatorMetrics


def utc_now() -> str:
    """RFC 3339 UTC time with second precision, as Kubernetes writes it."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class OperatorContext:
    """The operator's settings, its API access and its metrics."""

    config: OperatorConfig
    api: KubeApi
    metrics: OperatorMetrics
    now: Callable[[], str] = field(default=utc_now)
