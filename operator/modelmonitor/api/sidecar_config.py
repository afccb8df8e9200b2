"""What the operator hands each proxy sidecar: ``/etc/modelmonitor/config.json``.

The sidecar reads the same spec models the operator validated, plus the reference profile, so
there is one definition of every setting. The operator writes it into a ConfigMap owned by the
``ModelMonitor``; a hash of it on the pod template rolls the pods when it changes.
"""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from modelmonitor.api.profile import ReferenceProfile
from modelmonitor.api.spec import ModelMonitorSpec, Target

CONFIG_FILE_NAME = "config.json"


class SidecarConfig(BaseModel):
    """Everything a proxy needs to know about the model it sits in front of."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)

    namespace: str = Field(default="default", description="Namespace of the ModelMonitor.")
    monitor: str = Field(default="local", description="Name of the ModelMonitor.")
    spec: ModelMonitorSpec = Field(
        default_factory=lambda: ModelMonitorSpec(target=Target(deployment="local")),
        description="The validated ModelMonitor spec.",
    )
    profile: ReferenceProfile | None = Field(default=None, description="Reference profile, when one is set.")

    @property
    def model_name(self) -> str:
        """The model's name in metrics and alerts."""
        return self.spec.model.name or self.monitor

    def to_json(self) -> str:
        """Canonical JSON text (stable key order), as written to the ConfigMap."""
        return self.model_dump_json(by_alias=True, exclude_none=True)

    def digest(self) -> str:
        """A short content hash: changes exactly when the sidecar's behaviour would."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:16]

    @classmethod
    def from_json(cls, text: str | bytes) -> SidecarConfig:
        """Parse the ConfigMap's JSON text."""
        return cls.model_validate_json(text)
