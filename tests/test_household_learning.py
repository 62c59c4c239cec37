"""Every habit analysis learns the household's rhythm from HA AI's log, and keeps it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from benchmarks.households import household
from custom_components.ha_ai.const import DOMAIN
from custom_components.ha_ai.engine.habits.log_files import append_rows
from custom_components.ha_ai.engine.household.model import EntityRole

from .fixtures_common import no_cooldown  # noqa: F401

STATE = "sensor.ha_ai_household_state"
DEVICE_CLASSES = {EntityRole.MOTION: "motion", EntityRole.DOOR: "door"}


def write_household(hass: HomeAssistant, directory: Path) -> None:
    """Four weeks of early birds in the log, their entities in Home Assistant."""
    zone = ZoneInfo(hass.config.time_zone)
    today = dt_util.now(zone).date()
    table, truth = household(
        "early_birds", days=28, start=today - timedelta(days=28), timezone=zone
    )
    for entity_id in table.entity_ids:
        role = truth.roles.get(entity_id)
        attributes = (
            {"device_class": DEVICE_CLASSES[role]} if role in DEVICE_CLASSES else {}
        )
        hass.states.async_set(entity_id, "off", attributes)
    rows = [
        (
            int(table.when[i]),
            int(table.origin[i]),
            table.entity_ids[int(table.entity[i])],
            table.states[int(table.state[i])],
        )
        for i in range(len(table))
    ]
    append_rows(directory, rows, max_day_bytes=8 * 1024 * 1024)


async def test_an_analysis_learns_the_household_and_keeps_it(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    log = setup_entry.runtime_data.habit_log
    await hass.async_add_executor_job(write_household, hass, log.directory)
    await hass.services.async_call(DOMAIN, "run_analysis", blocking=True)
    await hass.async_block_till_done()
    windows = hass.states.get(STATE).attributes
    assert set(windows["morning"]) == {"daily"}
    assert windows["morning"]["daily"]["level"] == "established"
    assert windows["bedtime"]

    # Kept across a restart: the follower has them before the next analysis.
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(STATE).attributes["morning"] == windows["morning"]


@pytest.mark.parametrize("damage", [[], "nonsense", {"version": 99}])
async def test_a_damaged_household_in_the_store_is_left_out(
    hass: HomeAssistant,
    hass_storage: dict[str, object],
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
    damage: object,
) -> None:
    hass_storage["ha_ai.habits"] = {
        "version": 1,
        "minor_version": 1,
        "key": "ha_ai.habits",
        "data": {"patterns": [], "last_run": None, "household": damage},
    }
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get(STATE).attributes["morning"] == {}
