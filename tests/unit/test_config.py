"""Operator settings from the environment and flags.

We test these aspects:
- MODELMONITOR_* variables are read, flags override them, empty values are ignored;
- a bad value raises ConfigError naming the setting;
- backoff doubles and is capped; the injection config carries image and resources.
"""

from __future__ import annotations

import pytest

from modelmonitor.config import ConfigError, OperatorConfig


def test_env_then_flags() -> None:
    env = {"MODELMONITOR_SIDECAR_IMAGE": "env:1", "MODELMONITOR_NAMESPACES": "a, b", "MODELMONITOR_API_URL": ""}
    config = OperatorConfig.load(env, {"sidecar_image": "flag:2", "standalone": None})
    assert config.sidecar_image == "flag:2"
    assert config.namespaces == ("a", "b")
    assert config.api_url is None
    assert config.standalone is False


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"MODELMONITOR_WEBHOOK_PORT": "x"}, "config.webhook_port"),
        ({"MODELMONITOR_LOG_FORMAT": "xml"}, "config.log_format"),
        ({"MODELMONITOR_SIDECAR_CHECK_INTERVAL": "-1"}, "config.sidecar_check_interval"),
    ],
)
def test_bad_values_are_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        OperatorConfig.load(env)


def test_backoff_and_injection() -> None:
    config = OperatorConfig(retry_base_seconds=1, retry_max_seconds=10, sidecar_cpu_limit="1")
    assert [config.retry_delay(n) for n in range(6)] == [1, 2, 4, 8, 10, 10]
    assert config.retry_delay(10_000) == 10
    injection = config.injection()
    assert injection.image == config.sidecar_image
    assert injection.limits["cpu"] == "1"
