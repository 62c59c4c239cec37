"""The household followed live: its routines announced on MQTT, its state shown.

The routines are built by hand (the analysis that learns them is not run): an
analysis' result carries them, as the habit analysis hands them on. The clock is
frozen and moved through the day; the house's changes are made as a person, an
automation or the system would make them.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import (
    Context,
    Event,
    EventStateChangedData,
    HomeAssistant,
    callback,
)
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import (
    CONF_ANNOUNCE_FORMING_ROUTINES,
    CONF_EXCLUDED_ENTITIES,
    DEFAULT_OPTIONS,
)
from custom_components.ha_ai.engine.habits.model import DayClass, PatternLevel
from custom_components.ha_ai.engine.household.model import (
    EntityRole,
    HouseholdRoutines,
)
from custom_components.ha_ai.habits import coordinator as habit_analysis
from custom_components.ha_ai.household.follower import HOUSEHOLD_STORE_KEY
from custom_components.ha_ai.household.roles import household_roles

from .conftest import published
from .engine.household_live.routines import (
    BEDTIME,
    FALL_BACK,
    HOUSEHOLD,
    LEARNED_AWAY,
    MORNING,
    SATURDAY,
    SPRING_FORWARD,
    TUESDAY,
    ZONE,
    at,
)

SENSOR = "sensor.ha_ai_household_state"
EVENT = "event.ha_ai_household"
PREFIX = "ha-ai/events/pattern/"
TOPICS = {
    "morning_routine_detected",
    "bedtime_detected",
    "away_from_home",
    "back_home",
}


HOUSE = {
    "light.bedroom": "off",
    "light.kitchen": "off",
    "light.hall": "off",
    "switch.coffee": "off",
    "media_player.tv": "on",
    "person.anna": "home",
    "person.ben": "home",
}


class Learned:
    """The routines each analysis learns."""

    def __init__(self) -> None:
        self.routines = HouseholdRoutines()


@pytest.fixture
def learned() -> Generator[Learned]:
    """Make every habit analysis learn `learned.routines` of the household."""
    holder = Learned()

    def learning(*_: Any, **__: Any) -> HouseholdRoutines:
        return holder.routines

    with patch.object(habit_analysis, "learn_household", learning):
        yield holder


@pytest.fixture
def start() -> datetime:
    """Return when HA AI is set up: a Monday evening, unless a test says otherwise."""
    return at(TUESDAY, 18, days=-1)


@pytest.fixture
async def house(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    learned: Learned,
    start: datetime,
) -> AsyncGenerator[MockConfigEntry]:
    """Set HA AI up in Berlin at `start`, before the routines are learned."""
    await hass.config.async_set_time_zone(str(ZONE))
    freezer.move_to(start)
    # The house as it is: a first state is a restore, not a person's change.
    for entity_id, value in HOUSE.items():
        hass.states.async_set(entity_id, value)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    return config_entry


def learn(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    learned: Learned,
    routines: HouseholdRoutines,
) -> None:
    """Hand the routines on as the analysis does after a run."""
    learned.routines = routines
    habits = entry.runtime_data.habits
    habits.async_set_updated_data(replace(habits.data, household=routines))


def announced(mqtt_mock: MqttMockHAClient) -> list[tuple[str, dict[str, Any]]]:
    return [
        (topic.removeprefix(PREFIX), payload)
        for topic, payload, _, _ in published(mqtt_mock, PREFIX)
        if topic.removeprefix(PREFIX) in TOPICS
    ]


async def move_to(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: datetime
) -> None:
    """Move the clock on, letting the minute timers run as they would."""
    freezer.move_to(moment)
    async_fire_time_changed(hass, moment)
    await hass.async_block_till_done()


def state(hass: HomeAssistant, entity_id: str = SENSOR) -> str:
    found = hass.states.get(entity_id)
    assert found is not None
    return found.state


@pytest.fixture
def fired(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Collect the attributes of each event the household entity fires."""
    attributes: list[dict[str, Any]] = []

    @callback
    def changed(event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and new.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE):
            attributes.append(dict(new.attributes))

    async_track_state_change_event(hass, [EVENT], changed)
    return attributes


async def test_a_day_announces_its_morning_and_bedtime_once_each(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    house: MockConfigEntry,
    learned: Learned,
    fired: list[dict[str, Any]],
) -> None:
    assert state(hass) == STATE_UNKNOWN  # nothing learned yet
    learn(hass, house, learned, HOUSEHOLD)
    await hass.async_block_till_done()
    assert state(hass) == "day"
    await move_to(hass, freezer, at(TUESDAY, 20, days=-1))
    assert state(hass) == "evening"
    hass.states.async_set("media_player.tv", "on")
    await move_to(hass, freezer, at(TUESDAY, 23, days=-1))
    hass.states.async_set("media_player.tv", "off")
    await hass.async_block_till_done()
    assert state(hass) == "bedtime"
    await move_to(hass, freezer, at(TUESDAY, 3))
    assert state(hass) == "night"

    await move_to(hass, freezer, at(TUESDAY, 6, 45))
    hass.states.async_set("light.bedroom", "on")
    await hass.async_block_till_done()
    assert state(hass) == "morning"
    await move_to(hass, freezer, at(TUESDAY, 6, 48))
    hass.states.async_set("light.kitchen", "on")
    hass.states.async_set("light.bedroom", "off")
    hass.states.async_set("light.bedroom", "on")
    await move_to(hass, freezer, at(TUESDAY, 12))
    assert state(hass) == "day"
    await move_to(hass, freezer, at(TUESDAY, 22, 50))
    hass.states.async_set("media_player.tv", "on")
    hass.states.async_set("media_player.tv", "off")
    await hass.async_block_till_done(wait_background_tasks=True)

    [(bedtime_topic, yesterday), (morning_topic, morning), (_, tonight)] = announced(
        mqtt_mock
    )
    assert bedtime_topic == "bedtime_detected"
    assert yesterday["routine_id"] == "bedtime_daily"
    assert morning_topic == "morning_routine_detected"
    assert morning["routine_id"] == "morning_weekdays"
    assert morning["kind"] == "morning_routine"
    assert morning["started_by"] == {"entity_id": "light.bedroom", "state": "on"}
    assert morning["follows"] == [
        {
            "entity_id": "light.kitchen",
            "state": "on",
            "typical_delay_seconds": 300,
            "share": 0.8,
        },
        {
            "entity_id": "switch.coffee",
            "state": "on",
            "typical_delay_seconds": 600,
            "share": 0.7,
        },
    ]
    assert morning["level"] == "established"
    assert morning["confidence"] == 0.72
    assert morning["day_class"] == "weekdays"
    assert morning["window"] == {"start": "06:30", "end": "07:15"}
    assert datetime.fromisoformat(morning["at"]) == at(TUESDAY, 6, 45)
    # The bus's envelope.
    assert morning["event_id"]
    assert morning["timestamp"]
    assert tonight["started_by"] == {"entity_id": "media_player.tv", "state": "off"}

    assert [event["event_type"] for event in fired] == [
        "bedtime",
        "morning_routine",
        "bedtime",
    ]
    assert fired[1]["routine_id"] == "morning_weekdays"
    assert fired[1]["follows"] == morning["follows"]
    assert fired[1]["event_types"] == [
        "morning_routine",
        "bedtime",
        "away",
        "back_home",
    ]
    assert state(hass) == "bedtime"


async def test_a_weekend_without_its_routine_announces_no_morning(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    house: MockConfigEntry,
    learned: Learned,
) -> None:
    learn(hass, house, learned, HouseholdRoutines(routines=(MORNING,)))
    await move_to(hass, freezer, at(SATURDAY, 2))
    await move_to(hass, freezer, at(SATURDAY, 6, 45))
    hass.states.async_set("light.bedroom", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert announced(mqtt_mock) == []
    assert state(hass) == "day"


@pytest.mark.parametrize(
    ("entry_options", "expected"),
    [
        (dict(DEFAULT_OPTIONS), []),
        (
            {**DEFAULT_OPTIONS, CONF_ANNOUNCE_FORMING_ROUTINES: True},
            ["morning_routine_detected"],
        ),
    ],
    ids=["silent", "asked_for"],
)
async def test_a_forming_morning_is_announced_only_when_asked_for(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    house: MockConfigEntry,
    learned: Learned,
    expected: list[str],
) -> None:
    forming = replace(MORNING, level=PatternLevel.FORMING)
    learn(hass, house, learned, HouseholdRoutines(routines=(forming,)))
    await move_to(hass, freezer, at(TUESDAY, 6, 40))
    hass.states.async_set("light.bedroom", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [topic for topic, _ in announced(mqtt_mock)] == expected
    assert state(hass) == "morning"


async def test_everyone_away_then_back_from_the_persons(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    house: MockConfigEntry,
    learned: Learned,
    fired: list[dict[str, Any]],
) -> None:
    hass.states.async_set("person.anna", "home")
    hass.states.async_set("person.ben", "home")
    learn(hass, house, learned, HOUSEHOLD)
    await move_to(hass, freezer, at(TUESDAY, 8))
    hass.states.async_set("person.anna", "not_home")
    await hass.async_block_till_done()
    assert state(hass) == "day"
    await move_to(hass, freezer, at(TUESDAY, 8, 10))
    hass.states.async_set("person.ben", "work")
    await hass.async_block_till_done()
    assert state(hass) == "away"
    attributes = hass.states.get(SENSOR).attributes  # type: ignore[union-attr]
    assert attributes["away_source"] == "presence"
    # An automation's light while away is no one coming home.
    hass.states.async_set("light.hall", "on", context=Context(parent_id="run"))
    await move_to(hass, freezer, at(TUESDAY, 17))
    hass.states.async_set("person.ben", "home")
    await hass.async_block_till_done(wait_background_tasks=True)
    [(away_topic, away), (back_topic, back)] = announced(mqtt_mock)
    assert away_topic == "away_from_home"
    assert away["away_source"] == "presence"
    assert away["started_by"] == {"entity_id": "person.ben", "state": "work"}
    assert back_topic == "back_home"
    assert back["started_by"] == {"entity_id": "person.ben", "state": "home"}
    assert [event["event_type"] for event in fired] == ["away", "back_home"]
    assert state(hass) == "day"


async def test_an_absence_that_began_while_stopped_is_announced_at_start(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    house: MockConfigEntry,
    learned: Learned,
) -> None:
    # Learned by an analysis, so the routines are kept across the restart.
    learned.routines = HOUSEHOLD
    await house.runtime_data.habits.async_refresh()
    await hass.async_block_till_done()
    await hass.config_entries.async_unload(house.entry_id)
    hass.states.async_set("person.anna", "not_home")
    hass.states.async_set("person.ben", "not_home")
    assert await hass.config_entries.async_setup(house.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [topic for topic, _ in announced(mqtt_mock)] == ["away_from_home"]
    # Started again while away: nothing new.
    assert await hass.config_entries.async_reload(house.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(announced(mqtt_mock)) == 1


async def test_learned_away_after_the_silence_and_back_with_the_door(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    house: MockConfigEntry,
    learned: Learned,
    entity_registry: er.EntityRegistry,
) -> None:
    entity_registry.async_get_or_create(
        "binary_sensor",
        "test",
        "hall",
        suggested_object_id="hall",
        original_device_class="motion",
    )
    door = {"device_class": "door"}
    hass.states.async_set("binary_sensor.front_door", "off", door)
    hass.states.async_set("lock.front", "unlocked")
    routines = HouseholdRoutines(routines=(MORNING, BEDTIME), away=LEARNED_AWAY)
    learn(hass, house, learned, routines)
    await move_to(hass, freezer, at(TUESDAY, 9))
    hass.states.async_set("binary_sensor.hall", "on")
    hass.states.async_set("binary_sensor.front_door", "on", door)
    hass.states.async_set("binary_sensor.front_door", "off", door)
    hass.states.async_set("binary_sensor.hall", "off")
    await move_to(hass, freezer, at(TUESDAY, 9, 1))
    hass.states.async_set("lock.front", "locked")
    await move_to(hass, freezer, at(TUESDAY, 9, 30))
    assert announced(mqtt_mock) == []
    assert state(hass) == "day"
    await move_to(hass, freezer, at(TUESDAY, 9, 47))
    assert state(hass) == "away"
    await move_to(hass, freezer, at(TUESDAY, 17))
    hass.states.async_set("binary_sensor.front_door", "on", door)
    await hass.async_block_till_done(wait_background_tasks=True)
    [(away_topic, away), (back_topic, back)] = announced(mqtt_mock)
    assert away_topic == "away_from_home"
    assert away["away_source"] == "learned"
    assert datetime.fromisoformat(away["at"]) == at(TUESDAY, 9, 1)
    assert away["started_by"] == {"entity_id": "lock.front", "state": "locked"}
    assert back_topic == "back_home"
    assert back["started_by"] == {
        "entity_id": "binary_sensor.front_door",
        "state": "on",
    }
    assert household_roles(
        hass,
        [
            "binary_sensor.hall",
            "binary_sensor.front_door",
            "lock.front",
            "light.x",
            "binary_sensor.window",
            "person.anna",
            "device_tracker.phone",
        ],
    ) == {
        "binary_sensor.hall": EntityRole.MOTION,
        "binary_sensor.front_door": EntityRole.DOOR,
        "lock.front": EntityRole.LOCK,
        "person.anna": EntityRole.PRESENCE,
        "device_tracker.phone": EntityRole.PRESENCE,
    }


async def test_a_restart_mid_morning_repeats_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    house: MockConfigEntry,
    learned: Learned,
    hass_storage: dict[str, Any],
) -> None:
    learn(hass, house, learned, HOUSEHOLD)
    await move_to(hass, freezer, at(TUESDAY, 6, 40))
    hass.states.async_set("light.bedroom", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(announced(mqtt_mock)) == 1

    assert await hass.config_entries.async_reload(house.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    memory = hass_storage[HOUSEHOLD_STORE_KEY]["data"]
    assert memory["occurrences"]["morning"]["day"] == TUESDAY.isoformat()
    assert state(hass) == "morning"
    await move_to(hass, freezer, at(TUESDAY, 6, 45))
    hass.states.async_set("light.bedroom", "off")
    hass.states.async_set("light.bedroom", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(announced(mqtt_mock)) == 1
    assert state(hass) == "morning"


@pytest.mark.parametrize(
    ("sunday", "start"),
    [
        (SPRING_FORWARD, at(SPRING_FORWARD, 18, days=-1)),
        (FALL_BACK, at(FALL_BACK, 18, days=-1)),
    ],
    ids=["spring", "fall"],
)
async def test_a_daylight_saving_day_keeps_the_wall_clock(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    house: MockConfigEntry,
    learned: Learned,
    sunday: date,
) -> None:
    daily = replace(MORNING, day_class=DayClass.DAILY)
    learn(hass, house, learned, HouseholdRoutines(routines=(daily, BEDTIME)))
    await move_to(hass, freezer, at(sunday, 23, days=-1))
    hass.states.async_set("media_player.tv", "on")
    hass.states.async_set("media_player.tv", "off")
    await move_to(hass, freezer, at(sunday, 2, 30) + timedelta(hours=1))
    assert state(hass) == "night"
    await move_to(hass, freezer, at(sunday, 6, 20))
    hass.states.async_set("light.bedroom", "on")
    hass.states.async_set("light.bedroom", "off")
    await move_to(hass, freezer, at(sunday, 6, 31))
    hass.states.async_set("light.bedroom", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    [_, (topic, morning)] = announced(mqtt_mock)
    assert topic == "morning_routine_detected"
    assert datetime.fromisoformat(morning["at"]) == at(sunday, 6, 31)
    assert state(hass) == "morning"


async def test_the_sensor_shows_the_learned_windows(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    house: MockConfigEntry,
    learned: Learned,
) -> None:
    learn(hass, house, learned, HOUSEHOLD)
    await hass.async_block_till_done()
    found = hass.states.get(SENSOR)
    assert found is not None
    assert found.attributes["options"] == [
        "night",
        "morning",
        "day",
        "evening",
        "bedtime",
        "away",
    ]
    assert found.attributes["morning"] == {
        "weekdays": {
            "typical_start": "06:45",
            "window_start": "06:30",
            "window_end": "07:15",
            "level": "established",
            "confidence": 0.72,
        }
    }
    assert found.attributes["bedtime"]["daily"]["window_end"] == "23:30"
    assert found.attributes["away_source"] == "presence"
    # The next analysis learned nothing: the windows go, the state is unknown.
    learn(hass, house, learned, HouseholdRoutines())
    await hass.async_block_till_done()
    found = hass.states.get(SENSOR)
    assert found is not None
    assert found.state == STATE_UNKNOWN
    assert found.attributes["morning"] == {}
    assert found.attributes["away_source"] is None
    assert state(hass, EVENT) == STATE_UNKNOWN


@pytest.mark.parametrize(
    "entry_options",
    [{**DEFAULT_OPTIONS, CONF_EXCLUDED_ENTITIES: ["light.secret", "person.secret"]}],
)
async def test_bad_input_never_breaks_it(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    house: MockConfigEntry,
    learned: Learned,
) -> None:
    learn(hass, house, learned, HOUSEHOLD)
    await move_to(hass, freezer, at(TUESDAY, 6, 40))
    for entity_id in ("light.a_b", "person.x", "binary_sensor.y", "lock.z"):
        for value in (STATE_UNAVAILABLE, STATE_UNKNOWN, "x" * 255, "on", "\u202e"):
            hass.states.async_set(entity_id, value, {"device_class": ["odd"]})
    hass.states.async_remove("light.a_b")
    # An excluded entity is not the household, whatever it does.
    hass.states.async_set("light.secret", "on")
    hass.states.async_set("light.bedroom", STATE_UNAVAILABLE)
    hass.states.async_set("light.bedroom", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    # Coming back from unavailable is the system's: no morning from it.
    assert announced(mqtt_mock) == []
    hass.states.async_set("light.bedroom", "off")
    hass.states.async_set("light.bedroom", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [topic for topic, _ in announced(mqtt_mock)] == ["morning_routine_detected"]
    # Restarted with an excluded person away: nothing of it.
    hass.states.async_set("person.secret", "not_home")
    assert await hass.config_entries.async_reload(house.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(announced(mqtt_mock)) == 1


@pytest.mark.parametrize(
    "stored", [["not", "an", "object"], {"version": 99}], ids=["list", "newer"]
)
async def test_an_unreadable_memory_is_set_aside_and_the_household_followed(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
    learned: Learned,
    config_entry: MockConfigEntry,
    stored: object,
) -> None:
    hass_storage[HOUSEHOLD_STORE_KEY] = {
        "version": 1,
        "minor_version": 1,
        "key": HOUSEHOLD_STORE_KEY,
        "data": stored,
    }
    await hass.config.async_set_time_zone(str(ZONE))
    freezer.move_to(at(TUESDAY, 0))
    hass.states.async_set("light.bedroom", "off")
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    learn(hass, config_entry, learned, HOUSEHOLD)
    await move_to(hass, freezer, at(TUESDAY, 6, 45))
    hass.states.async_set("light.bedroom", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [topic for topic, _ in announced(mqtt_mock)] == ["morning_routine_detected"]
