"""The Kopf shell: handlers registered on an explicit registry, closed over an :class:`OperatorContext`.

No handler is registered at import time; :func:`build_registry` does it, so tests and the CLI
each get their own registry, settings and API client.
"""

from __future__ import annotations

import kopf

from modelmonitor.handlers import admission, analysis, monitors, sidecars, startup
from modelmonitor.handlers.context import OperatorContext

__all__ = ["OperatorContext", "build_registry"]


def build_registry(ctx: OperatorContext) -> kopf.OperatorRegistry:
    """A Kopf registry holding every handler of the operator."""
    registry = kopf.OperatorRegistry()
    startup.register(registry, ctx)
    monitors.register(registry, ctx)
    if ctx.config.analysis_tick_seconds > 0:
        analysis.register(registry, ctx, tick_s=ctx.config.analysis_tick_seconds)
    if ctx.config.sidecar_check_interval > 0:
        sidecars.register(registry, ctx)
    if ctx.config.webhooks_enabled:
        admission.register(registry, ctx)
    return registry
