"""Validate custom resources against the CRD's OpenAPI schema, as the API server would.

Draft 4 matches OpenAPI v3.0's boolean ``exclusiveMinimum``; ``nullable`` becomes a ``null``
type; objects with ``properties`` reject unknown fields, as ``kubectl apply`` does with strict
field validation (the server would otherwise prune them silently).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import jsonschema
import yaml


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items() if not k.startswith("x-kubernetes-")}
        if node.get("nullable"):
            out.pop("nullable")
            out["type"] = [out["type"], "null"] if "type" in out else None
            if out["type"] is None:
                out.pop("type")
        if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def load_schema(crd_path: Path) -> dict[str, Any]:
    crd = yaml.safe_load(crd_path.read_text())
    (version,) = crd["spec"]["versions"]
    schema: dict[str, Any] = _strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
    # metadata is the API server's business, not the CRD's
    schema["properties"]["metadata"] = {"type": "object"}
    return schema


def schema_errors(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    """Messages naming the path of each violation, e.g. ``spec.slos[0].objective: 120 is greater ...``."""
    validator = jsonschema.Draft4Validator(schema)
    messages = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        path = ""
        for part in error.absolute_path:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        messages.append(f"{path or '<root>'}: {error.message}")
    return messages
