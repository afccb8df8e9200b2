"""``modelmonitor profile``: build a reference profile from training data, as a ConfigMap manifest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "profile",
        help="build a reference profile (bins, categories, null counts) from a CSV or Parquet file",
        description="Build a reference profile from training data and write it as a ConfigMap manifest "
        "(data key profile.yaml), ready for `kubectl apply -f` and spec.reference.configMap.",
    )
    parser.add_argument("data", type=Path, help="reference data: .csv or .parquet")
    parser.add_argument("--out", type=Path, help="write the manifest here (default: stdout)")
    parser.add_argument("--name", help="ConfigMap name (default: <data file stem>-reference)")
    parser.add_argument("--namespace", help="ConfigMap namespace (default: none, kubectl's current one)")
    parser.add_argument("--bins", type=int, help="quantile bins per numeric feature, tail bins aside (default: 10)")
    parser.add_argument("--top-k", type=int, help="categories kept per categorical feature (default: 20)")
    parser.add_argument(
        "--categorical", action="append", default=[], metavar="COLUMN", help="treat COLUMN as categorical (repeatable)"
    )
    parser.add_argument(
        "--exclude", action="append", default=[], metavar="COLUMN", help="leave COLUMN out, e.g. ids, labels"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # Imported here so that `modelmonitor --help` and the other commands stay fast.
    from modelmonitor.profiling.build import DEFAULT_BINS, DEFAULT_TOP_K, build_profile
    from modelmonitor.profiling.configmap import ProfileFileError, default_name, render_configmap
    from modelmonitor.profiling.tables import Kind, TableError, read_table

    kinds: dict[str, Kind] = dict.fromkeys(args.categorical, "categorical")
    n_bins = DEFAULT_BINS if args.bins is None else args.bins
    top_k = DEFAULT_TOP_K if args.top_k is None else args.top_k
    try:
        if n_bins < 1 or top_k < 1:
            raise ValueError("--bins and --top-k must be at least 1")
        table = read_table(args.data, kinds=kinds, exclude=args.exclude)
        profile = build_profile(table, n_bins=n_bins, top_k=top_k)
        text = render_configmap(profile, name=args.name or default_name(str(args.data)), namespace=args.namespace)
        if args.out is None:
            sys.stdout.write(text)
        else:
            args.out.write_text(text, encoding="utf-8")
            numeric = sum(1 for feature in profile.features if feature.type == "numeric")
            print(
                f"wrote {args.out}: {len(profile.features)} features ({numeric} numeric, "
                f"{len(profile.features) - numeric} categorical) from {profile.rows} rows",
                file=sys.stderr,
            )
    except (TableError, ProfileFileError, ValueError, OSError) as error:
        print(f"modelmonitor profile: error: {error}", file=sys.stderr)
        return 2
    return 0
