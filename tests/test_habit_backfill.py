"""Back-filling the habit log from the recorder, with each change's origin."""

from __future__ import annotations

from datetime import timedelta
from unittest.mock import patch

import pytest
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import RecorderInstanceGenerator

from custom_components.ha_ai.engine.habits.model import Origin
from custom_components.ha_ai.habit_backfill import (
    async_backfill,
    read_recorder_changes,
)
from custom_components.ha_ai.habit_log import Exclusions, HabitLog


@pytest.fixture(autouse=True)
async def mock_recorder_before_hass(
    async_test_recorder: RecorderInstanceGenerator,
) -> None:
    """Set the recorder up before Home Assistant, as the recorder tests do."""


async def test_backfill_keeps_origins_and_skips_attribute_changes(
    hass: HomeAssistant, recorder_mock: object
) -> None:
    start = dt_util.utcnow() - timedelta(minutes=1)
    hass.states.async_set("light.hall", "off")
    hass.states.async_set("light.hall", "on")
    hass.states.async_set("light.hall", "on", {"brightness": 5})
    hass.states.async_set("light.hall", "off", context=Context(parent_id=ulid_now()))
    hass.states.async_set("light.hall", "unavailable")
    hass.states.async_set("sensor.outside", "3")
    hass.states.async_set("switch.excluded", "on")
    await async_wait_recording_done(hass)

    log = HabitLog(
        hass,
        retention_days=60,
        exclusions=Exclusions(entities=frozenset({"switch.excluded"})),
    )
    rows = await get_instance(hass).async_add_executor_job(
        read_recorder_changes, hass, start, dt_util.utcnow(), log.is_logged
    )
    assert [(entity, state, origin) for _, origin, entity, state in rows] == [
        ("light.hall", "off", Origin.SYSTEM),
        ("light.hall", "on", Origin.MANUAL),
        ("light.hall", "off", Origin.AUTOMATED),
        ("light.hall", "unavailable", Origin.SYSTEM),
    ]

    assert await log.async_is_empty()
    assert await async_backfill(hass, log, days=2) == 4
    table = await log.async_read()
    assert len(table) == 4
    assert not await log.async_is_empty()


async def test_nothing_to_backfill(hass: HomeAssistant, recorder_mock: object) -> None:
    hass.states.async_set("sensor.outside", "3")
    await async_wait_recording_done(hass)
    log = HabitLog(hass, retention_days=60, exclusions=Exclusions())
    assert await async_backfill(hass, log, days=1) == 0


async def test_the_empty_log_is_backfilled_once_started(
    hass: HomeAssistant,
    recorder_mock: object,
    mqtt_mock: object,
    config_entry: MockConfigEntry,
) -> None:
    hass.states.async_set("light.hall", "off")
    hass.states.async_set("light.hall", "on")
    await async_wait_recording_done(hass)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    log = config_entry.runtime_data.habit_log
    assert not await log.async_is_empty()
    assert len(await log.async_read()) == 2


async def test_a_failed_backfill_is_logged(
    hass: HomeAssistant,
    recorder_mock: object,
    mqtt_mock: object,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config_entry.add_to_hass(hass)
    with patch(
        "custom_components.ha_ai.habit_analysis.async_backfill",
        side_effect=RuntimeError("database gone"),
    ):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert "Could not back-fill the habit log from the recorder" in caplog.text
    assert config_entry.runtime_data.habit_log is not None
