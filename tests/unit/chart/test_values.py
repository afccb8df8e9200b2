"""values.yaml, values.schema.json and the ci/ scenarios agree, and every value is documented.

We test these aspects:
- values.yaml, and every ci/*-values.yaml merged over it, validate against values.schema.json (draft-07);
- every key of values.yaml is declared in the schema with a description, down to free-form blocks;
- every key of values.yaml has a comment right above it, except Kubernetes fields inside blocks that are
  passed through as they are (resources, security contexts, label maps);
- values.yaml opens with the yaml-language-server schema modeline;
- the schema rejects unknown keys and wrong types (a wrong value never silently renders).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.unit.chart.rendering import CHART

VALUES_TEXT = (CHART / "values.yaml").read_text(encoding="utf-8")
VALUES = yaml.safe_load(VALUES_TEXT)
SCHEMA = json.loads((CHART / "values.schema.json").read_text(encoding="utf-8"))
SCENARIOS = sorted((CHART / "ci").glob("*-values.yaml"))
PASS_THROUGH = {"resources", "podSecurityContext", "securityContext", "labels", "annotations"}


def test_schema_is_draft_7() -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["additionalProperties"] is False


def merged(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """Helm's coalescing of a values file over the defaults: maps merge, everything else is replaced."""
    result = dict(base)
    for key, value in overlay.items():
        result[key] = merged(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return result


@pytest.mark.parametrize("path", [CHART / "values.yaml", *SCENARIOS], ids=lambda p: p.name)
def test_values_validate(path: Path) -> None:
    document = merged(VALUES, yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    errors = [e.message for e in jsonschema.Draft7Validator(SCHEMA).iter_errors(document)]
    assert errors == []


def test_there_are_scenarios() -> None:
    assert {p.name for p in SCENARIOS} >= {"default-values.yaml", "namespaced-values.yaml", "ha-values.yaml"}


def _undescribed(values: dict[str, Any], schema: dict[str, Any], path: str) -> list[str]:
    missing = []
    properties = schema.get("properties")
    if properties is None:
        return []  # a free-form block (resources, labels...)
    for key, value in values.items():
        where = f"{path}{key}"
        node = properties.get(key)
        if node is None or not node.get("description"):
            missing.append(where)
        elif isinstance(value, dict):
            missing += _undescribed(value, node, where + ".")
    return missing


def test_every_key_is_in_the_schema_with_a_description() -> None:
    assert _undescribed(VALUES, SCHEMA, "") == []


def uncommented_keys(text: str) -> list[str]:
    """Dotted paths of keys without a comment line right above them (outside pass-through blocks)."""
    stack: list[tuple[int, str]] = []
    previous = ""
    found = []
    for line in text.splitlines():
        match = re.match(r"^(\s*)([A-Za-z0-9_]+):", line)
        if match:
            indent = len(match.group(1))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            inside_pass_through = any(key in PASS_THROUGH for _, key in stack)
            stack.append((indent, match.group(2)))
            if not inside_pass_through and not previous.lstrip().startswith("#"):
                found.append(".".join(key for _, key in stack))
        if line.strip():
            previous = line
    return found


def test_every_key_is_commented() -> None:
    assert uncommented_keys(VALUES_TEXT) == []


def test_the_comment_check_finds_a_bare_key() -> None:
    assert uncommented_keys("# -- a\na: 1\nb:\n  # -- c\n  c: 2\nresources:\n  cpu: 1\n") == ["b", "resources"]


def test_modeline() -> None:
    assert VALUES_TEXT.startswith("# yaml-language-server: $schema=values.schema.json\n")


@pytest.mark.parametrize(
    "document",
    [
        {"image": {"repository": "x", "registry": "y"}},
        {"webhooks": {"timeoutSeconds": 60}},
        {"watchNamespaces": ["Not_A_Namespace"]},
        {"prometheusRule": {"errorRateThreshold": 5}},
        {"sidecar": {"resources": {"requests": {"cpu": "50m"}}}},
    ],
)
def test_schema_rejects(document: dict[str, Any]) -> None:
    assert list(jsonschema.Draft7Validator(SCHEMA).iter_errors(document))
