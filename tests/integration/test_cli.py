"""The ``modelmonitor`` command as a user runs it: a separate process, in a directory of their own.

We test these aspects:
- ``python -m modelmonitor profile`` writes the manifest relative to the working directory and says so on stderr;
- ``python -m modelmonitor drift`` prints the table and exits 1 on the shifted example, 0 on the reference itself,
  and 2 with a one-line error (no traceback) on a missing file;
- ``--format json`` output parses and lists the five shifted features;
- ``drift --help`` exits 0 and names its options.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "data"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'operator'}{os.pathsep}{ROOT / 'sidecar'}"}
    return subprocess.run(
        [sys.executable, "-m", "modelmonitor", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    result = run("profile", str(EXAMPLES / "reference.csv"), "--out", "reference.yaml", cwd=path)
    assert result.returncode == 0, result.stderr
    assert "wrote reference.yaml: 25 features (20 numeric, 5 categorical) from 5000 rows" in result.stderr
    return path


def test_profile_writes_in_the_working_directory(workdir: Path) -> None:
    text = (workdir / "reference.yaml").read_text(encoding="utf-8")
    assert text.startswith("apiVersion: v1\nkind: ConfigMap\n")


def test_drift_table_exits_1(workdir: Path) -> None:
    result = run("drift", "reference.yaml", str(EXAMPLES / "current.csv"), cwd=workdir)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-1] == "5 of 25 features drifted: num_00, num_05, num_10, num_15, cat_2"
    assert result.stderr == ""


def test_drift_json(workdir: Path) -> None:
    result = run("drift", "reference.yaml", str(EXAMPLES / "current.csv"), "--format", "json", cwd=workdir)
    assert result.returncode == 1
    features = json.loads(result.stdout)["features"]
    assert sorted(item["name"] for item in features if item["drifted"]) == [
        "cat_2",
        "num_00",
        "num_05",
        "num_10",
        "num_15",
    ]


def test_no_drift_exits_0(workdir: Path) -> None:
    result = run("drift", "reference.yaml", str(EXAMPLES / "reference.csv"), cwd=workdir)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "no drift in 25 features"


def test_error_exits_2(workdir: Path) -> None:
    result = run("drift", "reference.yaml", "absent.csv", cwd=workdir)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == "modelmonitor drift: error: absent.csv: no such file\n"


def test_help(workdir: Path) -> None:
    result = run("drift", "--help", cwd=workdir)
    assert result.returncode == 0
    assert "--format {table,json}" in result.stdout
