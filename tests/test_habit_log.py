"""The habit log: live changes, origins, exclusions, flushing, reading back."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.ha_ai.const import DOMAIN
from custom_components.ha_ai.engine.habits.model import Origin
from custom_components.ha_ai.habits import log as habit_log_module
from custom_components.ha_ai.habits.log import Exclusions, HabitLog


@pytest.fixture
async def log(hass: HomeAssistant) -> HabitLog:
    """Return a started habit log with no exclusions."""
    habit_log = HabitLog(
        hass, MockConfigEntry(domain=DOMAIN), retention_days=60, exclusions=Exclusions()
    )
    await habit_log.async_start()
    yield habit_log
    await habit_log.async_stop()


def rows(table: object) -> list[tuple[str, str, int]]:
    return [
        (table.entity_ids[e], table.states[s], int(o))  # type: ignore[attr-defined]
        for e, s, o in zip(
            table.entity,  # type: ignore[attr-defined]
            table.state,  # type: ignore[attr-defined]
            table.origin,  # type: ignore[attr-defined]
            strict=True,
        )
    ]


async def test_changes_are_logged_with_their_origin(
    hass: HomeAssistant, log: HabitLog
) -> None:
    hass.states.async_set("light.hall", "off")  # no old state: a restore
    hass.states.async_set("light.hall", "on")  # by hand
    hass.states.async_set("light.hall", "on", {"brightness": 10})  # attributes only
    hass.states.async_set(
        "light.hall", "off", context=Context(parent_id="automation-run")
    )
    hass.states.async_set("light.hall", "unavailable")
    hass.states.async_set("sensor.temperature", "21")  # not a habit domain
    await hass.async_block_till_done()
    assert rows(await log.async_read()) == [
        ("light.hall", "off", Origin.SYSTEM),
        ("light.hall", "on", Origin.MANUAL),
        ("light.hall", "off", Origin.AUTOMATED),
        ("light.hall", "unavailable", Origin.SYSTEM),
    ]
    diagnostics = await log.async_diagnostics()
    assert diagnostics["logged"] == 4
    assert diagnostics["bytes_on_disk"] > 0


async def test_exclusions(
    hass: HomeAssistant,
    area_registry: ar.AreaRegistry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    garage = area_registry.async_create("Garage")
    entry = MockConfigEntry(domain="demo")
    entry.add_to_hass(hass)
    device = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("demo", "door")}
    )
    device_registry.async_update_device(device.id, area_id=garage.id)
    entity_registry.async_get_or_create(
        "cover", "demo", "door", suggested_object_id="garage_door", device_id=device.id
    )
    entity_registry.async_get_or_create(
        "light", "demo", "lamp", suggested_object_id="garage_lamp"
    )
    entity_registry.async_update_entity("light.garage_lamp", area_id=garage.id)
    habit_log = HabitLog(
        hass,
        MockConfigEntry(domain=DOMAIN),
        retention_days=60,
        exclusions=Exclusions(
            entities=frozenset({"light.secret"}),
            areas=frozenset({garage.id}),
            domains=frozenset({"media_player"}),
        ),
    )
    await habit_log.async_start()
    for entity_id in (
        "light.secret",
        "media_player.tv",
        "cover.garage_door",
        "light.garage_lamp",
        "light.kept",
        "switch.unregistered",
    ):
        hass.states.async_set(entity_id, "off")
        hass.states.async_set(entity_id, "on")
    await hass.async_block_till_done()
    logged = {entity for entity, _, _ in rows(await habit_log.async_read())}
    assert logged == {"light.kept", "switch.unregistered"}
    assert habit_log.is_logged("light.kept")
    assert not habit_log.is_logged("sensor.kept")

    # Changes to the registries are taken into account.
    entity_registry.async_update_entity("light.garage_lamp", area_id=None)
    await hass.async_block_till_done()
    assert habit_log.is_logged("light.garage_lamp")
    await habit_log.async_stop()


async def test_flushes_on_interval_and_keeps_across_a_restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, log: HabitLog
) -> None:
    hass.states.async_set("switch.fan", "off")
    hass.states.async_set("switch.fan", "on")
    await hass.async_block_till_done()
    assert (await log.async_diagnostics())["buffered"] == 2
    freezer.tick(timedelta(seconds=31))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert (await log.async_diagnostics())["buffered"] == 0
    assert any(Path(log.directory).glob("*.csv"))

    hass.states.async_set("switch.fan", "off")
    await log.async_stop()  # writes what is buffered
    again = HabitLog(
        hass, MockConfigEntry(domain=DOMAIN), retention_days=60, exclusions=Exclusions()
    )
    assert not await again.async_is_empty()
    assert [state for _, state, _ in rows(await again.async_read())] == [
        "off",
        "on",
        "off",
    ]


async def test_a_full_buffer_is_written_at_once(
    hass: HomeAssistant, log: HabitLog
) -> None:
    with patch.object(habit_log_module, "FLUSH_SIZE", 3):
        for state in ("a", "b", "c", "d"):
            hass.states.async_set("light.x", state)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert log.statistics.logged == 3


async def test_write_errors_are_logged_and_counted(
    hass: HomeAssistant, log: HabitLog, caplog: pytest.LogCaptureFixture
) -> None:
    hass.states.async_set("light.x", "off")
    with patch.object(
        habit_log_module, "append_rows", side_effect=OSError("disk full")
    ):
        await log.async_flush()
    assert log.statistics.write_errors == 1
    assert "Could not write the habit log: disk full" in caplog.text


async def test_dropped_rows_are_counted(
    hass: HomeAssistant, log: HabitLog, caplog: pytest.LogCaptureFixture
) -> None:
    with patch.object(habit_log_module, "MAX_DAY_BYTES", 30):
        await log.async_add_rows(
            [(1_763_900_000 + i, 0, "light.flappy", "on") for i in range(5)]
        )
    assert log.statistics.dropped > 0
    assert "a day reached its limit" in caplog.text


async def test_prune_and_remove(hass: HomeAssistant, log: HabitLog) -> None:
    old = 1_700_000_000  # November 2023
    await log.async_add_rows([(old, 0, "light.a", "on")])
    hass.states.async_set("light.a", "off")
    await log.async_flush()
    await log.async_prune()
    assert len(list(Path(log.directory).glob("*.csv"))) == 1
    await HabitLog.async_remove_files(hass)
    assert not Path(log.directory).exists()
    assert await log.async_is_empty()
