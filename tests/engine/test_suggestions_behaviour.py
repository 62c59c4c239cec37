"""What an automation does: its fingerprint, and the title HA AI writes from it."""

from __future__ import annotations

from typing import Any

from custom_components.ha_ai.engine.suggestions.behaviour import (
    NO_AUTOMATION,
    automation_title,
    behaviour_fingerprint,
)
from custom_components.ha_ai.engine.suggestions.model import EntityFacts

NAMES = {
    "switch.plug": EntityFacts("Plug", "Office"),
    "binary_sensor.door": EntityFacts("Door"),
    "climate.hall": EntityFacts("Hall heating"),
}
PLUG_OFF = {"action": "switch.turn_off", "target": {"entity_id": "switch.plug"}}
NIGHT: dict[str, Any] = {
    "alias": "Lock the front door every night",
    "description": "Words.",
    "triggers": [{"trigger": "time", "at": "22:30:00"}],
    "conditions": [],
    "actions": [PLUG_OFF],
    "mode": "single",
}


def test_the_fingerprint_is_what_the_automation_does() -> None:
    reworded = {**NIGHT, "alias": "Other", "description": "Other", "id": "x"}
    assert behaviour_fingerprint(reworded) == behaviour_fingerprint(NIGHT)
    later = {**NIGHT, "triggers": [{"trigger": "time", "at": "23:00:00"}]}
    assert behaviour_fingerprint(later) != behaviour_fingerprint(NIGHT)
    singular = {"trigger": NIGHT["triggers"], "action": NIGHT["actions"]}
    plural = {"triggers": NIGHT["triggers"], "actions": NIGHT["actions"]}
    assert behaviour_fingerprint(singular) == behaviour_fingerprint(plural)
    assert behaviour_fingerprint(None) == NO_AUTOMATION


def test_a_title_that_lies_is_replaced_by_what_the_automation_does() -> None:
    # The LLM's alias says "Lock the front door"; the automation switches a plug off.
    assert (
        automation_title(NIGHT, NAMES) == "Turn off Plug in Office at 22:30 every day"
    )


def test_titles_of_each_trigger_and_condition_kind() -> None:
    door = {
        "triggers": [
            {"trigger": "state", "entity_id": "binary_sensor.door", "to": "off"},
            {"trigger": "sun", "event": "sunset"},
        ],
        "conditions": [{"condition": "time", "weekday": ["sat", "sun"]}],
        "actions": [{"delay": 5}, PLUG_OFF, {"condition": "state"}],
    }
    assert automation_title(door, NAMES) == (
        "Turn off Plug in Office when Door turns off or at sunset on weekends"
    )
    numeric = {
        "trigger": {
            "trigger": "numeric_state",
            "entity_id": ["switch.plug"],
            "above": 5,
        },
        "condition": [
            {"condition": "time", "after": "20:00"},
            {"condition": "time", "weekday": ["mon", "wed"]},
        ],
        "action": {
            "action": "climate.set_hvac_mode",
            "entity_id": "climate.hall",
            "data": {"hvac_mode": "heat_cool"},
        },
    }
    assert automation_title(numeric, NAMES) == (
        "Set Hall heating to heat cool when Plug in Office goes above 5 on mon, wed"
    )
    changes = {
        "triggers": [
            {"trigger": "state", "entity_id": "binary_sensor.door"},
            "not a trigger",
        ],
        "conditions": [
            {"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "fri"]}
        ],
        "actions": [{"action": "cover.open_cover", "target": {"entity_id": "cover.x"}}],
    }
    assert automation_title(changes, NAMES) == (
        "Open cover.x when Door changes on weekdays"
    )


def test_a_title_without_triggers_or_weekdays_says_only_what_it_does() -> None:
    bare = {
        "triggers": [],
        "conditions": [{"condition": "state"}, {"condition": "time", "after": "20:00"}],
        "actions": [PLUG_OFF],
    }
    assert automation_title(bare, NAMES) == "Turn off Plug in Office"
