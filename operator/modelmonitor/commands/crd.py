"""``modelmonitor crd``: print (or write) the CRD generated from the spec models."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from modelmonitor.api.crd import render_crd
from modelmonitor.api.reference import render_reference


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("crd", help="print the ModelMonitor CRD generated from the spec models")
    parser.add_argument(
        "--out", type=Path, action="append", default=[], help="write to this file instead of stdout (repeatable)"
    )
    parser.add_argument(
        "--reference", action="store_true", help="print the field reference as Markdown instead of the CRD"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    text = render_reference() if args.reference else render_crd()
    if not args.out:
        sys.stdout.write(text)
    for path in args.out:
        path.write_text(text, encoding="utf-8")
    return 0
