"""The source roots never shadow the standard library.

We test these aspects:
- `import operator` is the standard library's module, even with `operator/` on sys.path;
- the two import packages are `modelmonitor` and `modelmonitor_proxy`.
"""

from __future__ import annotations

import importlib
import operator
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_operator_is_the_stdlib_module() -> None:
    assert operator.__file__ is not None
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert Path(operator.__file__).resolve().parent == stdlib
    assert callable(operator.itemgetter)


def test_operator_is_stdlib_from_repository_root() -> None:
    # Run from the root with both source roots first on the path, as a careless user might.
    code = "import operator, sys; print(operator.__file__); assert hasattr(operator, 'attrgetter')"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'operator'}:{ROOT / 'sidecar'}"},
    )
    assert "/operator/" not in result.stdout.replace(str(ROOT / "operator"), "<source root>")


def test_source_roots_are_not_packages() -> None:
    assert not (ROOT / "operator" / "__init__.py").exists()
    assert not (ROOT / "sidecar" / "__init__.py").exists()
    assert importlib.import_module("modelmonitor").__name__ == "modelmonitor"
