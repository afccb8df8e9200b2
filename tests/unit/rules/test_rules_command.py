"""``modelmonitor rules``.

We test these aspects:
- it prints a PrometheusRule for an example ModelMonitor, multi-line PromQL as literal blocks, no YAML anchors;
- --groups-only, --namespace, --selector, --label and --out;
- drift SLOs are reported on stderr; bad files and bad options exit 2 with a message naming the problem.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelmonitor.cli import main

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "modelmonitor-full.yaml"


def test_prints_prometheus_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    rule = yaml.safe_load(out)
    assert rule["kind"] == "PrometheusRule"
    assert rule["metadata"]["namespace"] == "ml"
    assert "expr: |\n" in out
    assert "&id" not in out


def test_options(tmp_path: Path) -> None:
    out = tmp_path / "groups.yaml"
    argv = [
        "rules",
        str(EXAMPLE),
        "--groups-only",
        "--namespace",
        "prod",
        "--selector",
        "namespace=ml",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    groups = yaml.safe_load(out.read_text())["groups"]
    assert groups[0]["name"].startswith("modelmonitor-prod-")
    assert 'namespace="ml"' in groups[0]["rules"][0]["expr"]


def test_label_and_drift_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monitor = tmp_path / "mm.yaml"
    monitor.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "modelmonitor.io/v1alpha1",
                "kind": "ModelMonitor",
                "metadata": {"name": "m"},
                "spec": {
                    "target": {"deployment": "m"},
                    "slos": [{"name": "stability", "sli": "drift", "objective": 90}],
                },
            }
        )
    )
    assert main(["rules", str(monitor), "--label", "release=prom"]) == 0
    captured = capsys.readouterr()
    rule = yaml.safe_load(captured.out)
    assert rule["metadata"]["labels"]["release"] == "prom"
    assert rule["metadata"]["namespace"] == "default"
    assert rule["spec"]["groups"] == []
    assert "slo stability skipped: drift is judged by the operator" in captured.err


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        ("kind: Deployment\n", [], "not a ModelMonitor manifest"),
        ("kind: ModelMonitor\nmetadata: {}\nspec: {target: {deployment: x}}\n", [], "metadata.name"),
        ("kind: ModelMonitor\nmetadata: {name: x}\nspec: {slos: 3}\n", [], "spec.target: required field"),
        (
            "kind: ModelMonitor\nmetadata: {name: x}\nspec: {target: {deployment: x}}\n",
            ["--selector", "x"],
            "NAME=VALUE",
        ),
        ("{unclosed", [], "rules:"),
    ],
)
def test_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, extra: list[str], message: str
) -> None:
    path = tmp_path / "mm.yaml"
    path.write_text(content)
    assert main(["rules", str(path), *extra]) == 2
    assert message in capsys.readouterr().err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", str(tmp_path / "absent.yaml")]) == 2
    assert "absent.yaml" in capsys.readouterr().err
