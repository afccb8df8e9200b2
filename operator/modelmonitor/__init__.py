"""model-monitor: Kubernetes-native monitoring for ML models in production.

The public API is the ``ModelMonitor`` resource's models (:mod:`modelmonitor.api`)
and the statistics core (:mod:`modelmonitor.stats`).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
