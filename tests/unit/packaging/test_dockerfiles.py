"""What can be checked of the images without a Docker engine.

We test these aspects:
- both Dockerfiles are multi-stage, on a pinned slim Python base, and build one wheel of the project;
- the final stage runs as a non-root numeric user and carries no compiler;
- each ENTRYPOINT is a console script that pyproject.toml declares.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILES = {"Dockerfile.operator": "modelmonitor", "Dockerfile.sidecar": "modelmonitor-proxy"}


def _stages(text: str) -> list[list[str]]:
    stages: list[list[str]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages


@pytest.mark.parametrize(("name", "script"), DOCKERFILES.items())
def test_dockerfile(name: str, script: str) -> None:
    stages = _stages((ROOT / name).read_text())
    assert len(stages) >= 2, "multi-stage: build the wheel in one stage, install it in another"
    for stage in stages:
        base = stage[0].split()[1]
        assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base), f"unpinned or non-slim base {base}"
    assert any("pip wheel" in line for line in stages[0])
    final = stages[-1]
    users = [line.split()[1] for line in final if line.upper().startswith("USER ")]
    assert users, "the final stage must set USER"
    assert users[-1].split(":")[0] not in ("0", "root")
    assert not any(re.search(r"\b(gcc|build-essential|apt-get install)\b", line) for line in final)
    entrypoint = next(line for line in final if line.upper().startswith("ENTRYPOINT"))
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert f'["{script}"]' in entrypoint
    assert script in scripts
