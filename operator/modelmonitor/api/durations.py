"""Durations as users write them in YAML (``30s``, ``5m``, ``1h``, ``30d``), and their parsing.

Kubernetes users know Go-style durations; we accept the subset that matters for monitoring
windows (a single integer and one unit) so that the CRD schema can check it with a pattern.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import StringConstraints

DURATION_PATTERN = r"^[0-9]+(ms|s|m|h|d|w)$"

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION_RE = re.compile(DURATION_PATTERN)

Duration = Annotated[str, StringConstraints(pattern=DURATION_PATTERN)]
"""A duration string: an integer followed by one of ``ms``, ``s``, ``m``, ``h``, ``d``, ``w``."""


def parse_duration(text: str) -> float:
    """Return the duration in seconds.

    >>> parse_duration("5m")
    300.0
    >>> parse_duration("250ms")
    0.25
    """
    match = _DURATION_RE.match(text)
    if match is None:
        raise ValueError(f"invalid duration {text!r}: expected an integer and a unit (ms, s, m, h, d, w)")
    unit = match.group(1)
    return int(text[: -len(unit)]) * _UNIT_SECONDS[unit]


def format_duration(seconds: float) -> str:
    """Return the shortest exact duration string for ``seconds`` (the inverse of :func:`parse_duration`).

    >>> format_duration(3600)
    '1h'
    >>> format_duration(90)
    '90s'
    """
    for unit in ("w", "d", "h", "m", "s"):
        size = _UNIT_SECONDS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{round(seconds * 1000)}ms"
