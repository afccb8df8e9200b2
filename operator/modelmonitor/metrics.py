"""The operator's own Prometheus metrics (``modelmonitor_operator_*``), built on an injected registry.

Labels are bounded: handler names, results, write kinds, and namespace/monitor pairs (one series
per ModelMonitor, like kube-state-metrics does per object). No pod names or spec values.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class OperatorMetrics:
    """All metric objects of one operator process."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.reconciliations = Counter(
            "modelmonitor_operator_reconciliations_total",
            "ModelMonitor handler runs, by handler and result (ready, not_ready, invalid, retry, error).",
            ["handler", "result"],
            registry=registry,
        )
        self.reconcile_duration = Histogram(
            "modelmonitor_operator_reconcile_duration_seconds",
            "Time spent in one ModelMonitor handler run.",
            ["handler"],
            registry=registry,
        )
        self.writes = Counter(
            "modelmonitor_operator_writes_total",
            "Writes to the Kubernetes API made while wiring, by Event reason (ConfigDelivered, ServiceRewired...).",
            ["reason"],
            registry=registry,
        )
        self.admission_reviews = Counter(
            "modelmonitor_operator_admission_reviews_total",
            "Admission reviews answered, by webhook and result (injected, skipped, allowed, denied).",
            ["webhook", "result"],
            registry=registry,
        )
        self.slo_burn_rate = Gauge(
            "modelmonitor_slo_burn_rate",
            "SLO burn rate (error ratio over error budget) per alerting window; absent when the window has no data.",
            ["namespace", "monitor", "slo", "window"],
            registry=registry,
        )
        self.error_budget_remaining = Gauge(
            "modelmonitor_error_budget_remaining_ratio",
            "Fraction of the SLO period's error budget left (negative when overspent); absent without period data.",
            ["namespace", "monitor", "slo"],
            registry=registry,
        )
        self.feature_drift_score = Gauge(
            "modelmonitor_feature_drift_score",
            "Drift score of a feature (or 'prediction') against the reference; absent with insufficient samples.",
            ["namespace", "monitor", "feature", "method"],
            registry=registry,
        )
        self.analysis_duration = Histogram(
            "modelmonitor_operator_analysis_duration_seconds",
            "Time of one analysis evaluation (collect, evaluate, report) of one ModelMonitor.",
            registry=registry,
        )
        self.analysis_sidecars = Counter(
            "modelmonitor_operator_analysis_sidecar_fetches_total",
            "Sidecar snapshot fetches by the analysis loop, by result (answered, unreachable).",
            ["result"],
            registry=registry,
        )
        self.retraining_jobs = Counter(
            "modelmonitor_operator_retraining_jobs_total",
            "Retraining Jobs created by the analysis loop (drift or an accuracy SLO breached for retraining.after).",
            registry=registry,
        )
        self.pods_missing_sidecar = Gauge(
            "modelmonitor_operator_pods_missing_sidecar",
            "Opted-in pods of a monitor running without the sidecar (the webhook failed open).",
            ["namespace", "monitor"],
            registry=registry,
        )
