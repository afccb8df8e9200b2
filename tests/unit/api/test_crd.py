"""The CRD is generated from the pydantic models and never drifts from them.

We test these aspects:
- the committed CRD (and the chart's copy) equal what `modelmonitor crd` generates now;
- the schema is structural: no $ref, anyOf or additionalProperties next to properties;
- the CRD has the status subresource, the short name and the printer columns on-call reads;
- every field of the spec carries a description.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from modelmonitor.api.crd import build_crd, render_crd
from modelmonitor.cli import main

ROOT = Path(__file__).resolve().parents[3]
COPIES = [ROOT / "crds" / "modelmonitor.yaml", ROOT / "charts" / "model-monitor" / "crds" / "modelmonitor.yaml"]


@pytest.mark.parametrize("path", COPIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_crd_matches_generated(path: Path) -> None:
    assert path.read_text() == render_crd(), f"{path} is stale: run `modelmonitor crd --out {path}`"


def test_cli_prints_the_generated_crd(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["crd"]) == 0
    assert capsys.readouterr().out == render_crd()


def _walk(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found = []
    if isinstance(node, dict):
        found.append((path, node))
        for key, sub in node.get("properties", {}).items():
            found += _walk(sub, f"{path}.{key}")
        if "items" in node:
            found += _walk(node["items"], f"{path}[]")
    return found


def _schema() -> dict[str, Any]:
    schema: dict[str, Any] = build_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def test_schema_is_structural() -> None:
    for path, node in _walk(_schema()):
        assert not {"$ref", "anyOf", "oneOf", "allOf", "$defs", "title"} & node.keys(), path
        assert "type" in node or node.get("x-kubernetes-preserve-unknown-fields"), path
        assert not ("properties" in node and "additionalProperties" in node), path
        if "exclusiveMinimum" in node:
            assert node["exclusiveMinimum"] is True, path
            assert "minimum" in node, path


def test_every_spec_field_is_described() -> None:
    spec = _schema()["properties"]["spec"]
    undocumented = [
        path for path, node in _walk(spec) if path and not path.endswith("[]") and not node.get("description")
    ]
    assert undocumented == []


def test_resource_names_and_columns() -> None:
    crd = build_crd()
    assert crd["spec"]["names"]["shortNames"] == ["mm"]
    assert crd["spec"]["group"] == "modelmonitor.io"
    version = crd["spec"]["versions"][0]
    assert version["name"] == "v1alpha1"
    assert version["subresources"] == {"status": {}}
    columns = [c["name"] for c in version["additionalPrinterColumns"] if "priority" not in c]
    assert columns == ["Phase", "Drift", "Burn", "Canary", "Age"]


def test_nested_defaults_reach_the_api_server() -> None:
    spec = _schema()["properties"]["spec"]["properties"]
    assert spec["analysis"]["default"] == {}
    assert spec["analysis"]["properties"]["interval"]["default"] == "30s"
    assert spec["sidecar"]["properties"]["port"]["default"] == 8008
    assert spec["slos"]["items"]["properties"]["window"]["default"] == "30d"


def test_generated_yaml_round_trips() -> None:
    assert yaml.safe_load(render_crd()) == build_crd()


def test_committed_reference_doc_matches_generated() -> None:
    from modelmonitor.api.reference import render_reference

    path = ROOT / "docs" / "reference.md"
    assert path.read_text() == render_reference(), "docs/reference.md is stale: run `modelmonitor crd --reference`"
