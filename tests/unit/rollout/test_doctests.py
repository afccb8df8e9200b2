"""The examples in the rollout modules' docstrings.

We test these aspects:
- every doctest in modelmonitor.rollout runs and gives the documented output.
"""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "modelmonitor.rollout.gates",
    "modelmonitor.rollout.state",
    "modelmonitor.rollout.decision",
    "modelmonitor.rollout.plan",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
