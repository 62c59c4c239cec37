"""Fixtures several test modules share; each module imports the ones it uses.

Imported into a test module, a fixture is that module's own: `no_cooldown`
applies to its tests only, and `mock_hass_config` overrides the test plugin's
there only. Nothing here reaches a module that does not import it.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import timedelta
from unittest.mock import patch

import pytest

from custom_components.ha_ai.habits import coordinator as habit_analysis


@pytest.fixture(autouse=True)
def no_cooldown() -> Generator[None]:
    """Let a test run analyses back to back."""
    with patch.object(habit_analysis, "RUN_COOLDOWN", timedelta(0)):
        yield


@pytest.fixture
def mock_hass_config() -> None:
    """Let reloads read the test's own configuration.yaml (it includes automations)."""
