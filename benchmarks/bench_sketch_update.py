"""Per-row cost of updating the feature sketches, as the proxy calls them.

Workload: 20 numeric features (bins fitted on the benchmark reference: 13-15 edges each, 1 % nulls
in ``num_03`` plus a few None values sprinkled in every feature) and 5 categorical features
(3-20 categories, 1 % nulls in ``cat_1``), rows taken from ``benchmarks/drift_data.py``.

Variants, interleaved in every repeat (order shuffled), median over repeats:

- ``baseline``: the anchor's loop, pure-Python ``bisect`` into lists for the 20 numeric features
  only, no nulls, no sums (research/anchors-performance.md §3 measured 4.5 µs/row);
- ``sketch.update``: one ``NumericSketch.update`` / ``CategoricalSketch.update`` call per feature;
- ``update_row(dict)`` and ``update_values(list)``: :class:`FeatureSketches`, the proxy's entry point;
- ``update_batch x256``: the numpy batch path, 256 rows per call per feature, cost per row.

Then the cost of the drift verdicts (``judge``) for the 25 features, per method, from sketches.

Run: ``PYTHONPATH=operator:. python benchmarks/bench_sketch_update.py [--rows 20000] [--repeats 9]``.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from bisect import bisect_right
from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.drift_data import make_frames
from modelmonitor.stats.binning import fit_category_bins, fit_numeric_bins
from modelmonitor.stats.drift import METHODS, NUMERIC_ONLY, judge
from modelmonitor.stats.features import FeatureSketch, FeatureSketches
from modelmonitor.stats.sketches import CategoricalSketch, NumericSketch


def build(rows: int) -> tuple[FeatureSketches, list[dict[str, Any]], list[list[Any]], dict[str, np.ndarray]]:
    reference, current = make_frames(20_000, rows)
    sketches: dict[str, FeatureSketch] = {}
    for name, column in reference.items():
        if name.startswith("num"):
            sketches[name] = NumericSketch(fit_numeric_bins(column))
        else:
            sketches[name] = CategoricalSketch(fit_category_bins(column))
    rng = random.Random(1)
    columns = {name: current[name].tolist() for name in sketches}
    for name, values in columns.items():  # a few extra nulls everywhere, as JSON null
        for _ in range(0, len(values), 97):
            values[rng.randrange(len(values))] = None
        columns[name] = [None if isinstance(v, float) and math.isnan(v) else v for v in values]
    names = list(sketches)
    as_lists = [[columns[n][i] for n in names] for i in range(rows)]
    as_dicts = [dict(zip(names, row, strict=True)) for row in as_lists]
    arrays = {
        n: (
            np.array([np.nan if v is None else v for v in columns[n]])
            if n.startswith("num")
            else np.array(columns[n], dtype=object)
        )
        for n in names
    }
    return FeatureSketches(sketches), as_dicts, as_lists, arrays


def timed(fn: Callable[[], int]) -> float:
    """CPU microseconds per row for one run of ``fn`` (which returns the rows it processed).

    CPU time of this process, not wall time: the benchmark machine is shared, and other processes
    taking the cores would otherwise inflate every number.
    """
    start = time.process_time()
    n = fn()
    return (time.process_time() - start) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    features, dicts, lists, arrays = build(args.rows)
    numeric_names = [n for n in features.names if n.startswith("num")]
    n_numeric = len(numeric_names)
    search_lists = [list(features[n].bins.search_edges) for n in numeric_names]  # type: ignore[union-attr]
    baseline_rows = [[0.0 if v is None else v for v in row[:n_numeric]] for row in lists]

    def baseline() -> int:
        counts = [[0] * (len(s) + 1) for s in search_lists]
        for row in baseline_rows:
            for j, x in enumerate(row):
                counts[j][bisect_right(search_lists[j], x)] += 1
        return len(baseline_rows)

    def per_feature() -> int:
        sketches = features.empty_like()
        updates = [sketches[n].update for n in sketches.names]
        for row in lists:
            for update, value in zip(updates, row, strict=True):
                update(value)
        return len(lists)

    def by_dict() -> int:
        sketches = features.empty_like()
        for row in dicts:
            sketches.update_row(row)
        return len(dicts)

    def by_list() -> int:
        sketches = features.empty_like()
        for row in lists:
            sketches.update_values(row)
        return len(lists)

    def batched() -> int:
        sketches = features.empty_like()
        for start in range(0, args.rows, 256):
            for name in sketches.names:
                sketches[name].update_batch(arrays[name][start : start + 256])
        return int(args.rows)

    variants: dict[str, Callable[[], int]] = {
        "baseline: bisect, 20 numeric, no nulls": baseline,
        "sketch.update per feature (25)": per_feature,
        "FeatureSketches.update_row(dict)": by_dict,
        "FeatureSketches.update_values(list)": by_list,
        "update_batch, 256 rows per call": batched,
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    ratios: dict[str, list[float]] = {name: [] for name in variants}
    order = list(variants)
    baseline_name = order[0]
    for _ in range(args.repeats):
        random.shuffle(order)
        this_round = {name: timed(variants[name]) for name in order}
        for name, value in this_round.items():
            samples[name].append(value)
            ratios[name].append(value / this_round[baseline_name])
    print(f"Sketch update cost, {args.rows} rows, 20 numeric + 5 categorical, median of {args.repeats} repeats\n")
    print("| variant | CPU µs per row (median) | min–max | vs baseline (paired median) |")
    print("|---|---|---|---|")
    for name in variants:
        values = samples[name]
        print(
            f"| {name} | {statistics.median(values):.2f} | {min(values):.2f}–{max(values):.2f} | "
            f"{statistics.median(ratios[name]):.2f}× |"
        )
    bench_judge(args.repeats)


def bench_judge(repeats: int) -> None:
    """Milliseconds to judge all 25 benchmark features from their sketches, per method."""
    reference, current = make_frames(100_000, 100_000)
    pairs: list[tuple[str, FeatureSketch, FeatureSketch]] = []
    for name, column in reference.items():
        if name.startswith("num"):
            nb = fit_numeric_bins(column)
            pairs.append((name, NumericSketch.from_values(nb, column), NumericSketch.from_values(nb, current[name])))
        else:
            cb = fit_category_bins(column)
            pairs.append(
                (name, CategoricalSketch.from_values(cb, column), CategoricalSketch.from_values(cb, current[name]))
            )
    print("\nDrift verdicts from sketches, 25 features (numeric-only methods: 20), CPU ms, median\n")
    print("| method | CPU ms for all features |")
    print("|---|---|")
    for method in ("auto", *METHODS):
        applicable = [p for p in pairs if not (method in NUMERIC_ONLY and isinstance(p[1], CategoricalSketch))]
        runs = []
        for _ in range(repeats):
            start = time.process_time()
            for name, ref, cur in applicable:
                judge(name, ref, cur, method=method)
            runs.append((time.process_time() - start) * 1e3)
        print(f"| {method} | {statistics.median(runs):.2f} |")


if __name__ == "__main__":
    main()
