"""'Already automated': the same entity, to the same state, at the same moment."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from custom_components.ha_ai.engine.automations.references import coverage
from custom_components.ha_ai.engine.habits.automated import (
    pair_is_automated,
    routine_is_automated,
)
from tests.habit_helpers import COFFEE, MORNING

PLUG_ON = replace(MORNING, pattern_id="tod_plug", entity_id="switch.plug")


def timed(at: object, action: str, entity_id: str = "switch.plug") -> dict[str, Any]:
    return {
        "triggers": [{"trigger": "time", "at": at}],
        "actions": [{"action": action, "target": {"entity_id": entity_id}}],
    }


def triggered(trigger: dict[str, Any], action: str) -> dict[str, Any]:
    return {
        "triggers": [{"trigger": "state", "entity_id": "light.kitchen", **trigger}],
        "actions": [{"action": action, "entity_id": "switch.coffee"}],
    }


def routine_covered(*automations: dict[str, Any]) -> bool:
    return routine_is_automated(PLUG_ON, coverage(automations))


def pair_covered(*automations: dict[str, Any]) -> bool:
    return pair_is_automated(COFFEE, coverage(automations))


def test_the_same_state_at_about_the_same_time_counts() -> None:
    assert routine_covered(timed("07:05", "switch.turn_on"))
    assert routine_covered(timed("06:45:00", "switch.turn_on"))
    assert routine_covered(timed(["22:00", "07:10:00"], "homeassistant.turn_on"))


def test_another_state_or_another_time_does_not_count() -> None:
    # An unrelated automation turning the same plug off at another time.
    assert not routine_covered(timed("23:00", "switch.turn_off"))
    assert not routine_covered(timed("07:00", "switch.turn_off"))
    assert not routine_covered(timed("09:00", "switch.turn_on"))
    assert not routine_covered(timed("07:00", "switch.toggle"))
    assert not routine_covered(timed("07:00", "switch.turn_on", "switch.other"))


def test_only_fixed_times_of_day_are_compared() -> None:
    sunrise = {
        "triggers": [{"trigger": "sun", "event": "sunrise"}],
        "actions": [{"action": "switch.turn_on", "entity_id": "switch.plug"}],
    }
    assert not routine_covered(sunrise)
    assert not routine_covered(timed("input_datetime.wake_up", "switch.turn_on"))
    assert not routine_covered(timed("25:00", "switch.turn_on"))
    assert not routine_covered(timed(7, "switch.turn_on"))


def test_a_narrow_window_still_allows_a_few_minutes_and_midnight_wraps() -> None:
    narrow = replace(PLUG_ON, window_minutes=4)
    assert routine_is_automated(narrow, coverage([timed("07:14", "switch.turn_on")]))
    late = replace(PLUG_ON, minute_of_day=23 * 60 + 55)
    assert routine_is_automated(late, coverage([timed("00:05", "switch.turn_on")]))


def test_the_pairs_trigger_going_to_its_state_counts() -> None:
    assert pair_covered(triggered({"to": "on"}, "switch.turn_on"))
    assert pair_covered(triggered({}, "switch.turn_on"))  # any change of A
    assert pair_covered(triggered({"to": ["on", "off"]}, "switch.turn_on"))
    device = {
        "triggers": [
            {"trigger": "device", "entity_id": "light.kitchen", "type": "turned_on"}
        ],
        "actions": [{"action": "switch.turn_on", "entity_id": "switch.coffee"}],
    }
    assert pair_covered(device)


def test_another_trigger_state_or_target_state_does_not_count() -> None:
    assert not pair_covered(triggered({"to": "off"}, "switch.turn_on"))
    assert not pair_covered(triggered({"to": "on"}, "switch.turn_off"))
    other_device = {
        "triggers": [
            {"trigger": "device", "entity_id": "light.kitchen", "type": "changed"}
        ],
        "actions": [{"action": "switch.turn_on", "entity_id": "switch.coffee"}],
    }
    assert not pair_covered(other_device)
    at_seven = {
        "triggers": [{"trigger": "time", "at": "07:00"}],
        "actions": [{"action": "switch.turn_on", "entity_id": "switch.coffee"}],
    }
    assert not pair_covered(at_seven)


def test_nested_actions_set_their_own_states() -> None:
    automation = {
        "triggers": [{"trigger": "time", "at": "07:00"}],
        "actions": [
            {
                "choose": [
                    {
                        "conditions": [{"condition": "state", "entity_id": "x.y"}],
                        "sequence": [
                            {"service": "lock.unlock", "entity_id": "lock.front"},
                            {
                                "action": "cover.open_cover",
                                "data": {"entity_id": ["cover.blind"]},
                            },
                        ],
                    }
                ]
            }
        ],
    }
    found = coverage([automation]).timed_actions
    assert found == {("lock.front", "unlocked", 420), ("cover.blind", "open", 420)}
