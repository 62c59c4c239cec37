"""The demo house's history: what scripts/develop plants is what HA AI finds.

`scripts/develop` writes four weeks of a household into HA AI's log before Home
Assistant starts (`scripts/devenv/demo_history.py`), so that the first analysis
already has routines to suggest. These tests hold that promise: the planted
routines, pairs, weekend routine and forming routine are found (by the engine
alone, on several days of the year, and by HA AI's first analysis, which
suggests their automations), and the automation's changes in the log count for
nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import DOMAIN
from custom_components.ha_ai.engine.habits.log_files import read_table
from custom_components.ha_ai.engine.habits.mining import mine_habits
from custom_components.ha_ai.engine.habits.model import (
    Origin,
    PatternLevel,
    TimeOfDayPattern,
    UsedTogetherPattern,
)
from scripts import zigbee2mqtt_sim
from scripts.devenv.demo_history import (
    DAYS,
    LOG_DIRECTORY,
    DemoHousehold,
    Routine,
    demo_household,
    seed_history,
)
from scripts.devenv.develop import household_of
from scripts.devenv.history_check import history_problems
from scripts.devenv.home_assistant import TIME_ZONE

# A house of four devices (tests/fixtures/house), as develop picks its
# household's entities, and a bigger one with a second light.
DEMO_HOUSE = household_of(zigbee2mqtt_sim.build(zigbee2mqtt_sim.load_devices()))
BIG_HOUSE = demo_household(
    "light.living_room",
    "switch.coffee_machine",
    ["light.hall", "switch.tv", "binary_sensor.hall_motion", "sensor.power"],
)
# A Sunday, a Wednesday, and a day whose four weeks hold the spring's
# daylight-saving change.
NOWS = (
    datetime(2026, 12, 6, 12, 0, tzinfo=UTC),
    datetime(2026, 12, 2, 13, 0, tzinfo=UTC),
    datetime(2026, 4, 10, 9, 0, tzinfo=UTC),
)


def log_directory(config_dir: Path) -> Path:
    return config_dir.joinpath(".storage", *LOG_DIRECTORY)


def near(minute: int, planted: int, tolerance: int = 30) -> bool:
    distance = abs(minute - planted) % 1440
    return min(distance, 1440 - distance) <= tolerance


def routines_like(
    patterns: list[TimeOfDayPattern], routine: Routine
) -> list[TimeOfDayPattern]:
    return [
        p
        for p in patterns
        if (p.entity_id, p.state) == (routine.entity_id, routine.state)
        and near(p.minute_of_day, routine.minute_of_day)
    ]


def test_the_household_fits_a_house_of_four_devices() -> None:
    light, plug = "light.living_room_tv_light", "switch.kitchen_plug"
    assert DEMO_HOUSE.entities == [
        light,
        plug,
        "binary_sensor.hall_vibration_vibration",
    ]
    # Without a second light there is one pair; the bridge's diagnostic
    # connection state is nobody's habit.
    assert [(p.trigger_entity_id, p.entity_id) for p in DEMO_HOUSE.pairs] == [
        (light, plug)
    ]
    [forming] = DEMO_HOUSE.forming
    assert forming.entity_id == "binary_sensor.hall_vibration_vibration"
    assert forming.first_day == DAYS - 5
    assert {r.day_class for r in DEMO_HOUSE.established} == {
        "daily",
        "weekdays",
        "weekends",
    }
    assert {(r.entity_id, r.time) for r in DEMO_HOUSE.automated} == {
        (light, "06:30"),
        (light, "07:15"),
    }


def test_a_bigger_house_gets_a_second_pair() -> None:
    assert [(p.trigger_entity_id, p.entity_id) for p in BIG_HOUSE.pairs] == [
        ("light.living_room", "switch.coffee_machine"),
        ("light.living_room", "light.hall"),
    ]
    [forming] = BIG_HOUSE.forming
    assert forming.entity_id == "switch.tv"
    assert "sensor.power" not in BIG_HOUSE.entities


@pytest.mark.parametrize("now", NOWS, ids=lambda now: now.date().isoformat())
@pytest.mark.parametrize(
    "household", [DEMO_HOUSE, BIG_HOUSE], ids=["four devices", "bigger house"]
)
def test_the_engine_finds_what_was_planted(
    tmp_path: Path, household: DemoHousehold, now: datetime
) -> None:
    written = seed_history(tmp_path, household, time_zone=TIME_ZONE, now=now)
    assert written is not None
    assert written.days == DAYS
    table = read_table(log_directory(tmp_path), since=(now - timedelta(days=60)).date())
    assert written.changes == len(table)
    # The automation's changes are in the log, as automated ones.
    automated = {
        table.entity_ids[int(table.entity[i])]
        for i in range(len(table))
        if table.origin[i] == Origin.AUTOMATED
    }
    assert {r.entity_id for r in household.automated} <= automated

    patterns = mine_habits(table, timezone=ZoneInfo(TIME_ZONE), end=now)
    routines = [p for p in patterns if isinstance(p, TimeOfDayPattern)]
    pairs = [p for p in patterns if isinstance(p, UsedTogetherPattern)]
    for routine in household.established:
        found = routines_like(routines, routine)
        assert [(p.day_class, p.level) for p in found] == [
            (routine.day_class, PatternLevel.ESTABLISHED)
        ], routine
    for routine in household.forming:
        [found] = routines_like(routines, routine)
        assert found.level is PatternLevel.FORMING
    assert [p for p in patterns if p.level is PatternLevel.FORMING] == [
        p for r in household.forming for p in routines_like(routines, r)
    ]
    for routine in household.automated:
        assert routines_like(routines, routine) == [], routine
    for pair in household.pairs:
        assert any(
            (p.trigger_entity_id, p.trigger_state, p.entity_id, p.state)
            == (pair.trigger_entity_id, pair.trigger_state, pair.entity_id, pair.state)
            and p.level is PatternLevel.ESTABLISHED
            and not p.reverse_only
            for p in pairs
        ), pair


def test_a_log_with_days_is_kept(tmp_path: Path) -> None:
    assert seed_history(tmp_path, DEMO_HOUSE, time_zone=TIME_ZONE) is not None
    before = {p: p.read_bytes() for p in log_directory(tmp_path).iterdir()}
    assert seed_history(tmp_path, BIG_HOUSE, time_zone=TIME_ZONE) is None
    assert {p: p.read_bytes() for p in log_directory(tmp_path).iterdir()} == before


def add_devices(hass: HomeAssistant, household: DemoHousehold) -> None:
    """Give the household's entities states and their domains' actions."""
    for entity_id in household.entities:
        hass.states.async_set(entity_id, "off")

    async def ignore(call: ServiceCall) -> None:
        """The devices answer nothing here."""

    for domain in ("light", "switch"):
        for service in ("turn_on", "turn_off", "toggle"):
            hass.services.async_register(domain, service, ignore)


@pytest.mark.parametrize("now", NOWS)
async def test_the_first_analysis_suggests_the_planted_habits(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    now: datetime,
) -> None:
    # The same dates as the engine's test above: what is found depends on them.
    freezer.move_to(now)
    await hass.config.async_set_time_zone(TIME_ZONE)
    add_devices(hass, DEMO_HOUSE)
    seed_history(
        Path(hass.config.config_dir),
        DEMO_HOUSE,
        time_zone=TIME_ZONE,
        now=now,
    )
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    await hass.services.async_call(
        DOMAIN, "run_analysis", blocking=True, return_response=True
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    response = await hass.services.async_call(
        DOMAIN, "get_suggestions", {"limit": 200}, blocking=True, return_response=True
    )
    assert response is not None
    patterns = hass.states.get("sensor.ha_ai_patterns_detected")
    assert patterns is not None

    found, problems = history_problems(
        DEMO_HOUSE,
        response["suggestions"],  # type: ignore[arg-type]
        dict(patterns.attributes),
    )
    assert problems == []
    assert any(line.startswith("weekend routine switch.kitchen_plug") for line in found)
    assert sum("not counted" in line for line in found) == 2


def test_the_check_says_what_is_missing() -> None:
    found, problems = history_problems(DEMO_HOUSE, [], {"forming": 2})
    assert len(problems) == 4 + 1 + 1 + 1  # routines, pair, forming count, none
    assert (
        "no suggested automation for the routine "
        "switch.kitchen_plug on at 08:40 weekends" in problems
    )
    assert (
        "2 forming patterns, not 1 (the forming routine, nothing made by an automation)"
        in problems
    )
    assert sum("not counted" in line for line in found) == 2
