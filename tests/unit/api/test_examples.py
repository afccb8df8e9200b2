"""The example ModelMonitors: valid ones pass both the CRD schema and the models; invalid ones
fail with a message that names the field.

We test these aspects:
- every `examples/*.yaml` ModelMonitor validates against the committed CRD's schema and the models;
- every `examples/invalid/*.yaml` is rejected, and the message names the field its `# expect:` line gives,
  by the CRD schema where the schema can express the rule, and always by the models.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from modelmonitor.api.validation import SpecError, parse_spec
from tests.support.crd_schema import load_schema, schema_errors

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = load_schema(ROOT / "crds" / "modelmonitor.yaml")
VALID = sorted((ROOT / "examples").glob("modelmonitor-*.yaml"))
INVALID = sorted((ROOT / "examples" / "invalid").glob("*.yaml"))


def test_there_are_examples() -> None:
    assert len(VALID) >= 2
    assert len(INVALID) >= 4


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_example(path: Path) -> None:
    document = yaml.safe_load(path.read_text())
    assert schema_errors(SCHEMA, document) == []
    parse_spec(document["spec"])


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_example_names_the_field(path: Path) -> None:
    text = path.read_text()
    expected = text.splitlines()[0].removeprefix("# expect:").strip()
    field = expected.split(":")[0]
    document = yaml.safe_load(text)
    with pytest.raises(SpecError) as caught:
        parse_spec(document["spec"])
    assert expected in str(caught.value) or str(caught.value).startswith(field)
    errors = schema_errors(SCHEMA, document)
    # Cross-field rules (a latency SLO needs a threshold) are the webhook's job, not the schema's.
    if "needs" not in expected:
        assert errors, "the CRD schema should reject this too"
        assert any(field.split(".")[-1] in message for message in errors), errors
