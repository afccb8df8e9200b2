"""Turning raw ``ModelMonitor`` bodies into spec models, with errors that name the field.

The operator, the validating admission webhook and the CLI all call :func:`parse_spec`, so a
spec is rejected with the same message wherever it is checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from modelmonitor.api.spec import ModelMonitorSpec


class SpecError(ValueError):
    """A ``ModelMonitor`` spec that cannot be accepted; ``problems`` name each field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


def _field_path(location: tuple[int | str, ...], root: str) -> str:
    path = root
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def describe_validation_error(error: ValidationError, root: str = "spec") -> list[str]:
    """One line per problem, each starting with the path of the offending field."""
    problems = []
    for item in error.errors(include_url=False):
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown field"
        elif item["type"] == "missing":
            message = "required field is missing"
        problems.append(f"{_field_path(tuple(item['loc']), root)}: {message}")
    return problems


def parse_spec(raw: Mapping[str, Any] | None) -> ModelMonitorSpec:
    """Validate a ``ModelMonitor`` ``spec`` mapping; raise :class:`SpecError` naming each bad field."""
    if raw is None:
        raise SpecError(["spec: required field is missing"])
    try:
        return ModelMonitorSpec.model_validate(dict(raw))
    except ValidationError as error:
        raise SpecError(describe_validation_error(error)) from None
