"""The reference profile as a Kubernetes ConfigMap manifest, and back.

``modelmonitor profile`` writes a ConfigMap whose data key ``profile.yaml`` (the default of
``spec.reference.key``) holds the profile as YAML, so ``kubectl apply -f reference.yaml`` is all it
takes to ship it. Reading accepts that manifest or a bare profile YAML, so a profile can be kept
outside Kubernetes too. Floats are written with ``repr`` precision, so a round trip is exact.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from modelmonitor.api.profile import ReferenceProfile

PROFILE_KEY = "profile.yaml"
CONFIGMAP_LIMIT_BYTES = 1024 * 1024
"""Kubernetes rejects ConfigMaps whose data exceeds 1 MiB."""

# libyaml's emitter and parser when present (PyYAML wheels ship them): ~10x faster on large profiles.
_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class ProfileFileError(ValueError):
    """A profile file that cannot be read, or a profile that cannot be stored; the message says why."""


def default_name(source: str) -> str:
    """A ConfigMap name derived from the data file's name: ``train_2024.csv`` -> ``train-2024-reference``."""
    stem = re.sub(r"[^a-z0-9]+", "-", Path(source).stem.lower()).strip("-") or "model"
    return f"{stem[:53].rstrip('-')}-reference"


def check_name(name: str, what: str = "name") -> str:
    """``name`` when it is a valid Kubernetes object name (DNS-1123 label), else :class:`ProfileFileError`."""
    if len(name) > 63 or not _DNS_LABEL.match(name):
        raise ProfileFileError(
            f"{what} {name!r} is not a valid Kubernetes name (lowercase letters, digits and '-', at most 63)"
        )
    return name


def render_profile(profile: ReferenceProfile) -> str:
    """The bare profile as YAML (camelCase keys, as the models define them)."""
    return yaml.dump(profile.model_dump(mode="json", by_alias=True), Dumper=_ProfileDumper, sort_keys=False, width=120)


def configmap_manifest(profile: ReferenceProfile, *, name: str, namespace: str | None = None) -> dict[str, Any]:
    """The ConfigMap manifest holding ``profile`` under :data:`PROFILE_KEY`."""
    metadata: dict[str, Any] = {
        "name": check_name(name),
        "labels": {"app.kubernetes.io/part-of": "model-monitor", "app.kubernetes.io/component": "reference-profile"},
        "annotations": {"modelmonitor.io/source": profile.source, "modelmonitor.io/rows": str(profile.rows)},
    }
    if namespace:
        metadata["namespace"] = check_name(namespace, "namespace")
    text = render_profile(profile)
    size = len(text.encode("utf-8"))
    if size > CONFIGMAP_LIMIT_BYTES:
        raise ProfileFileError(
            f"the profile is {size} bytes, over the 1 MiB ConfigMap limit; use fewer features or fewer categories"
        )
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {PROFILE_KEY: text}}


def render_configmap(profile: ReferenceProfile, *, name: str, namespace: str | None = None) -> str:
    """The ConfigMap manifest as YAML, the profile as a literal block so it stays readable."""
    return yaml.dump(
        configmap_manifest(profile, name=name, namespace=namespace),
        Dumper=_BlockDumper,
        sort_keys=False,
        width=120,
    )


def parse_profile(text: str, *, source: str = "<text>") -> ReferenceProfile:
    """The profile in ``text``: a ConfigMap manifest (data key ``profile.yaml``) or a bare profile YAML."""
    document = _load_yaml(text, source)
    if isinstance(document, dict) and document.get("kind") == "ConfigMap":
        data = document.get("data")
        if not isinstance(data, dict) or PROFILE_KEY not in data:
            raise ProfileFileError(f"{source}: ConfigMap has no data key {PROFILE_KEY!r}")
        if not isinstance(data[PROFILE_KEY], str):
            raise ProfileFileError(f"{source}: data.{PROFILE_KEY} must be a string")
        document = _load_yaml(data[PROFILE_KEY], f"{source} (data.{PROFILE_KEY})")
    if not isinstance(document, dict):
        raise ProfileFileError(f"{source}: expected a ConfigMap manifest or a profile mapping")
    try:
        return ReferenceProfile.model_validate(document)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or '(top)'}: {item['msg']}" for item in error.errors()
        )
        raise ProfileFileError(f"{source}: not a valid reference profile: {problems}") from error


def load_profile(path: Path | str) -> ReferenceProfile:
    """Read a profile file written by :func:`render_configmap` (or :func:`render_profile`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ProfileFileError(f"{path}: no such file") from error
    except UnicodeDecodeError as error:
        raise ProfileFileError(f"{path}: not UTF-8 text") from error
    except OSError as error:
        raise ProfileFileError(f"{path}: cannot read: {error.strerror or error}") from error
    return parse_profile(text, source=str(path))


def _load_yaml(text: str, source: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)  # a safe loader, C or Python
    except yaml.YAMLError as error:
        raise ProfileFileError(f"{source}: not valid YAML: {error}") from error


class _BlockDumper(_Dumper):  # type: ignore[valid-type,misc]
    """Writes multi-line strings as ``|`` blocks."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


class _ProfileDumper(_Dumper):  # type: ignore[valid-type,misc]
    """Writes lists of numbers or strings on one line (``edges: [0.1, 0.5, 2.0]``), mappings as blocks."""


def _represent_list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    flat = all(isinstance(item, int | float | str | bool) or item is None for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flat)


_ProfileDumper.add_representer(list, _represent_list)
