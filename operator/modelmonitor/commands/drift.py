"""``modelmonitor drift``: compare a batch of current data with a reference profile.

Exit status as ``diff``'s: 0 when no feature drifted, 1 when some did, 2 on error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

FORMATS = ("table", "json")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "drift",
        help="report per-feature drift of a CSV or Parquet file against a reference profile",
        description="Judge each feature of the reference profile on the current data, with the statistics the "
        "operator uses on live traffic. Exits 0 when nothing drifted, 1 when something did, 2 on error.",
    )
    parser.add_argument("reference", type=Path, help="profile written by `modelmonitor profile` (ConfigMap or bare)")
    parser.add_argument("current", type=Path, help="current data: .csv or .parquet")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (table)")
    parser.add_argument(
        "--method",
        default="auto",
        help="drift method for every feature: auto (the operator's default), psi, jensen-shannon, hellinger, "
        "wasserstein, ks or chi-square",
    )
    parser.add_argument(
        "--threshold", type=float, help="drift threshold for every feature (default: the method's, sized to the data)"
    )
    parser.add_argument(
        "--min-samples",
        type=int,
        help="fewer non-null current values give 'insufficient-samples', never drift (default: 500, as the operator)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Imported here: the statistics pull in scipy, which `modelmonitor --help` and other commands do not need.
    from modelmonitor.profiling.configmap import ProfileFileError, load_profile
    from modelmonitor.profiling.report import (
        any_drifted,
        current_kinds,
        drift_report,
        render_json,
        render_table,
    )
    from modelmonitor.profiling.tables import TableError, read_table
    from modelmonitor.stats.drift import DEFAULT_MIN_SAMPLES

    min_samples = DEFAULT_MIN_SAMPLES if args.min_samples is None else args.min_samples
    try:
        if min_samples < 0:
            raise ValueError(f"--min-samples must be at least 0, got {min_samples}")
        profile = load_profile(args.reference)
        names = [feature.name for feature in profile.features]
        current = read_table(args.current, kinds=current_kinds(profile), select=names, allow_empty_columns=True)
        results = drift_report(profile, current, method=args.method, threshold=args.threshold, min_samples=min_samples)
    except (TableError, ProfileFileError, ValueError, KeyError) as error:
        print(f"modelmonitor drift: error: {error}", file=sys.stderr)
        return 2
    sys.stdout.write(render_json(results) if args.format == "json" else render_table(results))
    return 1 if any_drifted(results) else 0
