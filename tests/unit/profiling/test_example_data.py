"""The committed example data is what its seeded script makes.

We test these aspects:
- ``examples/make_data.py`` regenerates ``examples/data/reference.csv`` and ``current.csv`` byte for byte;
- the files have the header of the benchmark dataset and 5,000 rows each.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "examples" / "data"


def test_script_regenerates_the_committed_files(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "examples" / "make_data.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for name in ("reference.csv", "current.csv"):
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_shape_of_the_files() -> None:
    for name in ("reference.csv", "current.csv"):
        lines = (DATA / name).read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        assert header[:2] == ["num_00", "num_01"]
        assert header[-1] == "cat_4"
        assert len(header) == 25
        assert len(lines) == 5_001
