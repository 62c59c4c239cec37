"""Patterns for the habit tests of the Home Assistant side."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component

from custom_components.ha_ai.const import DOMAIN
from custom_components.ha_ai.engine.habits.model import (
    DayClass,
    TimeOfDayPattern,
    UsedTogetherPattern,
)

MINE = "custom_components.ha_ai.habits.coordinator.mine_habits"

MORNING = TimeOfDayPattern(
    pattern_id="tod_morning",
    entity_id="light.bedroom",
    state="on",
    day_class=DayClass.DAILY,
    minute_of_day=7 * 60,
    window_minutes=30,
    support_days=20,
    observed_days=21,
    confidence=0.8,
)
COFFEE = UsedTogetherPattern(
    pattern_id="pair_coffee",
    trigger_entity_id="light.kitchen",
    trigger_state="on",
    entity_id="switch.coffee",
    state="on",
    count=25,
    confidence=0.9,
    lift=14.0,
    median_delay_seconds=45.0,
    delay_spread_seconds=20.0,
)
COVERED = UsedTogetherPattern(
    pattern_id="pair_covered",
    trigger_entity_id="binary_sensor.door",
    trigger_state="on",
    entity_id="light.hall",
    state="on",
    count=30,
    confidence=0.95,
    lift=20.0,
    median_delay_seconds=3.0,
    delay_spread_seconds=1.0,
    automated=True,
)

HOUSE_ENTITIES = {
    "light.bedroom": "Bedroom light",
    "light.kitchen": "Kitchen light",
    "light.hall": "Hall light",
    "switch.coffee": "Coffee machine",
    "binary_sensor.door": "Front door",
}


def add_house(hass: HomeAssistant) -> list[ServiceCall]:
    """Give the patterns' entities states and their domains services.

    Suggestions are only made for automations whose entities and actions exist;
    the returned list collects every light and switch action called.
    """
    for entity_id, name in HOUSE_ENTITIES.items():
        hass.states.async_set(entity_id, "off", {"friendly_name": name})
    calls: list[ServiceCall] = []

    async def record(call: ServiceCall) -> None:
        calls.append(call)

    for domain in ("light", "switch"):
        for service in ("turn_on", "turn_off", "toggle"):
            hass.services.async_register(domain, service, record)
    return calls


async def writable_automations(hass: HomeAssistant, tmp_path: Path) -> None:
    """Set up automations from an empty automations.yaml HA AI can write into.

    The test's module overrides `mock_hass_config` (importing it from
    `fixtures_common`) so reloads read this configuration.yaml.
    """
    (tmp_path / "configuration.yaml").write_text(
        "automation: !include automations.yaml\n"
    )
    (tmp_path / "automations.yaml").write_text("[]\n")
    assert await async_setup_component(hass, "automation", {})


async def analyse(hass: HomeAssistant, patterns: list[Any]) -> None:
    """Run an analysis whose mining finds `patterns`, and let it settle."""
    with patch(MINE, return_value=patterns):
        await hass.services.async_call(DOMAIN, "run_analysis", blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
