"""Which old target an update abandons.

We test these aspects:
- unchanged targets abandon nothing; a renamed Deployment or Service is named alone;
- the old sidecar port is carried (the Service's proxy port to restore); odd old specs never raise.
"""

from __future__ import annotations

from typing import Any

import pytest

from modelmonitor.api.spec import ModelMonitorSpec
from modelmonitor.wiring.retarget import abandoned_target

NEW = ModelMonitorSpec.model_validate({"target": {"deployment": "d", "service": "s"}, "sidecar": {"port": 9000}})


@pytest.mark.parametrize(
    ("old", "expected"),
    [
        ({"target": {"deployment": "d", "service": "s"}}, None),
        ({"target": {"deployment": "x", "service": "s"}}, {"target": {"deployment": "x"}, "sidecar": {"port": 9000}}),
        (
            {"target": {"deployment": "d", "service": "old"}, "sidecar": {"port": 8008}},
            {"target": {"service": "old"}, "sidecar": {"port": 8008}},
        ),
        ({"target": {"deployment": "d"}}, None),
        (None, None),
        ({"target": "junk", "sidecar": 3}, None),
        ({"target": {"deployment": 5}}, None),
    ],
)
def test_abandoned_target(old: Any, expected: dict[str, Any] | None) -> None:
    assert abandoned_target(old, NEW) == expected
