"""Rendered habits pass Home Assistant's own automation config validation."""

from __future__ import annotations

import copy
from dataclasses import replace

import pytest
from homeassistant.components.automation.config import async_validate_config_item
from homeassistant.core import HomeAssistant

from custom_components.ha_ai.engine.automations.render import render_automation
from custom_components.ha_ai.engine.habits.model import (
    DayClass,
    Pattern,
    TimeOfDayPattern,
)

from .engine.test_automations_render import PAIR as BASE_PAIR
from .engine.test_automations_render import ROUTINE

# The engine tests' patterns, with a motion sensor starting the pair.
PAIR = replace(BASE_PAIR, trigger_entity_id="binary_sensor.kitchen_motion")
PATTERNS: list[Pattern] = [
    *(replace(ROUTINE, day_class=day_class) for day_class in DayClass),
    replace(ROUTINE, entity_id="climate.hall", state="heat_cool"),
    replace(ROUTINE, entity_id="cover.blind", state="closed", minute_of_day=0),
    replace(ROUTINE, entity_id="media_player.radio", state="playing"),
    PAIR,
    replace(PAIR, trigger_entity_id="person.alice", trigger_state="not_home"),
    replace(PAIR, entity_id="lock.front", state="locked"),
]


def pattern_name(pattern: Pattern) -> str:
    if isinstance(pattern, TimeOfDayPattern):
        return f"{pattern.entity_id}-{pattern.state}-{pattern.day_class}"
    return f"{pattern.trigger_entity_id}-{pattern.entity_id}-{pattern.state}"


@pytest.mark.parametrize("pattern", PATTERNS, ids=pattern_name)
async def test_rendered_automation_validates(
    hass: HomeAssistant, pattern: Pattern
) -> None:
    config = render_automation(
        pattern,
        automation_id="1718000000000",
        names={"light.bedroom": 'Bedroom "light": {{ x }}\n'},
    )
    assert config is not None
    validated = await async_validate_config_item(
        hass, "1718000000000", copy.deepcopy(config)
    )
    assert validated is not None
    assert validated["id"] == "1718000000000"
    assert validated["alias"] == config["alias"]
    assert len(validated["triggers"]) == 1
    assert validated["actions"][0]["action"] == config["actions"][0]["action"]
