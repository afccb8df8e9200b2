"""The contract: pydantic models of the ``ModelMonitor`` resource and the CRD built from them.

This package is the pure layer's root: it imports pydantic and nothing that does I/O. Its names
are loaded on first use, so that reading a reference profile does not pay for building the spec
models (a tenth of a second of a ``modelmonitor drift`` run).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modelmonitor.api.durations import Duration, parse_duration
    from modelmonitor.api.spec import ModelMonitorSpec
    from modelmonitor.api.status import Condition, ModelMonitorStatus, Phase

__all__ = ["Condition", "Duration", "ModelMonitorSpec", "ModelMonitorStatus", "Phase", "parse_duration"]

_HOMES = {
    "Condition": "modelmonitor.api.status",
    "Duration": "modelmonitor.api.durations",
    "ModelMonitorSpec": "modelmonitor.api.spec",
    "ModelMonitorStatus": "modelmonitor.api.status",
    "Phase": "modelmonitor.api.status",
    "parse_duration": "modelmonitor.api.durations",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'modelmonitor.api' has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)
