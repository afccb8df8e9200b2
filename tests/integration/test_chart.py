"""The chart end to end with the real tools: scripts/check-chart.sh (helm lint --strict, helm template
--include-crds | kubernetes-validate --strict at the oldest and newest supported Kubernetes, the examples
against the CRD schema).

We test these aspects:
- the script passes on the committed chart, for every ci/ scenario and both Kubernetes versions;
- it fails, naming the scenario, when a rendered manifest breaks the Kubernetes schema (a scenario whose
  values put a string where the Deployment needs an integer port).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.chart.rendering import NO_HELM, ROOT, find_helm

HELM = find_helm()
pytestmark = [
    pytest.mark.skipif(HELM is None, reason=NO_HELM),
    pytest.mark.skipif(
        shutil.which("kubernetes-validate", path=str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"])
        is None,
        reason="kubernetes-validate not installed: pip install kubernetes-validate==1.37.0",
    ),
]


def check(root: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "HELM": str(HELM),
        "PYTHON": sys.executable,
        "PATH": str(Path(sys.executable).parent) + os.pathsep + os.environ["PATH"],
    }
    script = root / "scripts" / "check-chart.sh"
    return subprocess.run(["bash", str(script)], capture_output=True, text=True, env=env, cwd=root, check=False)


def test_chart_checks_pass() -> None:
    done = check(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count(" OK on Kubernetes ") >= 2 * 3
    assert "example ModelMonitors OK" in done.stdout


def test_a_schema_violation_fails(tmp_path: Path) -> None:
    for part in ("charts", "scripts", "examples", "tests"):
        shutil.copytree(ROOT / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    # the schema would stop "8080" for metrics.port, so break the rendered Deployment through the template
    template = tmp_path / "charts" / "model-monitor" / "templates" / "deployment.yaml"
    text = template.read_text()
    template.write_text(text.replace("containerPort: {{ .Values.metrics.port }}", 'containerPort: "metrics"', 1))
    done = check(tmp_path)
    assert done.returncode != 0
    assert "schema validation failed" in done.stderr
