"""The ``ModelMonitor`` spec: what users write, and the single source of the CRD schema.

Every field carries a description (it becomes ``kubectl explain`` text), every config model
forbids unknown fields, and YAML keys are camelCase while Python attributes are snake_case.
Cross-field rules that a schema cannot express (a latency SLO needs a threshold, SLO names are
unique) live in model validators, so the operator, the validating webhook and the CLI reject
the same specs with the same message.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from modelmonitor.api.durations import Duration, parse_duration

DNS_LABEL = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"

ResourceName = Annotated[str, Field(min_length=1, max_length=253, pattern=DNS_SUBDOMAIN)]
Port = Annotated[int, Field(ge=1, le=65535)]
Percent = Annotated[float, Field(gt=0, lt=100)]


class SpecModel(BaseModel):
    """Base of every spec model: camelCase in YAML, unknown fields rejected."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="forbid",
        frozen=True,
        use_enum_values=False,
    )


class Protocol(StrEnum):
    """The wire format of the model's requests and responses."""

    AUTO = "auto"
    """Detect KServe v1 or Open Inference Protocol v2 from each body."""
    KSERVE_V1 = "kserve-v1"
    """KServe v1: ``{"instances": [...]}`` in, ``{"predictions": [...]}`` out."""
    OPEN_INFERENCE_V2 = "open-inference-v2"
    """Open Inference Protocol v2: ``inputs``/``outputs`` tensors."""
    JSON = "json"
    """Any JSON body; each feature and the prediction name a path in it."""


class FeatureType(StrEnum):
    """How a feature's distribution is summarised."""

    NUMERIC = "numeric"
    CATEGORICAL = "categorical"


class DriftMethod(StrEnum):
    """A drift statistic. ``auto`` picks by feature type (see docs/drift.md)."""

    AUTO = "auto"
    PSI = "psi"
    JENSEN_SHANNON = "jensen-shannon"
    HELLINGER = "hellinger"
    WASSERSTEIN = "wasserstein"
    KS = "ks"
    CHI_SQUARE = "chi-square"


class Task(StrEnum):
    """The kind of prediction the model makes."""

    BINARY_CLASSIFICATION = "binary-classification"
    MULTICLASS = "multiclass"
    REGRESSION = "regression"


class SliKind(StrEnum):
    """What an SLO measures."""

    ERROR_RATE = "error-rate"
    """Good events are responses that are not 5xx (and not proxy errors)."""
    LATENCY = "latency"
    """Good events are responses faster than ``thresholdSeconds``."""
    ACCURACY = "accuracy"
    """Good events are labelled predictions that were correct."""
    DRIFT = "drift"
    """Good events are analysis intervals in which no feature drifted."""


class AnalysisSource(StrEnum):
    """Where the operator reads the sidecars' counts from."""

    SIDECARS = "sidecars"
    PROMETHEUS = "prometheus"


class FailurePolicy(StrEnum):
    """What the operator does when a canary fails its gates."""

    ROLLBACK = "rollback"
    FREEZE = "freeze"


class AlertFormat(StrEnum):
    """The payload shape of alert notifications."""

    ALERTMANAGER = "alertmanager"
    JSON = "json"


class Target(SpecModel):
    """The workload whose model is monitored."""

    deployment: ResourceName = Field(description="Name of the stable Deployment serving the model.")
    service: ResourceName | None = Field(
        default=None,
        description="Service whose targetPort is rewired to the proxy sidecar; restored on delete.",
    )
    port: Port = Field(default=8080, description="Port of the model container that the proxy forwards to.")
    container: str | None = Field(
        default=None, description="Name of the model container; defaults to the pod's first container."
    )


class DriftOverride(SpecModel):
    """Per-feature choice of drift method and threshold."""

    method: DriftMethod = Field(default=DriftMethod.AUTO, description="Drift statistic for this feature.")
    threshold: float | None = Field(
        default=None,
        ge=0,
        description="Fixed threshold for the statistic; by default it depends on the sample size.",
    )


class Expectations(SpecModel):
    """Data-quality expectations of a feature; violations are counted by the sidecar."""

    min: float | None = Field(default=None, description="Smallest allowed value (numeric features).")
    max: float | None = Field(default=None, description="Largest allowed value (numeric features).")
    allowed_values: list[str] | None = Field(default=None, description="Allowed values (categorical features).")
    max_null_rate: float | None = Field(
        default=None, ge=0, le=1, description="Largest acceptable fraction of null or missing values."
    )
    required: bool = Field(default=False, description="Whether every request must carry the feature.")

    @model_validator(mode="after")
    def _range_is_ordered(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min ({self.min}) is greater than max ({self.max})")
        return self


class Feature(SpecModel):
    """One model input whose distribution is watched."""

    name: str = Field(min_length=1, max_length=128, description="Feature name as the model sees it.")
    type: FeatureType = Field(default=FeatureType.NUMERIC, description="numeric or categorical.")
    path: str | None = Field(
        default=None,
        description="Dotted path to the value in each request row (protocol json), e.g. 'inputs.amount'.",
    )
    drift: DriftOverride | None = Field(default=None, description="Overrides the drift method or threshold.")
    expectations: Expectations | None = Field(default=None, description="Data-quality expectations.")


class Prediction(SpecModel):
    """What the model predicts and how to read it."""

    task: Task = Field(default=Task.BINARY_CLASSIFICATION, description="The prediction task.")
    threshold: float = Field(
        default=0.5, ge=0, le=1, description="Score at or above which a binary prediction is positive."
    )
    classes: list[str] | None = Field(
        default=None, description="Class names, in the order of probability vectors (multiclass)."
    )
    path: str | None = Field(default=None, description="Dotted path to the prediction (protocol json).")
    output: str | None = Field(
        default=None, description="Name of the output tensor holding the prediction (open-inference-v2)."
    )


class Reference(SpecModel):
    """Where the reference profile (built by ``modelmonitor profile``) is stored."""

    config_map: ResourceName = Field(description="ConfigMap holding the reference profile.")
    key: str = Field(default="profile.yaml", description="Key of the profile in the ConfigMap.")


class Drift(SpecModel):
    """How feature and prediction drift are judged."""

    window: Duration = Field(default="1h", description="Window of live traffic compared with the reference.")
    min_samples: int = Field(
        default=500, ge=1, description="Fewer samples than this give the verdict 'insufficient samples'."
    )
    consecutive: int = Field(
        default=2, ge=1, le=100, description="Consecutive drifted evaluations before a feature is Drifting."
    )
    method: DriftMethod = Field(default=DriftMethod.AUTO, description="Default drift statistic.")


class PrometheusSource(SpecModel):
    """A Prometheus or Thanos endpoint holding the sidecars' metrics."""

    url: str = Field(pattern=r"^https?://", description="Base URL of the Prometheus HTTP API.")
    timeout: Duration = Field(default="10s", description="Timeout of each query.")


class Analysis(SpecModel):
    """How often and from where the operator evaluates the model."""

    interval: Duration = Field(default="30s", description="Time between evaluations.")
    source: AnalysisSource = Field(default=AnalysisSource.SIDECARS, description="sidecars or prometheus.")
    prometheus: PrometheusSource | None = Field(default=None, description="Required when source is prometheus.")

    @model_validator(mode="after")
    def _prometheus_needs_url(self) -> Self:
        if self.source is AnalysisSource.PROMETHEUS and self.prometheus is None:
            raise ValueError("source is prometheus but prometheus.url is not set")
        return self


class Sidecar(SpecModel):
    """The injected proxy."""

    port: Port = Field(default=8008, description="Port the proxy listens on inside the pod.")
    path_prefix: str = Field(
        default="/modelmonitor",
        pattern=r"^/[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$",
        description="Prefix of the proxy's own endpoints; must not collide with the model's paths.",
    )
    max_concurrency: int = Field(
        default=0, ge=0, description="Requests in flight above which the proxy answers 503 (0 = no limit)."
    )
    parse_limit_bytes: int = Field(
        default=1048576, ge=0, description="Bodies larger than this are proxied but not parsed."
    )
    feedback_buffer_size: int = Field(default=100000, ge=0, description="Predictions kept for joining late labels.")
    feedback_ttl: Duration = Field(default="24h", description="How long a prediction waits for its label.")


class Slo(SpecModel):
    """A service-level objective, with burn rates computed over multiple windows."""

    name: str = Field(min_length=1, max_length=63, pattern=DNS_LABEL, description="SLO name, unique here.")
    sli: SliKind = Field(description="What is measured: error-rate, latency, accuracy or drift.")
    objective: Percent = Field(description="Target percentage of good events, e.g. 99.9.")
    window: Duration = Field(default="30d", description="Period over which the error budget is counted.")
    threshold_seconds: float | None = Field(
        default=None, gt=0, description="Latency threshold; required for sli latency."
    )

    @model_validator(mode="after")
    def _latency_needs_threshold(self) -> Self:
        if self.sli is SliKind.LATENCY and self.threshold_seconds is None:
            raise ValueError("sli latency needs thresholdSeconds")
        if self.sli is not SliKind.LATENCY and self.threshold_seconds is not None:
            raise ValueError(f"thresholdSeconds only applies to sli latency, not {self.sli.value}")
        return self


class Webhook(SpecModel):
    """An HTTP endpoint that receives alert notifications."""

    url: str = Field(pattern=r"^https?://", description="URL notifications are POSTed to.")
    format: AlertFormat = Field(default=AlertFormat.ALERTMANAGER, description="alertmanager or json.")


class Silence(SpecModel):
    """A time range in which no notification is sent (a maintenance window)."""

    start: str = Field(description="RFC 3339 start time.")
    end: str = Field(description="RFC 3339 end time.")
    reason: str | None = Field(default=None, description="Why notifications are silenced.")


class AlertSeverity(StrEnum):
    """Who a burn-rate rule tells: a page wakes someone now, a ticket is handled in working hours."""

    PAGE = "page"
    TICKET = "ticket"


MIN_BURN_WINDOW_S = 60.0
"""The sidecars count in 1-minute buckets: a shorter window has nothing finer to read."""


class BurnRateRuleSpec(SpecModel):
    """A multi-window burn-rate alert: fires when both windows burn faster than budgetPercent allows."""

    # The factor follows from each SLO's period P (budgetPercent/100 * P / longWindow: 2 % over 1h of 30d is
    # 14.4), so one list serves SLOs of any window (slo.windows.rules_for_period).

    severity: AlertSeverity = Field(description="page or ticket.")
    long_window: Duration = Field(description="Window over which budgetPercent of the error budget may burn.")
    short_window: Duration = Field(
        description="Second, shorter window that must burn as fast, so the alert resolves soon after the burn "
        "stops (commonly longWindow / 12)."
    )
    budget_percent: float = Field(
        gt=0,
        le=100,
        description="Percent of the SLO window's error budget that may burn within longWindow; the alert's burn-rate "
        "factor is budgetPercent/100 * SLO window / longWindow (2 over 1h of 30d gives 14.4).",
    )

    @model_validator(mode="after")
    def _windows_are_ordered(self) -> Self:
        long_s, short_s = parse_duration(self.long_window), parse_duration(self.short_window)
        if short_s < MIN_BURN_WINDOW_S:
            raise ValueError(f"shortWindow {self.short_window} is shorter than 1m (the sidecars' bucket)")
        if short_s >= long_s:
            raise ValueError(f"shortWindow {self.short_window} must be shorter than longWindow {self.long_window}")
        return self


class Alerting(SpecModel):
    """Where and how alerts are sent."""

    webhook: Webhook | None = Field(default=None, description="Receiver of every notification.")
    page_webhook: Webhook | None = Field(
        default=None, description="Receiver of page-severity notifications; defaults to webhook."
    )
    group_by: list[str] = Field(
        default_factory=lambda: ["model", "version"], description="Alert labels notifications are grouped by."
    )
    repeat_interval: Duration = Field(default="4h", description="Time before a firing alert is sent again.")
    silences: list[Silence] = Field(default_factory=list, description="Maintenance windows.")
    burn_rate_rules: list[BurnRateRuleSpec] | None = Field(
        default=None,
        min_length=1,
        description=(
            "Multi-window burn-rate alert rules for every SLO; rules whose longWindow exceeds an SLO's window are "
            "left out for that SLO. Omit for the SRE workbook's: page 1h & 5m at 2 %, 6h & 30m at 5 %; "
            "ticket 1d & 2h at 10 %, 3d & 6h at 10 % (factors 14.4, 6, 3, 1 for 30d)."
        ),
    )

    @model_validator(mode="after")
    def _burn_rate_rules_are_distinct(self) -> Self:
        seen: set[tuple[str, float, float]] = set()
        for index, rule in enumerate(self.burn_rate_rules or []):
            key = (rule.severity.value, parse_duration(rule.long_window), parse_duration(rule.short_window))
            if key in seen:
                raise ValueError(
                    f"burnRateRules[{index}]: repeats severity {rule.severity.value} with windows "
                    f"{rule.long_window} & {rule.short_window}"
                )
            seen.add(key)
        return self


class Gates(SpecModel):
    """Thresholds a canary must stay within, compared with the stable version on the same traffic."""

    max_burn_rate: float | None = Field(default=2.0, gt=0, description="Largest SLO burn rate of the canary.")
    max_error_ratio: float | None = Field(
        default=None, gt=0, description="Largest ratio of canary to stable error rate."
    )
    max_latency_p99_ratio: float | None = Field(
        default=1.5, gt=0, description="Largest ratio of canary to stable p99 latency."
    )
    max_prediction_shift: float | None = Field(
        default=0.1,
        gt=0,
        le=1,
        description="Largest Jensen-Shannon distance between canary and stable prediction histograms.",
    )
    max_accuracy_drop: float | None = Field(
        default=None, gt=0, le=1, description="Largest drop of canary accuracy below stable (absolute)."
    )


class Canary(SpecModel):
    """A canary rollout: a second Deployment behind the same Service, promoted step by step."""

    deployment: ResourceName = Field(description="Deployment running the candidate model.")
    steps: list[Annotated[int, Field(ge=1, le=100)]] = Field(
        default_factory=lambda: [10, 25, 50, 100],
        min_length=1,
        description="Canary share of replicas at each step, in percent, increasing.",
    )
    interval: Duration = Field(default="5m", description="Time spent at each step before its gates are judged.")
    max_failed_checks: int = Field(default=2, ge=1, description="Consecutive failed checks before failing.")
    min_samples: int = Field(default=200, ge=1, description="Requests a step needs before it is judged.")
    progress_deadline: Duration = Field(
        default="1h", description="How long a step may wait for enough evidence before the rollout stalls."
    )
    bake_window: Duration = Field(default="15m", description="Time the promoted version is still watched.")
    failure_policy: FailurePolicy = Field(default=FailurePolicy.ROLLBACK, description="rollback or freeze.")
    paused: bool = Field(default=False, description="Hold the rollout at its current step.")
    dry_run: bool = Field(default=False, description="Evaluate and report, but never patch a Deployment.")
    gates: Gates = Field(default_factory=Gates, description="Thresholds the canary must stay within.")

    @model_validator(mode="after")
    def _steps_increase(self) -> Self:
        if any(b <= a for a, b in zip(self.steps, self.steps[1:], strict=False)):
            raise ValueError(f"steps must increase strictly, got {self.steps}")
        return self


class Retraining(SpecModel):
    """A Job started when drift or an accuracy SLO stays breached."""

    job_template: dict[str, Any] = Field(
        default_factory=dict, description="A batch/v1 JobTemplateSpec (metadata and spec) for the retraining Job."
    )
    after: Duration = Field(default="1h", description="How long a breach must last before a Job is created.")
    cooldown: Duration = Field(default="24h", description="Minimum time between two retraining Jobs.")
    require_approval: bool = Field(
        default=False, description="Wait for the annotation modelmonitor.io/approve-retraining before creating it."
    )


class Privacy(SpecModel):
    """What the sidecar keeps of request data."""

    redact: list[str] = Field(default_factory=list, description="Field names removed before anything is stored.")
    sample_rate: float = Field(
        default=0.0, ge=0, le=1, description="Fraction of raw payloads kept (redacted) in a bounded ring."
    )
    max_categories: int = Field(
        default=100, ge=1, le=10000, description="Distinct values kept per categorical feature; the rest is 'other'."
    )


class Fairness(SpecModel):
    """Group fairness, computed from per-group confusion counts once labels arrive."""

    group_feature: str = Field(min_length=1, description="Feature whose values define the groups.")
    reference_group: str | None = Field(
        default=None, description="Group the others are compared with; defaults to the largest."
    )
    max_parity_gap: float = Field(
        default=0.1, gt=0, le=1, description="Largest statistical parity or equal-opportunity difference."
    )


class Model(SpecModel):
    """How the monitored model is named in metrics and alerts."""

    name: str | None = Field(default=None, description="Model name; defaults to the ModelMonitor's name.")
    version_label: str = Field(
        default="app.kubernetes.io/version", description="Pod label that carries the model version."
    )


class ModelMonitorSpec(SpecModel):
    """Monitoring of one model served by a Deployment: drift, data quality, SLOs and canary rollouts."""

    target: Target = Field(description="The workload serving the model.")
    model: Model = Field(default_factory=Model, description="Naming of the model in metrics and alerts.")
    protocol: Protocol = Field(default=Protocol.AUTO, description="Wire format of requests and responses.")
    features: list[Feature] = Field(
        default_factory=list, description="Inputs to watch; inferred from the reference profile when empty."
    )
    prediction: Prediction = Field(default_factory=Prediction, description="What the model predicts.")
    reference: Reference | None = Field(default=None, description="The reference profile drift is measured against.")
    drift: Drift = Field(default_factory=Drift, description="How drift is judged.")
    analysis: Analysis = Field(default_factory=Analysis, description="How often and from where to evaluate.")
    sidecar: Sidecar = Field(default_factory=Sidecar, description="The injected proxy.")
    slos: list[Slo] = Field(default_factory=list, description="Service-level objectives.")
    alerting: Alerting = Field(default_factory=Alerting, description="Alert notifications.")
    canary: Canary | None = Field(default=None, description="Canary rollout; without it, new revisions are guarded.")
    retraining: Retraining | None = Field(default=None, description="Retraining trigger.")
    privacy: Privacy = Field(default_factory=Privacy, description="What the sidecar keeps of request data.")
    fairness: Fairness | None = Field(default=None, description="Group fairness monitoring.")

    @model_validator(mode="after")
    def _names_are_consistent(self) -> Self:
        slo_names = [slo.name for slo in self.slos]
        duplicates = sorted({n for n in slo_names if slo_names.count(n) > 1})
        if duplicates:
            raise ValueError(f"slos: duplicate names {duplicates}")
        feature_names = [f.name for f in self.features]
        repeated = sorted({n for n in feature_names if feature_names.count(n) > 1})
        if repeated:
            raise ValueError(f"features: duplicate names {repeated}")
        if self.canary is not None and self.canary.deployment == self.target.deployment:
            raise ValueError("canary.deployment must differ from target.deployment")
        if self.fairness is not None and self.features and self.fairness.group_feature not in feature_names:
            raise ValueError(f"fairness.groupFeature {self.fairness.group_feature!r} is not among features")
        if self.protocol is Protocol.JSON:
            missing = [f.name for f in self.features if f.path is None]
            if missing:
                raise ValueError(f"protocol json needs a path for every feature; missing for {missing}")
        if parse_duration(self.analysis.interval) <= 0:
            raise ValueError("analysis.interval must be positive")
        return self

    @model_validator(mode="after")
    def _burn_rate_rules_fit_slos(self) -> Self:
        rules = self.alerting.burn_rate_rules
        if not rules or not self.slos:
            return self
        periods = [parse_duration(slo.window) for slo in self.slos]
        longs = [parse_duration(rule.long_window) for rule in rules]
        for index, (rule, long_s) in enumerate(zip(rules, longs, strict=True)):
            if long_s > max(periods):
                raise ValueError(
                    f"alerting.burnRateRules[{index}].longWindow {rule.long_window} is longer than every SLO window"
                )
        for index, (slo, period) in enumerate(zip(self.slos, periods, strict=True)):
            if period < min(longs):
                raise ValueError(
                    f"slos[{index}].window {slo.window} is shorter than every alerting.burnRateRules longWindow: "
                    f"SLO {slo.name} would have no burn-rate rule"
                )
        return self
