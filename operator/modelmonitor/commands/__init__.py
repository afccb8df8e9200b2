"""Subcommands of the ``modelmonitor`` CLI; each module exposes ``register(subparsers)``.

Each command module parses its arguments and calls into the library; no logic lives here.
"""

from __future__ import annotations

import argparse
from typing import Protocol

from modelmonitor.commands import crd, drift, profile, rules, run


class Command(Protocol):
    """A subcommand module."""

    def register(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None: ...


COMMANDS: list[Command] = [profile, drift, crd, rules, run]
