"""Reading a reference profile out of the ConfigMap ``modelmonitor profile`` produced."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import ValidationError

from modelmonitor.api.profile import ReferenceProfile
from modelmonitor.api.validation import describe_validation_error
from modelmonitor.wiring.shapes import dig, mapping


class ReferenceError(ValueError):
    """The reference ConfigMap exists but holds no usable profile; the message says why."""


def profile_from_config_map(config_map: Mapping[str, Any], key: str) -> ReferenceProfile:
    """The profile stored as YAML under ``data[key]``; :class:`ReferenceError` naming the problem."""
    name = dig(config_map, "metadata").get("name", "?")
    data = mapping(config_map.get("data"))
    if key not in data:
        raise ReferenceError(f"ConfigMap {name} has no key {key!r}")
    try:
        raw = yaml.safe_load(data[key])
    except yaml.YAMLError as error:
        raise ReferenceError(f"ConfigMap {name} key {key!r} is not YAML: {error}") from None
    try:
        return ReferenceProfile.model_validate(raw)
    except ValidationError as error:
        problems = describe_validation_error(error, root=f"{name}[{key}]")
        raise ReferenceError("; ".join(problems[:3])) from None
