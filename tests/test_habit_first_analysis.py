"""The first analysis of a new installation: after the back-fill, not at 03:00."""

from __future__ import annotations

import asyncio
from typing import Any
from unittest.mock import patch

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    RecorderInstanceGenerator,
)

from custom_components.ha_ai.habits.coordinator import HABITS_STORE_KEY, STORE_VERSION

from .conftest import published
from .habit_helpers import MORNING, add_house

MINE = "custom_components.ha_ai.habits.coordinator.mine_habits"
PATTERNS = "sensor.ha_ai_patterns_detected"
LAST = "sensor.ha_ai_last_analysis"


@pytest.fixture(autouse=True)
async def mock_recorder_before_hass(
    async_test_recorder: RecorderInstanceGenerator,
) -> None:
    """Set the recorder up before Home Assistant, as the recorder tests do."""


def completed(mqtt_mock: MqttMockHAClient) -> list[Any]:
    return [payload for _, payload, _, _ in published(mqtt_mock, "ha-ai/analysis/")]


async def set_up(hass: HomeAssistant, config_entry: MockConfigEntry) -> None:
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_the_first_analysis_follows_the_backfill(
    hass: HomeAssistant,
    recorder_mock: object,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
) -> None:
    add_house(hass)
    hass.states.async_set("light.bedroom", "on")
    hass.states.async_set("light.bedroom", "off")
    await async_wait_recording_done(hass)
    with patch(MINE, return_value=[MORNING]) as mine:
        await set_up(hass, config_entry)
    assert mine.call_count == 1
    # It mined what the back-fill brought: the recorder's changes.
    table = mine.call_args.args[0]
    assert "light.bedroom" in table.entity_ids
    [complete] = completed(mqtt_mock)
    assert complete["patterns_detected"] == 1
    assert complete["patterns_established"] == 1
    assert hass.states.get(PATTERNS).state == "1"
    assert dt_util.parse_datetime(hass.states.get(LAST).state) is not None


async def test_no_first_analysis_over_an_earlier_result(
    hass: HomeAssistant,
    recorder_mock: object,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    hass_storage[HABITS_STORE_KEY] = {
        "version": STORE_VERSION,
        "minor_version": 1,
        "key": HABITS_STORE_KEY,
        "data": {
            "patterns": [],
            "last_run": "2026-11-30T03:00:12+00:00",
            "last_duration": 1.5,
        },
    }
    hass.states.async_set("light.bedroom", "on")
    hass.states.async_set("light.bedroom", "off")
    await async_wait_recording_done(hass)
    with patch(MINE, return_value=[MORNING]) as mine:
        await set_up(hass, config_entry)
    assert mine.call_count == 0
    assert completed(mqtt_mock) == []
    assert hass.states.get(LAST).state == "2026-11-30T03:00:12+00:00"


async def test_no_first_analysis_without_history(
    hass: HomeAssistant,
    recorder_mock: object,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
) -> None:
    hass.states.async_set("sensor.outside", "3")
    await async_wait_recording_done(hass)
    with patch(MINE, return_value=[MORNING]) as mine:
        await set_up(hass, config_entry)
    assert mine.call_count == 0
    assert completed(mqtt_mock) == []
    assert hass.states.get(LAST).state == "unknown"


async def test_a_failed_backfill_leaves_the_analysis_to_the_schedule(
    hass: HomeAssistant,
    recorder_mock: object,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
) -> None:
    with (
        patch(
            "custom_components.ha_ai.habits.coordinator.async_backfill",
            side_effect=RuntimeError("database gone"),
        ),
        patch(MINE, return_value=[MORNING]) as mine,
    ):
        await set_up(hass, config_entry)
    assert mine.call_count == 0
    assert completed(mqtt_mock) == []


async def test_an_entry_unloaded_during_the_backfill_starts_no_analysis(
    hass: HomeAssistant,
    recorder_mock: object,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
) -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow_backfill(*_: object) -> int:
        started.set()
        await release.wait()
        return 0

    config_entry.add_to_hass(hass)
    with (
        patch(
            "custom_components.ha_ai.habits.coordinator.async_backfill",
            side_effect=slow_backfill,
        ),
        patch(
            "custom_components.ha_ai.habits.log.HabitLog.async_is_empty",
            side_effect=[True, False],
        ),
        patch(MINE, return_value=[MORNING]) as mine,
    ):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await started.wait()
        assert await hass.config_entries.async_unload(config_entry.entry_id)
        release.set()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert mine.call_count == 0
    assert completed(mqtt_mock) == []
