"""Time from `ha_ai.accept_suggestion` to the deployed automation's entity existing.

Run by `scripts/bench --only deploy`, which sets HA_AI_BENCH_OUT to a file that
receives one JSON line per figure. Home Assistant's own automation integration
loads the automations from a real `automations.yaml` that already holds a hundred
user automations; each accept checks, writes, reloads and confirms one automation.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import DEFAULT_OPTIONS, DOMAIN
from custom_components.ha_ai.engine.habits.model import DayClass, TimeOfDayPattern
from custom_components.ha_ai.habits import coordinator as habit_analysis

OUT = os.environ.get("HA_AI_BENCH_OUT")
ACCEPTS = 20
USER_AUTOMATIONS = 100

pytestmark = pytest.mark.skipif(not OUT, reason="run through scripts/bench")


@pytest.fixture
def expected_lingering_timers() -> bool:
    return True


@pytest.fixture
def mock_hass_config() -> None:
    """Let reloads read the bench's own configuration.yaml."""


def emit(name: str, value: float, unit: str) -> None:
    assert OUT
    with Path(OUT).open("a") as out:
        out.write(json.dumps({"name": name, "value": round(value, 2), "unit": unit}))
        out.write("\n")


def routine(index: int) -> TimeOfDayPattern:
    return TimeOfDayPattern(
        pattern_id=f"bench_{index}",
        entity_id=f"light.bench_{index}",
        state="on",
        day_class=DayClass.DAILY,
        minute_of_day=(6 * 60 + index * 7) % 1440,
        window_minutes=20,
        support_days=25,
        observed_days=28,
        confidence=0.8,
    )


def user_automations() -> str:
    return "".join(
        f"- id: 'user_{index}'\n  alias: User automation {index}\n"
        f"  triggers:\n  - trigger: time\n    at: '{index % 24:02d}:00:00'\n"
        "  actions: []\n"
        for index in range(USER_AUTOMATIONS)
    )


@pytest.fixture
def config_dir(hass: HomeAssistant, tmp_path: Path) -> Path:
    """A configuration that includes automations.yaml, with the user's automations."""
    hass.config.config_dir = str(tmp_path)
    (tmp_path / "configuration.yaml").write_text(
        "automation: !include automations.yaml\n"
    )
    (tmp_path / "automations.yaml").write_text(user_automations())
    return tmp_path


async def test_accept_to_automation_entity(
    hass: HomeAssistant, config_dir: Path, mqtt_mock: MqttMockHAClient
) -> None:
    for index in range(ACCEPTS):
        hass.states.async_set(f"light.bench_{index}", "off")
    hass.services.async_register("light", "turn_on", lambda _: None)
    assert await async_setup_component(hass, "automation", {})
    await hass.services.async_call("automation", "reload", blocking=True)
    entry = MockConfigEntry(domain=DOMAIN, options=dict(DEFAULT_OPTIONS))
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    patterns = [routine(index) for index in range(ACCEPTS)]
    with (
        patch.object(habit_analysis, "RUN_COOLDOWN", timedelta(0)),
        patch(
            "custom_components.ha_ai.habits.coordinator.mine_habits",
            return_value=patterns,
        ),
    ):
        await hass.services.async_call(DOMAIN, "run_analysis", blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    suggestions = entry.runtime_data.suggestions.query()
    assert len(suggestions) == ACCEPTS

    registry = er.async_get(hass)
    durations: list[float] = []
    for suggestion in suggestions:
        started = time.perf_counter()
        response: Any = await hass.services.async_call(
            DOMAIN,
            "accept_suggestion",
            {"suggestion_id": suggestion.suggestion_id},
            blocking=True,
            return_response=True,
        )
        entity_id = registry.async_get_entity_id(
            "automation", "automation", response["automation_id"]
        )
        assert entity_id is not None
        assert hass.states.get(entity_id) is not None
        durations.append((time.perf_counter() - started) * 1000)
    durations.sort()
    emit("accept_to_entity_p50", statistics.median(durations), "ms")
    emit("accept_to_entity_p95", durations[int(0.95 * (len(durations) - 1))], "ms")
    emit("accept_to_entity_max", durations[-1], "ms")
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
