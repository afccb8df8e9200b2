"""Tolerant readers of Kubernetes object shapes: a missing or mistyped field reads as empty.

The operator must never crash on an odd object (a Deployment without template labels, a Service
without ports), so every pure builder reads nested fields through these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def dig(obj: Any, *path: str) -> Mapping[str, Any]:
    """The mapping at ``path`` inside ``obj`` (empty when any step is missing or not a mapping)."""
    current = mapping(obj)
    for key in path:
        current = mapping(current.get(key))
    return current
