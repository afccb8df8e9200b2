"""The examples in the statistics modules' docstrings.

We test these aspects:
- every ``>>>`` example in ``modelmonitor.stats`` runs and prints what its docstring says.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import modelmonitor.stats


def stats_modules() -> list[ModuleType]:
    names = [m.name for m in pkgutil.iter_modules(modelmonitor.stats.__path__, "modelmonitor.stats.")]
    return [importlib.import_module(name) for name in sorted(names)]


@pytest.mark.parametrize("module", stats_modules(), ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
