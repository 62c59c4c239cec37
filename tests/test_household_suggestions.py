"""Household routines become suggestions whose automations follow its moments."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.ha_ai.const import DOMAIN, HOUSEHOLD_EVENT_KEY
from custom_components.ha_ai.engine.habits.model import DayClass, PatternLevel
from custom_components.ha_ai.engine.household.model import (
    HouseholdRoutine,
    HouseholdRoutines,
    RoutineKind,
    RoutineStep,
)

from .fixtures_common import mock_hass_config, no_cooldown  # noqa: F401
from .habit_helpers import add_house, writable_automations

BEDTIME = HouseholdRoutine(
    routine_id="bedtime_daily",
    kind=RoutineKind.BEDTIME,
    day_class=DayClass.DAILY,
    typical_start=23 * 60,
    window_start=22 * 60 + 40,
    window_end=23 * 60 + 20,
    starters=(("light.bedroom", "on"),),
    steps=(
        RoutineStep(
            entity_id="light.kitchen", state="off", typical_delay_seconds=30, share=0.9
        ),
        RoutineStep(
            entity_id="light.hall", state="off", typical_delay_seconds=90, share=0.8
        ),
    ),
    support_days=25,
    observed_days=28,
    confidence=0.74,
    level=PatternLevel.ESTABLISHED,
    quiet_minutes=450,
)


@pytest.fixture
async def house(hass: HomeAssistant, tmp_path: Path) -> None:
    """A house whose automations.yaml HA AI can write into."""
    add_house(hass)
    await writable_automations(hass, tmp_path)


def register_event_entity(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    return (
        er.async_get(hass)
        .async_get_or_create(
            "event",
            DOMAIN,
            f"{entry.entry_id}_{HOUSEHOLD_EVENT_KEY}",
            suggested_object_id="ha_ai_household",
        )
        .entity_id
    )


async def learn(entry: MockConfigEntry, *routines: HouseholdRoutine) -> None:
    await entry.runtime_data.suggestions.async_refresh_patterns(
        [], HouseholdRoutines(routines=routines)
    )


async def listed(hass: HomeAssistant) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        DOMAIN, "get_suggestions", {}, blocking=True, return_response=True
    )
    assert response is not None
    return list(response["suggestions"])


@pytest.mark.usefixtures("house")
async def test_bedtime_becomes_a_suggestion_that_deploys(
    hass: HomeAssistant, setup_entry: MockConfigEntry, tmp_path: Path
) -> None:
    event_entity = register_event_entity(hass, setup_entry)
    await learn(setup_entry, BEDTIME)
    [suggestion] = await listed(hass)
    assert suggestion["kind"] == "household"
    assert suggestion["title"] == (
        "At bedtime every day: turn off Kitchen light; turn off Hall light"
    )
    assert suggestion["entities"] == ["light.kitchen", "light.hall"]
    automation = suggestion["automation"]
    assert automation["triggers"][0]["entity_id"] == event_entity
    assert automation["conditions"][0]["state"] == "bedtime"

    response = await hass.services.async_call(
        DOMAIN,
        "accept_suggestion",
        {"suggestion_id": suggestion["suggestion_id"]},
        blocking=True,
        return_response=True,
    )
    await hass.async_block_till_done()
    assert response is not None
    assert response["status"] == "deployed"
    written = (tmp_path / "automations.yaml").read_text()
    assert f"entity_id: {event_entity}" in written
    assert "action: light.turn_off" in written


@pytest.mark.usefixtures("house")
async def test_without_the_event_entity_nothing_is_proposed(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    er.async_get(hass).async_remove(register_event_entity(hass, setup_entry))
    await learn(setup_entry, BEDTIME)
    assert await listed(hass) == []


@pytest.mark.usefixtures("house")
async def test_forming_routines_and_missing_entities_propose_nothing(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    register_event_entity(hass, setup_entry)
    gone = replace(
        BEDTIME,
        routine_id="bedtime_weekends",
        day_class=DayClass.WEEKENDS,
        steps=(
            RoutineStep(
                entity_id="light.gone", state="off", typical_delay_seconds=5, share=1.0
            ),
        ),
    )
    await learn(setup_entry, replace(BEDTIME, level=PatternLevel.FORMING), gone)
    assert await listed(hass) == []


@pytest.mark.usefixtures("house")
async def test_a_refused_automation_is_not_proposed(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    register_event_entity(hass, setup_entry)
    locks = replace(
        BEDTIME,
        steps=(
            RoutineStep(
                entity_id="lock.front",
                state="unlocked",
                typical_delay_seconds=5,
                share=1.0,
            ),
        ),
    )
    hass.states.async_set("lock.front", "locked")
    await learn(setup_entry, locks)
    assert await listed(hass) == []
