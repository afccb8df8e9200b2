"""What every mergeable sketch offers, and the checks of the snapshot wire format they share.

A sketch is additive state: ``merge`` (and ``+=``) is an exact sum, so the sketch of a fleet is
the merge of its pods' sketches and windows merge their buckets. Snapshots are plain JSON-safe
dicts carrying ``"type"`` and ``"version"``, so a reader can refuse what it does not understand.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, Self, runtime_checkable

SNAPSHOT_VERSION = 1


@runtime_checkable
class Mergeable(Protocol):
    """Additive state: merge is an exact, associative and commutative sum."""

    def merge(self, other: Self) -> Self:
        """Add ``other`` into ``self`` and return ``self``."""
        ...

    def __iadd__(self, other: Self) -> Self: ...

    def copy(self) -> Self:
        """An independent deep copy."""
        ...

    def empty_like(self) -> Self:
        """A zeroed sketch with the same configuration (bins, classes...)."""
        ...

    def to_snapshot(self) -> dict[str, Any]:
        """JSON-safe dict with ``"type"`` and ``"version"``."""
        ...

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Self:
        """Inverse of :meth:`to_snapshot`; ``ValueError`` naming the problem on bad input."""
        ...


class MergeOperators:
    """``+=`` and ``+`` for every sketch, from its own ``merge`` and ``copy``.

    ``a += b`` merges in place; ``a + b`` merges into a copy and leaves both operands as they were.
    """

    __slots__ = ()

    def merge(self, other: Self) -> Self:  # pragma: no cover - every sketch defines its own
        raise NotImplementedError

    def copy(self) -> Self:  # pragma: no cover - every sketch defines its own
        raise NotImplementedError

    def __iadd__(self, other: Self) -> Self:
        return self.merge(other)

    def __add__(self, other: Self) -> Self:
        return self.copy().merge(other)


def check_snapshot(data: Mapping[str, Any], kind: str) -> None:
    """Raise ``ValueError`` unless ``data`` is a snapshot of ``kind`` in a version we read."""
    if not isinstance(data, Mapping):
        raise ValueError(f"{kind} snapshot must be a JSON object, got {type(data).__name__}")
    if data.get("type") != kind:
        raise ValueError(f"expected a {kind!r} snapshot, got type {data.get('type')!r}")
    if data.get("version") != SNAPSHOT_VERSION:
        raise ValueError(
            f"{kind} snapshot version {data.get('version')!r} is not supported (expected {SNAPSHOT_VERSION})"
        )


def snapshot_field(data: Mapping[str, Any], kind: str, name: str) -> Any:
    """``data[name]``, or ``ValueError`` naming the missing field."""
    try:
        return data[name]
    except KeyError:
        raise ValueError(f"{kind} snapshot lacks field {name!r}") from None


def int_list(data: Mapping[str, Any], kind: str, name: str, length: int | None = None) -> list[int]:
    """A list of non-negative ints from a snapshot field, checked."""
    raw = snapshot_field(data, kind, name)
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ValueError(f"{kind} snapshot field {name!r} must be a list")
    out: list[int] = []
    for v in raw:
        if isinstance(v, bool) or not isinstance(v, int | float) or v < 0 or v != int(v):
            raise ValueError(f"{kind} snapshot field {name!r} must hold non-negative integers, got {v!r}")
        out.append(int(v))
    if length is not None and len(out) != length:
        raise ValueError(f"{kind} snapshot field {name!r} needs {length} entries, got {len(out)}")
    return out


def float_list(data: Mapping[str, Any], kind: str, name: str, length: int | None = None) -> list[float]:
    """A list of floats from a snapshot field (``None`` encodes a non-finite value), checked."""
    raw = snapshot_field(data, kind, name)
    if not isinstance(raw, Sequence) or isinstance(raw, str):
        raise ValueError(f"{kind} snapshot field {name!r} must be a list")
    out = [float_value(v, kind, name) for v in raw]
    if length is not None and len(out) != length:
        raise ValueError(f"{kind} snapshot field {name!r} needs {length} entries, got {len(out)}")
    return out


def float_value(v: Any, kind: str, name: str) -> float:
    """One float from a snapshot (``None`` -> NaN, as written by :func:`json_float`)."""
    if v is None:
        return math.nan
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"{kind} snapshot field {name!r} must hold numbers, got {v!r}")
    return float(v)


def count_value(data: Mapping[str, Any], kind: str, name: str) -> int:
    """A non-negative integer snapshot field."""
    v = snapshot_field(data, kind, name)
    if isinstance(v, bool) or not isinstance(v, int | float) or v < 0 or v != int(v):
        raise ValueError(f"{kind} snapshot field {name!r} must be a non-negative integer, got {v!r}")
    return int(v)


def json_float(x: float) -> float | None:
    """JSON has no NaN/inf: non-finite floats are written as ``None``."""
    return x if math.isfinite(x) else None
