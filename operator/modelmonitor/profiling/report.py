"""Batch drift: a table of current data judged against a reference profile, rendered for people or tools.

Each feature of the profile is binned with the profile's own edges or categories and judged with
:func:`modelmonitor.stats.drift.judge`, the function the operator uses on live windows, so a batch
report and the cluster agree on the same data. Columns of the current data that the profile does
not know are ignored; features of the profile missing from the data are an error.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from modelmonitor.api.profile import NumericProfile, ReferenceProfile
from modelmonitor.profiling.build import categorical_sketch, numeric_sketch
from modelmonitor.profiling.tables import CategoricalColumn, Kind, NumericColumn, Table, TableError
from modelmonitor.stats.binning import CategoryBins, NumericBins
from modelmonitor.stats.drift import DEFAULT_MIN_SAMPLES, DriftResult, judge
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch


def drift_report(
    profile: ReferenceProfile,
    current: Table,
    *,
    method: str = "auto",
    threshold: float | None = None,
    min_samples: int = DEFAULT_MIN_SAMPLES,
) -> list[DriftResult]:
    """One :class:`DriftResult` per feature of ``profile``, in the profile's order.

    Parameters
    ----------
    profile
        The reference profile.
    current
        Current data holding every feature of the profile, typed as the profile says
        (see :func:`current_kinds`).
    method, threshold
        Passed to :func:`~modelmonitor.stats.drift.judge`; ``"auto"`` is its default method, and no
        threshold means the method's size-aware default.
    min_samples
        Fewer non-null current values than this give an "insufficient samples" verdict, never drift.
    """
    results = []
    for feature in profile.features:
        column = current.column(feature.name)
        reference: NumericSketch | CategoricalSketch
        sketch: NumericSketch | CategoricalSketch
        if isinstance(feature, NumericProfile):
            if not isinstance(column, NumericColumn):
                raise TableError(f"{current.source}: column {feature.name!r} is not numeric as in the reference")
            reference = NumericSketch.from_profile(feature)
            sketch = numeric_sketch(column, NumericBins(tuple(feature.edges)))
        else:
            if not isinstance(column, CategoricalColumn):
                raise TableError(f"{current.source}: column {feature.name!r} is not categorical as in the reference")
            reference = CategoricalSketch.from_profile(feature)
            sketch = categorical_sketch(column, CategoryBins(tuple(feature.categories)))
        results.append(
            judge(feature.name, reference, sketch, method=method, threshold=threshold, min_samples=min_samples)
        )
    return results


def current_kinds(profile: ReferenceProfile) -> dict[str, Kind]:
    """The kind each feature must be read as, from the profile (so ``"01"`` stays a category)."""
    return {feature.name: feature.type for feature in profile.features}


def any_drifted(results: Sequence[DriftResult]) -> bool:
    return any(result.drifted for result in results)


def result_record(result: DriftResult) -> dict[str, Any]:
    """One feature's result as a JSON-ready mapping (non-finite numbers become ``null``)."""
    return {
        "name": result.feature,
        "method": result.method,
        "score": _finite(result.score),
        "threshold": _finite(result.threshold),
        "expected": _finite(result.expected),
        "samples": int(result.samples),
        "drifted": bool(result.drifted),
        "verdict": result.verdict,
    }


def render_json(results: Sequence[DriftResult]) -> str:
    """``{"features": [...]}`` with one :func:`result_record` per feature."""
    return json.dumps({"features": [result_record(result) for result in results]}, indent=2) + "\n"


def render_table(results: Sequence[DriftResult]) -> str:
    """A fixed-width table for terminals, and a one-line summary under it."""
    header = ("feature", "method", "score", "threshold", "expected", "samples", "verdict")
    rows = [
        (
            result.feature,
            result.method,
            _number(result.score),
            _number(result.threshold),
            _number(result.expected),
            str(result.samples),
            result.verdict,
        )
        for result in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    numeric = {2, 3, 4, 5}

    def line(cells: Sequence[str]) -> str:
        parts = [cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(cells)]
        return "  ".join(parts).rstrip()

    drifted = [result.feature for result in results if result.drifted]
    summary = (
        f"{len(drifted)} of {len(results)} features drifted: {', '.join(drifted)}"
        if drifted
        else f"no drift in {len(results)} features"
    )
    return "\n".join([line(header), *(line(row) for row in rows), "", summary]) + "\n"


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _number(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.4g}"
