"""Shared fixtures: every ``kmock`` server in this suite is the stricter emulator Kopf needs.

kmock's ``kmock_cls`` ini option imports only one-level modules (``module.Class``), so the class is
chosen here by extending kmock's own ``kmock_options`` fixture instead.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.emulator import StrictEmulator


@pytest.fixture
def kmock_options(kmock_options: dict[str, Any]) -> dict[str, Any]:
    return {**kmock_options, "cls": StrictEmulator}
