"""The operator's own settings (not the monitors'): parsed once at startup from env and flags.

Every setting has an environment variable ``MODELMONITOR_<NAME>`` (the chart sets those) and
``modelmonitor run`` flags override them. Nothing here is read at import time; the parsed,
frozen :class:`OperatorConfig` is passed down explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from modelmonitor.api.validation import describe_validation_error
from modelmonitor.injection.mutate import InjectionConfig

ENV_PREFIX = "MODELMONITOR_"


class ConfigError(ValueError):
    """Operator settings that cannot be used; the message names each setting."""


class OperatorConfig(BaseModel):
    """Settings of one operator process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Connection to the API server: an explicit URL, a kubeconfig, or in-cluster (neither).
    api_url: str | None = Field(default=None, description="Kubernetes API URL (tests, port-forwards).")
    api_token: str | None = Field(default=None, description="Bearer token for api_url.")
    kubeconfig: str | None = Field(default=None, description="Path of a kubeconfig file.")
    namespaces: tuple[str, ...] = Field(default=(), description="Namespaces to watch; empty means cluster-wide.")
    operator_namespace: str | None = Field(default=None, description="Where the operator runs (never injected).")
    peering: str | None = Field(default=None, description="Kopf peering name; None auto-detects, standalone if absent.")
    standalone: bool = Field(default=False, description="Run without peering, whatever the cluster has.")
    # The injected sidecar.
    sidecar_image: str = Field(default="ghcr.io/model-monitor/modelmonitor-proxy:0.1.0", min_length=1)
    sidecar_image_pull_policy: Literal["Always", "IfNotPresent", "Never"] = "IfNotPresent"
    sidecar_cpu_request: str = "50m"
    sidecar_memory_request: str = "64Mi"
    sidecar_cpu_limit: str = "500m"
    sidecar_memory_limit: str = "256Mi"
    sidecar_run_as_user: int = Field(default=65532, ge=1)
    # The admission webhook server.
    webhooks_enabled: bool = True
    webhook_addr: str = "0.0.0.0"
    webhook_port: int = Field(default=9443, ge=0, le=65535, description="0 picks a free port (tests).")
    webhook_host: str | None = Field(default=None, description="Host name the API server calls (Service DNS).")
    webhook_certfile: str | None = Field(default=None, description="TLS certificate; self-signed when absent.")
    webhook_pkeyfile: str | None = None
    webhook_cadump: str | None = Field(default=None, description="Where to write the CA bundle (debugging).")
    webhook_configuration: str | None = Field(
        default="modelmonitor.io", description="Name of the webhook configurations to manage; None: the chart's."
    )
    webhook_timeout_seconds: int = Field(default=5, ge=1, le=30)
    # Loops and retries.
    sidecar_check_interval: float = Field(
        default=60.0, ge=0, description="Seconds between SidecarMissing counts; 0 turns the count off."
    )
    analysis_tick_seconds: float = Field(
        default=1.0, ge=0, description="Seconds between analysis ticks; 0 turns the analysis loop off."
    )
    retry_base_seconds: float = Field(default=2.0, gt=0, description="First retry delay; doubles each retry.")
    retry_max_seconds: float = Field(default=300.0, gt=0)
    # Observability.
    metrics_port: int = Field(default=8080, ge=0, le=65535, description="Port of /metrics; 0 disables it.")
    log_format: Literal["json", "plain"] = "json"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("namespaces", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @classmethod
    def load(cls, environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> OperatorConfig:
        """Settings from ``MODELMONITOR_*`` variables, then ``overrides`` (flags that were given)."""
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = environ.get(ENV_PREFIX + name.upper())
            if raw is not None and raw != "":
                values[name] = raw
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            problems = describe_validation_error(error, root="config")
            raise ConfigError("; ".join(problems)) from None

    def injection(self) -> InjectionConfig:
        """What the webhook needs to build the sidecar container."""
        return InjectionConfig(
            image=self.sidecar_image,
            image_pull_policy=self.sidecar_image_pull_policy,
            requests={"cpu": self.sidecar_cpu_request, "memory": self.sidecar_memory_request},
            limits={"cpu": self.sidecar_cpu_limit, "memory": self.sidecar_memory_limit},
            run_as_user=self.sidecar_run_as_user,
        )

    def retry_delay(self, retry: int) -> float:
        """Exponential backoff for the ``retry``-th retry (0-based), capped."""
        return float(min(self.retry_base_seconds * (2 ** min(retry, 30)), self.retry_max_seconds))
