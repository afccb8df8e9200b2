"""Where the analysis loop reads counts from: the sidecars themselves (default) or Prometheus.

Every source answers the same question through :class:`~modelmonitor.sources.base.SnapshotSource`:
the merged counts of each requested window, how far back the data reaches, and which pods did not
answer; or :class:`~modelmonitor.sources.base.NoData` saying why there is nothing to evaluate.
"""
