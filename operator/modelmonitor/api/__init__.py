"""The contract: pydantic models of the ``ModelMonitor`` resource and the CRD built from them.

This package is the pure layer's root: it imports pydantic and nothing that does I/O.
"""

from modelmonitor.api.durations import Duration, parse_duration
from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.api.status import Condition, ModelMonitorStatus, Phase

__all__ = ["Condition", "Duration", "ModelMonitorSpec", "ModelMonitorStatus", "Phase", "parse_duration"]
