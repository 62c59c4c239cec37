"""Back-filling the habit log from the recorder, with each change's origin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util
from homeassistant.util.ulid import ulid_now
from pytest_homeassistant_custom_component.common import MockConfigEntry, MockUser
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)
from pytest_homeassistant_custom_component.typing import RecorderInstanceGenerator

from custom_components.ha_ai.const import DOMAIN
from custom_components.ha_ai.engine.habits.model import Origin
from custom_components.ha_ai.habits.backfill import (
    RecorderReplay,
    async_backfill,
)
from custom_components.ha_ai.habits.log import Exclusions, HabitLog


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
        MockConfigEntry(domain=DOMAIN),
        retention_days=60,
        exclusions=Exclusions(entities=frozenset({"switch.excluded"})),
    )
    rows = await get_instance(hass).async_add_executor_job(
        RecorderReplay(hass, log.is_logged).read, start, dt_util.utcnow()
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
    log = HabitLog(
        hass, MockConfigEntry(domain=DOMAIN), retention_days=60, exclusions=Exclusions()
    )
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
        "custom_components.ha_ai.habits.coordinator.async_backfill",
        side_effect=RuntimeError("database gone"),
    ):
        assert await hass.config_entries.async_setup(config_entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert "Could not back-fill the habit log from the recorder" in caplog.text
    assert config_entry.runtime_data.habit_log is not None


async def test_backfill_knows_automations_by_context_and_keeps_state_across_days(
    hass: HomeAssistant,
    recorder_mock: object,
    freezer: FrozenDateTimeFactory,
    hass_admin_user: MockUser,
) -> None:
    """Three days of one home, read back a day at a time.

    A time-triggered run (no parent) switches the kettle; a person's script and
    a late device report of an automation's command; changes just before and
    after the back-fill's day boundaries.
    """
    end = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    boundary = end - timedelta(days=2)  # async_backfill(days=3) reads from end - 3 d
    freezer.move_to(end - timedelta(days=3, hours=2))  # before the first day
    hass.states.async_set("light.hall", "off")
    hass.states.async_set("input_boolean.kettle", "off")
    freezer.move_to(end - timedelta(days=3) + timedelta(minutes=5))
    hass.states.async_set("light.hall", "on")  # the first day's first change
    freezer.move_to(boundary - timedelta(seconds=10))
    run = Context()
    hass.bus.async_fire("automation_triggered", {"name": "kettle"}, context=run)
    hass.bus.async_fire(
        EVENT_CALL_SERVICE,
        {
            "domain": "homeassistant",
            "service": "turn_off",
            "service_data": {"entity_id": ["light.hall"]},
        },
        context=run,
    )
    hass.states.async_set("input_boolean.kettle", "on", context=run)
    freezer.move_to(boundary + timedelta(seconds=2))  # the light reports late
    hass.states.async_set("light.hall", "off")
    freezer.move_to(boundary + timedelta(hours=1))
    hass.states.async_set("light.hall", "on")  # by hand
    hass.states.async_set(
        "input_boolean.kettle", "off", context=Context(user_id=hass_admin_user.id)
    )
    freezer.move_to(end - timedelta(minutes=1))
    hass.states.async_set("light.hall", "off", context=Context(parent_id=ulid_now()))
    freezer.move_to(end)
    await async_wait_recording_done(hass)

    log = HabitLog(
        hass, MockConfigEntry(domain=DOMAIN), retention_days=60, exclusions=Exclusions()
    )
    assert await async_backfill(hass, log, days=3) == 6
    table = await log.async_read()
    assert [
        (int(when), table.entity_ids[e], table.states[s], int(o))
        for when, e, s, o in zip(
            table.when, table.entity, table.state, table.origin, strict=True
        )
    ] == [
        (int((end - timedelta(days=3, minutes=-5)).timestamp()), "light.hall", "on", 0),
        (
            int((boundary - timedelta(seconds=10)).timestamp()),
            "input_boolean.kettle",
            "on",
            1,
        ),
        (int((boundary + timedelta(seconds=2)).timestamp()), "light.hall", "off", 1),
        (int((boundary + timedelta(hours=1)).timestamp()), "light.hall", "on", 0),
        (
            int((boundary + timedelta(hours=1)).timestamp()),
            "input_boolean.kettle",
            "off",
            0,
        ),
        (int((end - timedelta(minutes=1)).timestamp()), "light.hall", "off", 1),
    ]


async def test_a_run_started_before_the_backfill_still_counts(
    hass: HomeAssistant, recorder_mock: object, freezer: FrozenDateTimeFactory
) -> None:
    end = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    freezer.move_to(end - timedelta(days=1, minutes=30))
    hass.states.async_set("light.hall", "off")
    run = Context()
    hass.bus.async_fire("automation_triggered", {"name": "away"}, context=run)
    freezer.move_to(end - timedelta(days=1) + timedelta(minutes=10))  # a long delay
    hass.states.async_set("light.hall", "on", context=run)
    freezer.move_to(end)
    await async_wait_recording_done(hass)
    log = HabitLog(
        hass, MockConfigEntry(domain=DOMAIN), retention_days=60, exclusions=Exclusions()
    )
    assert await async_backfill(hass, log, days=1) == 1
    assert [int(o) for o in (await log.async_read()).origin] == [Origin.AUTOMATED]


async def test_changes_in_one_instant_are_read_in_the_order_they_were_made(
    hass: HomeAssistant, recorder_mock: object, freezer: FrozenDateTimeFactory
) -> None:
    """Equal times leave the order to the database: the recorder's row ids keep it.

    A sensor reporting opened and closed in one instant must not be read back as
    closed, then opened (still open); nor two switches in another order.
    """
    end = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)
    freezer.move_to(end - timedelta(hours=2))
    for entity_id in ("binary_sensor.door", "switch.coffee", "light.kitchen"):
        hass.states.async_set(entity_id, "off")
    freezer.move_to(end - timedelta(hours=1))
    hass.states.async_set("light.kitchen", "on")
    hass.states.async_set("switch.coffee", "on")
    hass.states.async_set("binary_sensor.door", "on")
    hass.states.async_set("binary_sensor.door", "off")
    hass.states.async_set("switch.coffee", "off")
    hass.states.async_set("light.kitchen", "off")
    freezer.move_to(end)
    await async_wait_recording_done(hass)

    log = HabitLog(
        hass, MockConfigEntry(domain=DOMAIN), retention_days=60, exclusions=Exclusions()
    )
    rows = await get_instance(hass).async_add_executor_job(
        RecorderReplay(hass, log.is_logged).read,
        end - timedelta(minutes=90),
        end,
    )
    assert [(entity, state) for _, _, entity, state in rows] == [
        ("light.kitchen", "on"),
        ("switch.coffee", "on"),
        ("binary_sensor.door", "on"),
        ("binary_sensor.door", "off"),
        ("switch.coffee", "off"),
        ("light.kitchen", "off"),
    ]
