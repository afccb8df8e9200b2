"""The ``modelmonitor`` command line: wiring only, each subcommand lives in ``modelmonitor.commands``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from modelmonitor import __version__
from modelmonitor.commands import COMMANDS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="modelmonitor",
        description="Kubernetes-native monitoring for ML models in production.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    status: int = args.handler(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
