"""What each service call sends, for checking against the service's schema."""

from __future__ import annotations

from custom_components.ha_ai.engine.automations.walk import service_data

LAMP = {"entity_id": "light.lamp"}


def automation(*actions: object) -> dict[str, object]:
    return {"triggers": [], "actions": list(actions)}


def test_data_and_target_are_merged_with_where_the_call_is() -> None:
    [call] = service_data(
        automation(
            {"action": "Light.Turn_On", "target": LAMP, "data": {"brightness": 9}}
        )
    )
    assert call.service == "light.turn_on"
    assert call.path == "actions[0].action"
    assert dict(call.data) == {"entity_id": "light.lamp", "brightness": 9}


def test_nested_calls_and_calls_without_data_are_found() -> None:
    calls = service_data(
        automation(
            {"action": "light.turn_off", "target": LAMP},
            {
                "if": [],
                "then": [{"service": "switch.turn_on", "data_template": {"a": 1}}],
            },
        )
    )
    assert [(c.service, dict(c.data)) for c in calls] == [
        ("light.turn_off", {"entity_id": "light.lamp"}),
        ("switch.turn_on", {"a": 1}),
    ]


def test_calls_known_only_at_run_time_are_left_out() -> None:
    assert (
        service_data(
            automation(
                {"action": "light.turn_on", "data": {"brightness": "{{ 5 }}"}},
                {"action": "light.turn_on", "data": {"list": ["{% if x %}"]}},
                {"action": "{{ 'light.turn_on' }}", "data": {}},
                {"action": "light.turn_on", "data": "brightness: 5"},
                {"action": "light.turn_on", "target": "light.lamp"},
                {"action": 5},
            )
        )
        == []
    )
