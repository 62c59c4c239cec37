"""A person undoing what one of HA AI's automations just did, counted as an override.

Real automations run in the harness; the lamp is a light whose service sets its
state at once under the call's context (a quick device), or not at all (a
Zigbee lamp that reports later with a fresh context: the test writes that
report). A person acts through a service call with a user, or by the device's
own report (a wall switch: no user, no command).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import EVENT_CALL_SERVICE
from homeassistant.core import Context, HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.automations import overrides as overrides_module
from custom_components.ha_ai.automations.change_origin import (
    EVENT_AUTOMATION_TRIGGERED,
)
from custom_components.ha_ai.automations.overrides import MAX_RUNS
from custom_components.ha_ai.const import CONF_OVERRIDE_WINDOW_MINUTES, DEFAULT_OPTIONS
from custom_components.ha_ai.engine.automations.runs import RECENT_KEPT, RunRecord

from .fixtures_common import mock_hass_config, no_cooldown  # noqa: F401
from .habit_helpers import writable_automations
from .test_automation_runs import EXECUTED, HEALTH, OVERRIDES, deploy, runs, settle

LAMP = "light.lamp"
THERMOSTAT = "climate.living_room"
HALL = "light.hall"
KEPT = "sensor.ha_ai_automation_runs_kept"
PERSON = "a-person"
HEALTH_KEY = "ha_ai.automation_health"
TURN_ON = [{"action": "light.turn_on", "target": {"entity_id": LAMP}}]
DOOR_TRIGGER = [{"trigger": "state", "entity_id": "binary_sensor.door", "to": "on"}]


def at(hour: int, minute: int, second: int = 0) -> datetime:
    """Return a time of a fixed weekday (a Wednesday), local."""
    return datetime(
        2026, 12, 2, hour, minute, second, tzinfo=dt_util.get_default_time_zone()
    )


def entity_ids(data: dict[str, Any]) -> list[str]:
    value = data.get("entity_id", [])
    return [value] if isinstance(value, str) else list(value)


def lights(hass: HomeAssistant, *, reports_later: bool = False) -> list[ServiceCall]:
    """Light services; a quick lamp takes its new state at once, a slow one not."""
    calls: list[ServiceCall] = []

    async def switch(call: ServiceCall) -> None:
        calls.append(call)
        if reports_later:
            return
        state = "on" if call.service == "turn_on" else "off"
        for entity_id in entity_ids(dict(call.data)):
            old = hass.states.get(entity_id)
            attributes = {} if old is None else old.attributes
            hass.states.async_set(entity_id, state, attributes, context=call.context)

    for service in ("turn_on", "turn_off"):
        hass.services.async_register("light", service, switch)
    for entity_id in (LAMP, HALL):
        hass.states.async_set(entity_id, "off")
    return calls


async def by_hand(hass: HomeAssistant, service: str, entity_id: str = LAMP) -> None:
    """A person switches the light in the app."""
    await hass.services.async_call(
        "light",
        service,
        {"entity_id": entity_id},
        blocking=True,
        context=Context(user_id=PERSON),
    )
    await settle(hass)


def wall_switch(hass: HomeAssistant, state: str, entity_id: str = LAMP) -> None:
    """The device reports a change nobody commanded: a press on the wall switch."""
    hass.states.async_set(entity_id, state, context=Context())


async def move_to(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, when: datetime
) -> None:
    freezer.move_to(when)
    async_fire_time_changed(hass)
    await settle(hass)


async def morning_run(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    actions: list[dict[str, Any]] | None = None,
) -> None:
    """Deploy a 06:07 automation that turns the lamp on, and let it run."""
    freezer.move_to(at(6, 6, 50))
    await deploy(
        entry,
        "ha_ai_morning",
        [{"trigger": "time", "at": "06:07:00"}],
        actions or TURN_ON,
    )
    await move_to(hass, freezer, at(6, 7))


def overridden(hass: HomeAssistant, automation_id: str = "ha_ai_morning") -> int:
    return hass.states.get(HEALTH).attributes["automations"][automation_id]["overrides"]


def last_run(entry: MockConfigEntry, automation_id: str = "ha_ai_morning") -> RunRecord:
    return entry.runtime_data.runs.table.recent_runs(automation_id)[-1]


@pytest.fixture(autouse=True)
def configuration(tmp_path: Path) -> None:
    """A configuration.yaml including automations.yaml, there before MQTT starts."""
    (tmp_path / "configuration.yaml").write_text(
        "automation: !include automations.yaml\n"
    )
    (tmp_path / "automations.yaml").write_text("[]\n")


@pytest.fixture
async def loaded(
    hass: HomeAssistant,
    tmp_path: Path,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
) -> MockConfigEntry:
    """HA AI on a house whose automations.yaml it can write into."""
    await writable_automations(hass, tmp_path)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await settle(hass)
    return config_entry


@pytest.fixture(autouse=True)
def debug_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.ha_ai")


async def test_a_person_switching_off_a_timed_run_within_the_window_is_an_override(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lights(hass)
    await morning_run(hass, loaded, freezer)
    assert hass.states.get(LAMP).state == "on"
    assert hass.states.get(OVERRIDES).state == "0"
    assert hass.states.get(KEPT).state == "100.0"

    freezer.tick(timedelta(minutes=2))
    await by_hand(hass, "turn_off")

    assert hass.states.get(OVERRIDES).state == "1"
    assert overridden(hass) == 1
    (report,) = runs(mqtt_mock, EXECUTED)
    run = last_run(loaded)
    assert (run.run_id, run.overridden, run.acted_at) == (report["run_id"], True, None)
    kept = hass.states.get(KEPT)
    assert kept.state == "0.0"
    assert (kept.attributes["runs"], kept.attributes["kept"]) == (1, 0)
    assert "ha_ai_morning set light.lamp to on; a person set it to off 120 s" in (
        caplog.text
    )


async def test_a_wall_switch_undoing_a_state_triggered_run_is_an_override(
    hass: HomeAssistant, loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    lights(hass)
    await deploy(loaded, "ha_ai_door", DOOR_TRIGGER, TURN_ON)
    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)
    assert hass.states.get(LAMP).state == "on"

    freezer.tick(timedelta(seconds=30))
    wall_switch(hass, "off")
    await settle(hass)

    assert hass.states.get(OVERRIDES).state == "1"
    assert overridden(hass, "ha_ai_door") == 1
    assert last_run(loaded, "ha_ai_door").overridden


async def test_switching_off_after_the_window_is_not_an_override(
    hass: HomeAssistant, loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    lights(hass)
    await morning_run(hass, loaded, freezer)
    # The minute's prune runs meanwhile: nothing is awaited any more.
    await move_to(hass, freezer, at(6, 18))
    assert loaded.runtime_data.overrides.watch.pending_count == 0

    await by_hand(hass, "turn_off")

    assert hass.states.get(OVERRIDES).state == "0"
    assert not last_run(loaded).overridden
    assert hass.states.get(KEPT).state == "100.0"


@pytest.mark.parametrize(
    ("window", "counted"), [(1, False), (10, True)], ids=["1 min", "10 min"]
)
async def test_the_window_is_the_option(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    window: int,
    counted: bool,
) -> None:
    lights(hass)
    await morning_run(hass, loaded, freezer)

    freezer.tick(timedelta(minutes=2))
    await by_hand(hass, "turn_off")

    assert hass.states.get(OVERRIDES).state == ("1" if counted else "0")


@pytest.fixture
def entry_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The default options, with the test's `window` parameter when it has one."""
    options = dict(DEFAULT_OPTIONS)
    callspec = getattr(request.node, "callspec", None)
    if callspec is not None and "window" in callspec.params:
        options[CONF_OVERRIDE_WINDOW_MINUTES] = callspec.params["window"]
    return options


async def test_an_automation_switching_it_off_is_not_an_override(
    hass: HomeAssistant, loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    lights(hass)
    # The household's own automation switches the lamp off when the bed is left.
    Path(hass.config.path("automations.yaml")).write_text(
        "- id: mine\n"
        "  triggers: [{trigger: state, entity_id: binary_sensor.bed, to: 'off'}]\n"
        f"  actions: [{{action: light.turn_off, target: {{entity_id: {LAMP}}}}}]\n"
    )
    await hass.services.async_call("automation", "reload", blocking=True)
    await morning_run(hass, loaded, freezer)

    freezer.tick(timedelta(minutes=2))
    hass.states.async_set("binary_sensor.bed", "off")
    await settle(hass)
    assert hass.states.get(LAMP).state == "off"
    # The run's state is gone: the person's next change answers something else.
    freezer.tick(timedelta(minutes=1))
    await by_hand(hass, "turn_on")
    await by_hand(hass, "turn_off")

    assert hass.states.get(OVERRIDES).state == "0"
    assert not last_run(loaded).overridden


async def test_a_person_keeping_the_state_is_not_an_override(
    hass: HomeAssistant, loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    lights(hass)
    await morning_run(hass, loaded, freezer)

    # Dimmed by hand: still on, the run's state kept.
    freezer.tick(timedelta(minutes=1))
    hass.states.async_set(
        LAMP, "on", {"brightness": 80}, context=Context(user_id=PERSON)
    )
    await settle(hass)
    assert hass.states.get(OVERRIDES).state == "0"

    # Switching it off later within the window still undoes the run.
    freezer.tick(timedelta(minutes=2))
    await by_hand(hass, "turn_off")
    assert hass.states.get(OVERRIDES).state == "1"


async def test_a_run_that_changes_nothing_is_not_awaited(
    hass: HomeAssistant, loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    lights(hass)
    hass.states.async_set(LAMP, "on")
    await morning_run(hass, loaded, freezer)
    assert loaded.runtime_data.overrides.watch.pending_count == 0

    freezer.tick(timedelta(minutes=2))
    await by_hand(hass, "turn_off")
    assert hass.states.get(OVERRIDES).state == "0"


async def test_a_late_report_of_the_device_is_the_run_and_a_press_after_it_an_override(
    hass: HomeAssistant, loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    calls = lights(hass, reports_later=True)
    await morning_run(hass, loaded, freezer)
    assert len(calls) == 1
    assert hass.states.get(LAMP).state == "off"  # the lamp has not answered yet

    # Three seconds later the Zigbee lamp reports, with a context of its own.
    freezer.tick(timedelta(seconds=3))
    hass.states.async_set(LAMP, "on", context=Context())
    await settle(hass)
    assert hass.states.get(OVERRIDES).state == "0"
    assert loaded.runtime_data.overrides.watch.pending_for(LAMP) is not None

    freezer.tick(timedelta(minutes=4))
    wall_switch(hass, "off")
    await settle(hass)
    assert hass.states.get(OVERRIDES).state == "1"
    # Flipped again and again: one override of that run.
    wall_switch(hass, "on")
    wall_switch(hass, "off")
    await settle(hass)
    assert hass.states.get(OVERRIDES).state == "1"


async def test_when_the_person_does_it_themselves_is_kept_with_the_run(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    lights(hass)
    await morning_run(hass, loaded, freezer)
    freezer.tick(timedelta(minutes=1))
    await by_hand(hass, "turn_off")
    assert last_run(loaded).acted_at is None

    # Half an hour later, the person turns it on themselves: what they wanted.
    await move_to(hass, freezer, at(6, 40))
    await by_hand(hass, "turn_on")

    acted = last_run(loaded).acted_at
    assert acted == at(6, 40)
    assert acted is not None
    assert acted.utcoffset() == at(6, 40).utcoffset()  # local time
    # Only the first time counts.
    await move_to(hass, freezer, at(7, 0))
    await by_hand(hass, "turn_off")
    await by_hand(hass, "turn_on")
    assert last_run(loaded).acted_at == at(6, 40)
    # Written to the store.
    await move_to(hass, freezer, at(7, 1))
    stored = hass_storage[HEALTH_KEY]["data"]["automations"]["ha_ai_morning"]
    assert stored["recent"][-1]["acted_at"] == at(6, 40).isoformat()
    assert stored["overridden_runs"] == 1


@pytest.mark.parametrize("pruned", [True, False], ids=["pruned", "before the prune"])
async def test_doing_it_by_hand_after_four_hours_is_not_noted(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    pruned: bool,
) -> None:
    lights(hass)
    await morning_run(hass, loaded, freezer)
    freezer.tick(timedelta(minutes=1))
    await by_hand(hass, "turn_off")
    awaiting = loaded.runtime_data.overrides.as_diagnostics
    assert awaiting()["overridden_awaiting_action"] == 1

    if pruned:
        await move_to(hass, freezer, at(10, 30))
        assert awaiting()["overridden_awaiting_action"] == 0
    else:
        freezer.move_to(at(10, 30))  # no timer has fired yet
    await by_hand(hass, "turn_on")
    assert last_run(loaded).acted_at is None
    assert awaiting()["overridden_awaiting_action"] == 0


async def test_only_the_state_the_run_set_is_what_the_person_wanted(
    hass: HomeAssistant, loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    async def set_mode(call: ServiceCall) -> None:
        hass.states.async_set(THERMOSTAT, call.data["hvac_mode"], context=call.context)

    hass.services.async_register("climate", "set_hvac_mode", set_mode)
    hass.states.async_set(THERMOSTAT, "off")
    await morning_run(
        hass,
        loaded,
        freezer,
        [
            {
                "action": "climate.set_hvac_mode",
                "target": {"entity_id": THERMOSTAT},
                "data": {"hvac_mode": "heat"},
            }
        ],
    )
    assert hass.states.get(THERMOSTAT).state == "heat"

    person = Context(user_id=PERSON)
    freezer.tick(timedelta(minutes=1))
    hass.states.async_set(THERMOSTAT, "cool", context=person)
    await settle(hass)
    assert hass.states.get(OVERRIDES).state == "1"
    await move_to(hass, freezer, at(7, 0))
    hass.states.async_set(THERMOSTAT, "off", context=person)
    await settle(hass)
    assert last_run(loaded).acted_at is None
    await move_to(hass, freezer, at(7, 30))
    hass.states.async_set(THERMOSTAT, "heat", context=person)
    await settle(hass)
    assert last_run(loaded).acted_at == at(7, 30)


async def test_a_run_no_longer_kept_takes_no_acted_time(
    hass: HomeAssistant, loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    lights(hass)
    # The first run switches the lamp on; the next ones the hall light.
    target = "{{ 'light.lamp' if trigger.to_state.state == 'first' else 'light.hall' }}"
    await deploy(
        loaded,
        "ha_ai_counter",
        [{"trigger": "state", "entity_id": "sensor.counter"}],
        [{"action": "light.turn_on", "target": {"entity_id": target}}],
    )
    hass.states.async_set("sensor.counter", "first")
    await settle(hass)
    freezer.tick(timedelta(minutes=1))
    await by_hand(hass, "turn_off")
    assert hass.states.get(OVERRIDES).state == "1"
    for value in range(RECENT_KEPT):
        hass.states.async_set("sensor.counter", str(value))
        await settle(hass)

    await by_hand(hass, "turn_on")
    recent = loaded.runtime_data.runs.table.recent_runs("ha_ai_counter")
    assert len(recent) == RECENT_KEPT
    assert not any(run.overridden or run.acted_at for run in recent)


async def test_a_call_asking_for_one_of_several_states_is_not_awaited(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    async_mock_service(hass, "cover", "open_cover")
    hass.states.async_set("cover.garage", "closed")
    await deploy(
        loaded,
        "ha_ai_garage",
        DOOR_TRIGGER,
        [{"action": "cover.open_cover", "target": {"entity_id": "cover.garage"}}],
    )
    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)
    # `opening` or `open`: nothing a person could be told to have undone.
    assert loaded.runtime_data.overrides.watch.pending_count == 0


async def test_a_run_setting_two_lights_both_undone_is_one_overridden_run(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lights(hass)
    # Remember one overridden entity only: the lamp's is dropped for the hall's.
    monkeypatch.setattr(overrides_module, "MAX_ACTED", 1)
    await morning_run(
        hass,
        loaded,
        freezer,
        [{"action": "light.turn_on", "target": {"entity_id": [LAMP, HALL]}}],
    )
    freezer.tick(timedelta(minutes=1))
    await by_hand(hass, "turn_off", LAMP)
    await by_hand(hass, "turn_off", HALL)

    assert hass.states.get(OVERRIDES).state == "2"
    health = loaded.runtime_data.runs.table.get("ha_ai_morning")
    assert (health.overrides, health.overridden_runs) == (2, 1)
    kept = hass.states.get(KEPT)
    assert (kept.state, kept.attributes["runs"], kept.attributes["kept"]) == (
        "0.0",
        1,
        0,
    )
    await by_hand(hass, "turn_on", LAMP)
    assert last_run(loaded).acted_at is None
    await by_hand(hass, "turn_on", HALL)
    assert last_run(loaded).acted_at is not None


async def test_a_reload_in_the_middle_keeps_the_counts(
    hass: HomeAssistant, loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    lights(hass)
    await deploy(loaded, "ha_ai_door", DOOR_TRIGGER, TURN_ON)
    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)
    freezer.tick(timedelta(minutes=1))
    await by_hand(hass, "turn_off")

    assert await hass.config_entries.async_reload(loaded.entry_id)
    await settle(hass)
    assert hass.states.get(OVERRIDES).state == "1"
    hass.states.async_set("binary_sensor.door", "off")
    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)
    freezer.tick(timedelta(minutes=1))
    wall_switch(hass, "off")
    await settle(hass)

    assert hass.states.get(OVERRIDES).state == "2"
    assert overridden(hass, "ha_ai_door") == 2
    health = loaded.runtime_data.runs.table.get("ha_ai_door")
    assert (health.runs, health.overridden_runs) == (2, 2)
    assert [
        run.overridden
        for run in loaded.runtime_data.runs.table.recent_runs("ha_ai_door")
    ] == [True, True]


@pytest.mark.parametrize(
    ("sun", "zone", "sun_up", "home"),
    [
        ("above_horizon", "2", True, True),
        ("below_horizon", "0", False, False),
        ("unavailable", "unknown", None, None),
        (None, "many", None, None),
        (None, None, None, None),
    ],
)
async def test_each_run_keeps_whether_the_sun_was_up_and_anyone_home(
    hass: HomeAssistant,
    loaded: MockConfigEntry,
    sun: str | None,
    zone: str | None,
    sun_up: bool | None,
    home: bool | None,
) -> None:
    lights(hass)
    if sun is not None:
        hass.states.async_set("sun.sun", sun)
    if zone is not None:
        hass.states.async_set("zone.home", zone)
    await deploy(loaded, "ha_ai_door", DOOR_TRIGGER, TURN_ON)
    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)

    run = last_run(loaded, "ha_ai_door")
    assert (run.sun_up, run.home) == (sun_up, home)


async def test_the_share_of_runs_kept(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    loaded: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    async def fail(_call: ServiceCall) -> None:
        raise HomeAssistantError("The lamp is gone")

    lights(hass)
    hass.services.async_register("test", "fail", fail)
    assert hass.states.get(KEPT).state == "unknown"
    await deploy(loaded, "ha_ai_door", DOOR_TRIGGER, TURN_ON)
    await deploy(loaded, "ha_ai_broken", DOOR_TRIGGER, [{"action": "test.fail"}])
    for _ in range(3):
        hass.states.async_set("binary_sensor.door", "off")
        hass.states.async_set("binary_sensor.door", "on")
        await settle(hass)
        freezer.tick(timedelta(minutes=1))
        if (
            hass.states.get(LAMP).state == "on"
            and hass.states.get(OVERRIDES).state == "0"
        ):
            await by_hand(hass, "turn_off")

    # Six runs: three failed, one of the three others undone by hand.
    kept = hass.states.get(KEPT)
    assert kept.attributes["runs"] == 6
    assert kept.attributes["kept"] == 2
    assert kept.state == "33.3"
    assert kept.attributes["deploy_success_rate"] is None  # no suggestion deployed
    assert kept.attributes["unit_of_measurement"] == "%"
    # An automation removed is no longer counted.
    await loaded.runtime_data.deployer.async_remove("ha_ai_broken")
    assert hass.states.get(KEPT).state == "66.7"


async def test_a_call_of_a_run_without_a_service_is_ignored_with_a_log_line(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    loaded: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    lights(hass)
    await deploy(loaded, "ha_ai_door", DOOR_TRIGGER, TURN_ON)
    hass.states.async_set("binary_sensor.door", "on")
    await settle(hass)
    (report,) = runs(mqtt_mock, EXECUTED)
    run = Context(id=report["run_id"])

    # Calls under the run's context that name no service or odd targets.
    for data in (
        {"domain": 5, "service": "turn_on"},
        {"domain": "light", "service": "turn_on", "service_data": "all of them"},
        {"domain": "light", "service": "turn_on", "service_data": {"entity_id": 7}},
        {
            "domain": "light",
            "service": "turn_on",
            "service_data": {"entity_id": "light." + "x" * 300},
        },
    ):
        hass.bus.async_fire(EVENT_CALL_SERVICE, data, context=run)
    await settle(hass)

    assert "names no service" in caplog.text
    assert loaded.runtime_data.overrides.watch.pending_count == 1  # the lamp only
    wall_switch(hass, "off")
    await settle(hass)
    assert hass.states.get(OVERRIDES).state == "1"


async def test_the_runs_remembered_are_bounded(
    hass: HomeAssistant, loaded: MockConfigEntry
) -> None:
    await deploy(loaded, "ha_ai_loop", DOOR_TRIGGER, TURN_ON)
    # Far more runs start than are remembered (fired outside a task, they are
    # told to the follower but not followed to their end).
    for _ in range(MAX_RUNS + 50):
        hass.loop.call_soon(
            hass.bus.async_fire,
            EVENT_AUTOMATION_TRIGGERED,
            {"entity_id": "automation.ha_ai_loop"},
            None,
            Context(),
        )
    await settle(hass)
    assert loaded.runtime_data.overrides.as_diagnostics()["runs_remembered"] == MAX_RUNS


async def test_unloading_stops_following(
    hass: HomeAssistant, loaded: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> None:
    lights(hass)
    await morning_run(hass, loaded, freezer)
    runs_api = loaded.runtime_data.runs
    assert await hass.config_entries.async_unload(loaded.entry_id)
    await settle(hass)

    freezer.tick(timedelta(minutes=1))
    await by_hand(hass, "turn_off")
    assert runs_api.table.get("ha_ai_morning").overrides == 0
