"""The engine's tests run without Home Assistant: no fixture of it is set up."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Nothing to enable: the engine is plain Python."""


@pytest.fixture(autouse=True)
def config_dir_in_tmp() -> None:
    """No Home Assistant, no config directory."""
