"""An alert and its fingerprint, as Alertmanager defines them.

The fingerprint is Prometheus' label-set fingerprint (FNV-1a 64 over sorted names and values, each
followed by the byte 0xff), so an alert sent from here and the same alert from Prometheus deduplicate
to the same identity in any receiver that keys on it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

_FNV_OFFSET64 = 14695981039346656037
_FNV_PRIME64 = 1099511628211
_MASK64 = (1 << 64) - 1
_SEPARATOR = 0xFF


class AlertStatus(StrEnum):
    """Whether an alert is still active."""

    FIRING = "firing"
    RESOLVED = "resolved"


def label_signature(labels: Mapping[str, str]) -> int:
    """Prometheus' ``LabelsToSignature``: FNV-1a 64 over sorted label names and values.

    >>> label_signature({})
    14695981039346656037
    """
    separator = bytes([_SEPARATOR])
    data = b"".join(name.encode() + separator + labels[name].encode() + separator for name in sorted(labels))
    value, prime, mask = _FNV_OFFSET64, _FNV_PRIME64, _MASK64
    for byte in data:
        value = ((value ^ byte) * prime) & mask
    return value


def fingerprint(labels: Mapping[str, str]) -> str:
    """The alert's identity: its label signature as 16 hex digits, as Alertmanager prints it."""
    return f"{label_signature(labels):016x}"


@dataclass(frozen=True)
class Alert:
    """One alert: labels identify it, annotations describe it.

    ``starts_at`` is set by the dispatcher when it first sees the alert (callers may leave it out);
    ``ends_at`` is set when the alert resolves.
    """

    labels: Mapping[str, str]
    annotations: Mapping[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    _fingerprint: str = field(init=False, repr=False, compare=False, default="")

    def __post_init__(self) -> None:
        # Own copies: a caller mutating its dict afterwards must not change the alert's identity.
        object.__setattr__(self, "labels", dict(self.labels))
        object.__setattr__(self, "annotations", dict(self.annotations))
        for name, value in self.labels.items():
            if not LABEL_NAME.match(name):
                raise ValueError(f"alert label name {name!r} is not a valid Prometheus label name")
            if not isinstance(value, str):
                raise ValueError(f"alert label {name!r} must be a string, got {type(value).__name__}")
        if "alertname" not in self.labels:
            raise ValueError(f"alert labels need an alertname, got {dict(self.labels)}")
        for time in (self.starts_at, self.ends_at):
            if time is not None and time.tzinfo is None:
                raise ValueError(f"alert times must carry a time zone, got {time.isoformat()}")
        # Computed once: the dispatcher asks for it many times per evaluation, and FNV in Python is slow.
        object.__setattr__(self, "_fingerprint", fingerprint(self.labels))

    def with_times(self, starts_at: datetime | None, ends_at: datetime | None) -> Alert:
        """This alert with other start and end times; labels are unchanged, so nothing is re-validated or re-hashed."""
        for time in (starts_at, ends_at):
            if time is not None and time.tzinfo is None:
                raise ValueError(f"alert times must carry a time zone, got {time.isoformat()}")
        clone = copy.copy(self)
        object.__setattr__(clone, "starts_at", starts_at)
        object.__setattr__(clone, "ends_at", ends_at)
        return clone

    @property
    def fingerprint(self) -> str:
        """Stable identity from the labels."""
        return self._fingerprint

    @property
    def name(self) -> str:
        """The ``alertname`` label."""
        return self.labels["alertname"]

    @property
    def severity(self) -> str | None:
        """The ``severity`` label (``page`` or ``ticket`` for SLO alerts)."""
        return self.labels.get("severity")

    @property
    def status(self) -> AlertStatus:
        """Resolved once it has an end time."""
        return AlertStatus.FIRING if self.ends_at is None else AlertStatus.RESOLVED
