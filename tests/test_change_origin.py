"""Who made a live change: real automations and scripts, late device reports."""

from __future__ import annotations

from datetime import timedelta
from itertools import cycle

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import Context, Event, EventStateChangedData, HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockUser,
    async_fire_time_changed,
)

from custom_components.ha_ai.automations.change_origin import (
    DECISIONS_KEPT,
    RegistryLookup,
    RegistrySnapshot,
    entities_of_call,
)
from custom_components.ha_ai.const import DOMAIN
from custom_components.ha_ai.engine.habits.model import Origin
from custom_components.ha_ai.habits.log import Exclusions, HabitLog

from .test_habit_log import rows

USER = "0123456789abcdef0123456789abcdef"


@pytest.fixture
async def log(hass: HomeAssistant) -> HabitLog:
    habit_log = HabitLog(
        hass, MockConfigEntry(domain=DOMAIN), retention_days=60, exclusions=Exclusions()
    )
    await habit_log.async_start()
    yield habit_log
    await habit_log.async_stop()


async def set_up_home(hass: HomeAssistant) -> None:
    """An input_boolean, a time-pattern automation and a script that switch it."""
    assert await async_setup_component(
        hass, "input_boolean", {"input_boolean": {"kettle": {}, "porch": {}}}
    )
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "porch_off": {
                    "sequence": [
                        {
                            "action": "input_boolean.turn_off",
                            "target": {"entity_id": "input_boolean.porch"},
                        }
                    ]
                }
            }
        },
    )
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": "kettle_at_seven",
                    "triggers": [{"trigger": "time_pattern", "minutes": "/5"}],
                    "actions": [
                        {
                            "action": "input_boolean.turn_on",
                            "target": {"entity_id": "input_boolean.kettle"},
                        },
                        {"action": "script.porch_off"},
                    ],
                }
            ]
        },
    )
    await hass.async_block_till_done()


async def test_a_time_triggered_automation_and_its_script_are_automated(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    log: HabitLog,
    hass_admin_user: MockUser,
) -> None:
    freezer.move_to("2026-01-05 06:58:00+00:00")
    await set_up_home(hass)
    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.porch"}, blocking=True
    )
    freezer.move_to("2026-01-05 07:00:00+00:00")
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    # A person starts the same script from the app: that is theirs.
    await hass.services.async_call(
        "input_boolean", "turn_on", {"entity_id": "input_boolean.porch"}, blocking=True
    )
    await hass.services.async_call(
        "script",
        "porch_off",
        blocking=True,
        context=Context(user_id=hass_admin_user.id),
    )
    await hass.async_block_till_done()
    changes = [row for row in rows(await log.async_read()) if row[2] != Origin.SYSTEM]
    assert changes == [
        ("input_boolean.porch", "on", Origin.MANUAL),
        ("input_boolean.kettle", "on", Origin.AUTOMATED),
        ("input_boolean.porch", "off", Origin.AUTOMATED),
        ("input_boolean.porch", "on", Origin.MANUAL),
        ("input_boolean.porch", "off", Origin.MANUAL),
    ]


async def command(hass: HomeAssistant, run: Context, entity_id: str) -> None:
    """An automation run starts and asks the light to turn on."""
    hass.bus.async_fire("automation_triggered", {"name": "dusk"}, context=run)
    hass.bus.async_fire(
        EVENT_CALL_SERVICE,
        {
            "domain": "light",
            "service": "turn_on",
            "service_data": {"entity_id": [entity_id], "brightness": 50},
        },
        context=run,
    )


@pytest.mark.parametrize(
    ("delay", "same_context", "origin"),
    [
        (0.2, True, Origin.AUTOMATED),
        (4.5, True, Origin.AUTOMATED),
        (5.5, False, Origin.AUTOMATED),
        (12, False, Origin.AUTOMATED),
        (45, False, Origin.MANUAL),
    ],
)
async def test_a_late_device_report_is_the_commands(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    log: HabitLog,
    delay: float,
    same_context: bool,
    origin: Origin,
) -> None:
    hass.states.async_set("light.porch", "off")
    run = Context()
    await command(hass, run, "light.porch")
    freezer.tick(timedelta(seconds=delay))
    hass.states.async_set("light.porch", "on", context=run if same_context else None)
    await hass.async_block_till_done()
    assert rows(await log.async_read())[-1] == ("light.porch", "on", origin)


async def test_a_change_the_command_did_not_ask_for_is_a_persons(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, log: HabitLog
) -> None:
    hass.states.async_set("light.porch", "on")
    run = Context()
    await command(hass, run, "light.porch")  # dim it: it stays on
    freezer.tick(timedelta(seconds=2))
    # Switched off at the wall; reported within 5 s, so under the run's context.
    hass.states.async_set("light.porch", "off", context=run)
    await hass.async_block_till_done()
    assert rows(await log.async_read())[-1] == ("light.porch", "off", Origin.MANUAL)


async def test_a_persons_command_is_not_waited_for(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, log: HabitLog
) -> None:
    hass.states.async_set("light.porch", "off")
    person = Context(user_id=USER)
    hass.bus.async_fire(
        EVENT_CALL_SERVICE,
        {
            "domain": "light",
            "service": "turn_on",
            "service_data": {"entity_id": "light.porch"},
        },
        context=person,
    )
    freezer.tick(timedelta(seconds=8))
    hass.states.async_set("light.porch", "on")
    await hass.async_block_till_done()
    assert rows(await log.async_read())[-1] == ("light.porch", "on", Origin.MANUAL)


async def test_calls_by_device_and_area_reach_their_entities(
    hass: HomeAssistant,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    entry = MockConfigEntry(domain="demo")
    entry.add_to_hass(hass)
    lamp = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("demo", "lamp")}
    )
    device_registry.async_update_device(lamp.id, area_id="den")
    entity_registry.async_get_or_create(
        "light", "demo", "lamp", suggested_object_id="lamp", device_id=lamp.id
    )
    entity_registry.async_get_or_create(
        "switch", "demo", "fan", suggested_object_id="fan"
    )
    entity_registry.async_update_entity("switch.fan", area_id="den")
    # The live registries and the back-fill's copy of them answer alike.
    for lookup in (RegistryLookup(hass), RegistrySnapshot.of(hass)):
        assert entities_of_call(lookup, {"device_id": lamp.id}) == ["light.lamp"]
        assert sorted(
            entities_of_call(lookup, {"area_id": ["den"], "entity_id": "light.lamp"})
        ) == ["light.lamp", "switch.fan"]
        assert entities_of_call(lookup, {"entity_id": "light.x"}) == ["light.x"]
        assert entities_of_call(lookup, {"area_id": "attic"}) == []


async def test_a_call_to_an_area_reaches_the_entities_of_its_devices(
    hass: HomeAssistant,
    area_registry: ar.AreaRegistry,
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    entry = MockConfigEntry(domain="demo")
    entry.add_to_hass(hass)
    study = area_registry.async_create("Study")
    area_registry.async_create("Attic")
    lamp = device_registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("demo", "lamp")}
    )
    device_registry.async_update_device(lamp.id, area_id=study.id)
    entity_registry.async_get_or_create(
        "light", "demo", "lamp", suggested_object_id="lamp", device_id=lamp.id
    )
    for lookup in (RegistryLookup(hass), RegistrySnapshot.of(hass)):
        assert entities_of_call(lookup, {"area_id": study.id}) == ["light.lamp"]
        assert entities_of_call(lookup, {"area_id": "attic"}) == []


async def test_the_decision_is_shared_by_every_listener(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, log: HabitLog
) -> None:
    """The live pattern events ask after the log: the echo is not credited twice."""
    seen: list[Origin] = []
    hass.states.async_set("light.porch", "off")
    await command(hass, Context(), "light.porch")
    freezer.tick(timedelta(seconds=7))
    hass.bus.async_listen(
        "state_changed", lambda event: seen.append(log.origins.origin_of(event))
    )
    hass.states.async_set("light.porch", "on")
    await hass.async_block_till_done()
    assert seen == [Origin.AUTOMATED]
    assert rows(await log.async_read())[-1][2] == Origin.AUTOMATED
    assert dt_util.utcnow()  # the frozen clock still answers


async def test_calls_that_say_nothing_usable_are_ignored(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, log: HabitLog
) -> None:
    hass.states.async_set("light.porch", "off")
    run = Context()
    hass.bus.async_fire("automation_triggered", {"name": "dusk"}, context=run)
    for data in (
        {"domain": "light"},
        {"domain": "light", "service": "turn_on", "service_data": "light.porch"},
    ):
        hass.bus.async_fire(EVENT_CALL_SERVICE, data, context=run)
    freezer.tick(timedelta(seconds=8))
    hass.states.async_set("light.porch", "on")
    await hass.async_block_till_done()
    assert rows(await log.async_read())[-1] == ("light.porch", "on", Origin.MANUAL)


async def test_decisions_are_kept_for_a_few_changes_only(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, log: HabitLog
) -> None:
    """A listener asking late gets the shared answer only for the last changes.

    The echo of a command is credited to the automation once: asked again after
    its decision was forgotten, the change is judged anew and the credit is gone.
    """
    echoes: list[Event[EventStateChangedData]] = []
    hass.states.async_set("light.porch", "off")
    await command(hass, Context(), "light.porch")
    freezer.tick(timedelta(seconds=7))

    def keep_the_porch(event: Event[EventStateChangedData]) -> None:
        if event.data["entity_id"] == "light.porch":
            echoes.append(event)

    hass.bus.async_listen("state_changed", keep_the_porch)
    hass.states.async_set("light.porch", "on")
    await hass.async_block_till_done()
    [echo] = echoes
    hall = cycle(["off", "on"])
    for _ in range(DECISIONS_KEPT - 1):
        hass.states.async_set("light.hall", next(hall))
    await hass.async_block_till_done()
    assert log.origins.origin_of(echo) == Origin.AUTOMATED
    hass.states.async_set("light.hall", next(hall))
    await hass.async_block_till_done()
    assert log.origins.origin_of(echo) == Origin.MANUAL
    assert rows(await log.async_read())[1] == ("light.porch", "on", Origin.AUTOMATED)
