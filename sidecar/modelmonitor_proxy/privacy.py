"""Privacy and cost controls: redaction of named fields and sampling of raw payloads.

Redaction happens before anything is stored: a redacted field is never a feature (so its values
never become categories), never a fairness group, and is removed, at any depth, from sampled
payloads (OIP v2 tensors named like it included). Raw payload sampling is off by default; when
``sampleRate`` is above zero the sidecar keeps the redacted payloads of that fraction of requests
in a ring of fixed size, so memory stays bounded whatever the traffic.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_SAMPLE_CAPACITY = 100


class Redactor:
    """Removes the named fields from payloads and rows."""

    __slots__ = ("fields",)

    def __init__(self, fields: Iterable[str]) -> None:
        self.fields = frozenset(fields)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def redact(self, document: object) -> object:
        """A copy of ``document`` without the redacted keys (and without tensors named like them).

        >>> Redactor(["email"]).redact({"instances": [{"email": "a@b", "age": 3}]})
        {'instances': [{'age': 3}]}
        >>> Redactor(["ssn"]).redact({"inputs": [{"name": "ssn", "data": ["1"]}, {"name": "x", "data": [1]}]})
        {'inputs': [{'name': 'x', 'data': [1]}]}
        """
        if not self.fields:
            return document
        if isinstance(document, dict):
            return {key: self.redact(value) for key, value in document.items() if key not in self.fields}
        if isinstance(document, list):
            return [
                self.redact(item)
                for item in document
                if not (isinstance(item, dict) and "data" in item and item.get("name") in self.fields)
            ]
        return document

    def is_redacted(self, name: str) -> bool:
        """Whether feature or field ``name`` must never be stored."""
        return name in self.fields


@dataclass(frozen=True, slots=True)
class Sample:
    """One sampled exchange, redacted."""

    request_id: str
    at: float
    status: int
    request: object
    response: object

    def to_json(self) -> dict[str, object]:
        """The JSON-able form served in the snapshot."""
        return {
            "requestId": self.request_id,
            "at": self.at,
            "status": self.status,
            "request": self.request,
            "response": self.response,
        }


class PayloadSampler:
    """Keeps a random ``rate`` fraction of payloads in a ring of ``capacity`` entries.

    ``rng`` is injected so tests are deterministic; with ``rate == 0`` :meth:`wants` is always false
    and nothing is ever parsed twice or stored.
    """

    __slots__ = ("_ring", "_rng", "rate")

    def __init__(
        self, rate: float, *, capacity: int = DEFAULT_SAMPLE_CAPACITY, rng: random.Random | None = None
    ) -> None:
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"sample rate must be within [0, 1], got {rate}")
        if capacity < 1:
            raise ValueError(f"sample capacity must be positive, got {capacity}")
        self.rate = rate
        self._rng = rng or random.Random()
        self._ring: deque[Sample] = deque(maxlen=capacity)

    def wants(self) -> bool:
        """Draw whether the current exchange is sampled."""
        return self.rate > 0.0 and self._rng.random() < self.rate

    def keep(self, sample: Sample) -> None:
        """Store an (already redacted) sample, dropping the oldest when full."""
        self._ring.append(sample)

    def samples(self) -> list[Sample]:
        """The kept samples, oldest first."""
        return list(self._ring)
