"""Each attack on the safety check seen on a running instance, refused for good.

Every part of an automation is judged, not only its service calls: events,
unknown step kinds and keys, webhook and other triggers, `all` and templated
targets, unbounded templates and repeats, and configs too big to store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest

from custom_components.ha_ai.engine.automations.bounds import (
    MAX_NESTING,
    MAX_NODES,
    MAX_STRING_LENGTH,
    MAX_TOTAL_TEXT,
)
from custom_components.ha_ai.engine.automations.found import MAX_PROBLEMS
from custom_components.ha_ai.engine.automations.render import render_automation
from custom_components.ha_ai.engine.automations.safety import (
    DEFAULT_ALLOWED_SERVICES,
    MAX_TEMPLATE_TEXT,
    MAX_TEMPLATE_TOKENS_TOTAL,
    MAX_TEMPLATES,
    NEVER_ALLOWED_SERVICES,
    SENSITIVE,
    SENSITIVE_SERVICES,
    Refusal,
    RefusalReason,
    check_automation,
    is_forbidden,
    is_sensitive,
)
from custom_components.ha_ai.engine.automations.walk import MAX_REPEAT

from .test_automations_render import PAIR, ROUTINE

TRIGGER = {"trigger": "time", "at": "07:00:00"}
LIGHT_ON = {"action": "light.turn_on", "target": {"entity_id": "light.kitchen"}}
LOOP = "{% for i in range(3000) %}{% for j in range(3000) %}{% endfor %}{% endfor %}"


def automation(*actions: Any, **extra: Any) -> dict[str, Any]:
    return {"alias": "Test", "triggers": [TRIGGER], "actions": list(actions), **extra}


def check(config: Any, **options: Any) -> list[Refusal]:
    settings: dict[str, Any] = {
        "allowed": DEFAULT_ALLOWED_SERVICES,
        "sensitive_allowed": (),
    }
    return check_automation(config, **(settings | options))


def reasons(config: Any, **options: Any) -> list[RefusalReason]:
    return [refusal.reason for refusal in check(config, **options)]


def only(config: Any, reason: RefusalReason, **options: Any) -> Refusal:
    refusals = check(config, **options)
    assert [refusal.reason for refusal in refusals] == [reason], refusals
    return refusals[0]


def nest_in_every_block(step: dict[str, Any]) -> list[dict[str, Any]]:
    """Return `step` hidden in each kind of block that holds steps."""
    return [
        {"choose": [{"conditions": [], "sequence": [step]}]},
        {"choose": [], "default": [step]},
        {"if": [], "then": [LIGHT_ON], "else": [step]},
        {"parallel": [LIGHT_ON, [step]]},
        {"repeat": {"count": 2, "sequence": [step]}},
        {"sequence": [{"sequence": [step]}]},
    ]


# Actions: every kind of step is judged.


def test_event_homeassistant_stop_is_refused() -> None:
    refusal = only(automation({"event": "homeassistant_stop"}), RefusalReason.FORBIDDEN)
    assert "firing events is never allowed" in refusal.message
    assert "'homeassistant_stop'" in refusal.message
    assert refusal.path == "actions[0]"


@pytest.mark.parametrize(
    "event",
    [
        "homeassistant_start",
        "homeassistant_close",
        "homeassistant_final_write",
        "call_service",
        "zha_event",  # a fake button press for every automation listening to it
        "{{ 'homeassistant_' ~ 'stop' }}",
    ],
)
def test_firing_any_event_is_refused(event: str) -> None:
    config = automation({"event": event, "event_data": {"device_ieee": "x"}})
    only(config, RefusalReason.FORBIDDEN)


@pytest.mark.parametrize("block", nest_in_every_block({"event": "homeassistant_stop"}))
def test_event_hidden_in_a_nested_block_is_refused(block: dict[str, Any]) -> None:
    only(automation(block), RefusalReason.FORBIDDEN)


def test_event_beside_another_kind_is_refused_as_home_assistant_sorts_it() -> None:
    # Home Assistant takes the first kind in its order (delay before event): the
    # event is then a key a delay may not have.
    refusal = only(
        automation({"delay": 1, "event": "homeassistant_stop"}), RefusalReason.UNKNOWN
    )
    assert refusal.path == "actions[0].event"
    # And a service call with a device_id is a device action to Home Assistant.
    config = automation(
        {"device_id": "d", "domain": "light", "type": "turn_on", "action": "x.y"}
    )
    assert reasons(config) == [RefusalReason.UNKNOWN]
    # An event beside a service call is an event to Home Assistant.
    config = automation({**LIGHT_ON, "event": "homeassistant_stop"})
    assert reasons(config) == [RefusalReason.FORBIDDEN]


@pytest.mark.parametrize(
    "step",
    [
        {"fire": "homeassistant_stop"},
        {"python": "import os"},
        {"set_conversation_response": "done"},
        {"enabled": True},
    ],
)
def test_unknown_or_unneeded_step_kinds_are_refused(step: dict[str, Any]) -> None:
    assert reasons(automation(step)) in (
        [RefusalReason.UNKNOWN],
        [RefusalReason.FORBIDDEN],
    )


@pytest.mark.parametrize(
    ("step", "key"),
    [
        ({**LIGHT_ON, "service_data": {}}, "service_data"),
        ({"delay": 5, "then": [{"event": "homeassistant_stop"}]}, "then"),
        ({"scene": "scene.evening", "data": {}}, "data"),
        ({"stop": "done", "sequence": []}, "sequence"),
        ({"variables": {"a": 1}, "action": "light.turn_on"}, "action"),
        ({"device_id": "d", "domain": "light", "type": "turn_on", "x": 1}, "x"),
    ],
)
def test_unknown_keys_of_a_step_are_refused(step: dict[str, Any], key: str) -> None:
    refusal = only(automation(step), RefusalReason.UNKNOWN)
    assert refusal.path == f"actions[0].{key}"
    assert f"the key {key!r} is not allowed here" in refusal.message


def test_every_allowed_step_kind_passes() -> None:
    config = automation(
        LIGHT_ON,
        {"service": "switch.turn_off", "entity_id": "switch.plug"},
        {"scene": "scene.evening"},
        {"device_id": "abc", "domain": "light", "type": "turn_on", "entity_id": "e"},
        {"delay": {"seconds": 5}},
        {"delay": "{{ states('input_number.wait') | int(0) * 60 }}"},
        {"wait_template": "{{ is_state('light.kitchen', 'off') }}", "timeout": 60},
        {
            "wait_for_trigger": [{"trigger": "state", "entity_id": "light.kitchen"}],
            "timeout": "00:05:00",
            "continue_on_timeout": False,
        },
        {"variables": {"level": "{{ states('sensor.lux') | float(0) }}"}},
        {"condition": "template", "value_template": "{{ level < 10 }}"},
        {"condition": "state", "entity_id": "light.kitchen", "state": "on"},
        {"condition": "{{ is_state('sun.sun', 'below_horizon') }}"},
        {"and": [], "alias": "always"},
        {"if": [{"condition": "trigger", "id": "x"}], "then": [LIGHT_ON]},
        {
            "choose": [{"conditions": "{{ level > 5 }}", "sequence": [LIGHT_ON]}],
            "default": [{"stop": "nothing to do"}],
        },
        {"parallel": [LIGHT_ON, [{"delay": 1}, LIGHT_ON]]},
        {"repeat": {"count": MAX_REPEAT, "sequence": [LIGHT_ON]}},
        {"repeat": {"for_each": ["light.a", "light.b"], "sequence": [{"delay": 1}]}},
        {"sequence": [LIGHT_ON], "alias": "{{ not rendered }}"},
        {
            "action": "persistent_notification.create",
            "data": {"message": "Level {{ level }} at {{ now().hour }}"},
            "response_variable": "answer",
            "continue_on_error": True,
            "enabled": "{{ answer is defined }}",
        },
        {"stop": "done", "response_variable": "answer"},
        mode="queued",
        max=3,
        variables={"limit": 5},
        conditions=[{"or": [{"condition": "sun", "after": "sunset"}]}],
    )
    assert check(config) == []


@pytest.mark.parametrize(
    ("repeat", "words"),
    [
        ({"while": [{"condition": "state"}], "sequence": []}, "can run without end"),
        ({"until": "{{ false }}", "sequence": []}, "can run without end"),
        ({"count": MAX_REPEAT + 1, "sequence": []}, "a repeat count must be"),
        ({"count": 0, "sequence": []}, "a repeat count must be"),
        ({"count": "{{ 9000000 }}", "sequence": []}, "a repeat count must be"),
        ({"count": True, "sequence": []}, "a repeat count must be"),
        ({"for_each": "{{ [1] }}", "sequence": []}, "for_each must be a list"),
        ({"for_each": list(range(MAX_REPEAT + 1)), "sequence": []}, "for_each must"),
    ],
)
def test_unbounded_repeats_are_refused(repeat: dict[str, Any], words: str) -> None:
    refusals = check(automation({"repeat": repeat}))
    assert any(
        r.reason is RefusalReason.FORBIDDEN and words in r.message for r in refusals
    ), refusals


def test_parallel_takes_one_step_or_a_list() -> None:
    assert check(automation({"parallel": LIGHT_ON})) == []
    refusal = only(automation({"parallel": "light.turn_on"}), RefusalReason.MALFORMED)
    assert "parallel must be a list of actions" in refusal.message


def test_templated_scene_is_refused() -> None:
    refusal = only(automation({"scene": "{{ 'scene.x' }}"}), RefusalReason.TEMPLATED)
    assert refusal.path == "actions[0].scene"
    assert reasons(automation({"scene": ["scene.x"]})) == [RefusalReason.MALFORMED]


# Triggers and conditions.


@pytest.mark.parametrize("local_only", [False, True])
def test_webhook_trigger_is_refused_local_only_or_not(local_only: bool) -> None:
    trigger = {
        "trigger": "webhook",
        "webhook_id": "abc",
        "allowed_methods": ["POST"],
        "local_only": local_only,
    }
    refusal = only(automation(LIGHT_ON, triggers=[trigger]), RefusalReason.FORBIDDEN)
    assert "webhook triggers are never allowed" in refusal.message
    assert refusal.path == "triggers[0]"


@pytest.mark.parametrize(
    "trigger",
    [
        {"platform": "webhook", "webhook_id": "abc"},  # the old key
        {"trigger": "mqtt", "topic": "x"},
        {"trigger": "conversation", "command": "open the door"},
    ],
)
def test_triggers_anyone_can_fire_are_refused(trigger: dict[str, Any]) -> None:
    only(automation(LIGHT_ON, triggers=[trigger]), RefusalReason.FORBIDDEN)


def test_webhook_in_wait_for_trigger_is_refused() -> None:
    step = {"wait_for_trigger": {"trigger": "webhook", "webhook_id": "a"}}
    refusal = only(automation(step), RefusalReason.FORBIDDEN)
    assert refusal.path == "actions[0].wait_for_trigger[0]"


@pytest.mark.parametrize(
    "trigger",
    [
        {"trigger": "tag", "tag_id": "x"},
        {"trigger": "calendar", "event": "start", "entity_id": "calendar.x"},
        {"trigger": "light.turned_on", "target": {"entity_id": "light.a"}},
        {"trigger": "{{ 'webhook' }}"},
        {"trigger": "state", "platform": "state", "entity_id": "light.a"},
        {"entity_id": "light.a"},
        "state",
    ],
)
def test_unknown_trigger_kinds_are_refused(trigger: Any) -> None:
    assert reasons(automation(LIGHT_ON, triggers=[trigger])) in (
        [RefusalReason.UNKNOWN],
        [RefusalReason.MALFORMED],
    )


def test_unknown_trigger_key_is_refused() -> None:
    trigger = {"trigger": "state", "entity_id": "light.a", "webhook_id": "x"}
    refusal = only(automation(LIGHT_ON, triggers=trigger), RefusalReason.UNKNOWN)
    assert refusal.path == "triggers[0].webhook_id"


def test_template_trigger_with_a_nested_loop_is_refused() -> None:
    trigger = {"trigger": "template", "value_template": LOOP}
    refusal = only(automation(LIGHT_ON, triggers=[trigger]), RefusalReason.TEMPLATE)
    assert refusal.path == "triggers[0].value_template"
    assert "loops ({% for %}) are not allowed" in refusal.message


@pytest.mark.parametrize(
    ("extra", "path"),
    [
        (
            {"conditions": [{"condition": "template", "value_template": LOOP}]},
            "conditions[0].value_template",
        ),
        ({"conditions": [LOOP]}, "conditions[0]"),
        ({"conditions": {"not": [{"or": LOOP}]}}, "conditions[0].not[0].or[0]"),
        ({"actions": [{"condition": LOOP}]}, "actions[0].condition"),
        ({"actions": [{"if": LOOP, "then": []}]}, "actions[0].if[0]"),
        ({"actions": [{"wait_template": LOOP}]}, "actions[0].wait_template"),
        ({"actions": [{"delay": LOOP}]}, "actions[0].delay"),
        ({"variables": {"x": LOOP}}, "variables.x"),
        (
            {"triggers": [{**TRIGGER, "variables": {"x": LOOP}}]},
            "triggers[0].variables.x",
        ),
        ({"actions": [{**LIGHT_ON, "data": {"x": [LOOP]}}]}, "actions[0].data.x[0]"),
        ({"actions": [{**LIGHT_ON, "enabled": LOOP}]}, "actions[0].enabled"),
        # Only a step's own alias is free text: data and variables are rendered.
        ({"variables": {"description": LOOP}}, "variables.description"),
        ({"actions": [{**LIGHT_ON, "data": {"alias": LOOP}}]}, "actions[0].data.alias"),
        (
            {
                "triggers": [
                    {
                        "trigger": "event",
                        "event_type": "e",
                        "event_data": {"alias": LOOP},
                    }
                ]
            },
            "triggers[0].event_data.alias",
        ),
    ],
)
def test_template_condition_with_a_nested_loop_is_refused_wherever_it_is(
    extra: dict[str, Any], path: str
) -> None:
    config = automation(LIGHT_ON) | extra
    refusal = only(config, RefusalReason.TEMPLATE)
    assert refusal.path == path


@pytest.mark.parametrize(
    "event_type",
    [
        "homeassistant_stop",
        "homeassistant_started",
        "call_service",
        "state_changed",
        "*",
        "entity_registry_updated",
        "recorder_hourly_statistics_generated",
        ["zha_event", "State_Changed"],
    ],
)
def test_event_trigger_on_a_sensitive_event_is_refused(event_type: Any) -> None:
    trigger = {"trigger": "event", "event_type": event_type}
    only(automation(LIGHT_ON, triggers=[trigger]), RefusalReason.FORBIDDEN)


def test_event_trigger_on_a_device_event_passes() -> None:
    trigger = {
        "trigger": "event",
        "event_type": "zha_event",
        "event_data": {"command": "on"},
    }
    assert check(automation(LIGHT_ON, triggers=[trigger])) == []
    templated = {"trigger": "event", "event_type": "{{ 'call_service' }}"}
    only(automation(LIGHT_ON, triggers=[templated]), RefusalReason.TEMPLATED)
    for empty in ("", None, [" "]):
        trigger = {"trigger": "event", "event_type": empty}
        only(automation(LIGHT_ON, triggers=[trigger]), RefusalReason.MALFORMED)


def test_every_allowed_trigger_and_condition_kind_passes() -> None:
    triggers = [
        {"trigger": "state", "entity_id": "light.a", "to": "on", "for": "00:01:00"},
        {"trigger": "numeric_state", "entity_id": "sensor.t", "above": 20},
        {"trigger": "time", "at": ["07:00:00", "input_datetime.wake"]},
        {"trigger": "time_pattern", "minutes": "/5"},
        {"trigger": "sun", "event": "sunset", "offset": "-00:30:00"},
        {"trigger": "zone", "entity_id": "person.a", "zone": "zone.home"},
        {"platform": "homeassistant", "event": "start", "id": "boot"},
        {"trigger": "device", "device_id": "d", "domain": "zha", "type": "press"},
        {"trigger": "template", "value_template": "{{ is_state('light.a', 'on') }}"},
    ]
    conditions = [
        {"condition": "numeric_state", "entity_id": "sensor.t", "below": 30},
        {"condition": "time", "after": "07:00:00", "weekday": ["mon"]},
        {"condition": "zone", "entity_id": "person.a", "zone": "zone.home"},
        {"condition": "device", "device_id": "d", "domain": "light", "type": "is_on"},
        {"condition": "not", "conditions": [{"condition": "trigger", "id": "boot"}]},
        {"condition": [{"condition": "state", "entity_id": "a.b", "state": "on"}]},
        {"or": [], "alias": "nothing"},
    ]
    config = automation(LIGHT_ON, triggers=triggers, conditions=conditions)
    assert check(config) == []


@pytest.mark.parametrize(
    "condition",
    [
        {"condition": "webhook"},
        {"condition": "light.is_on"},
        {"condition": 5},
        {"condition": "state", "entity_id": "a.b", "state": "on", "code": "x"},
        {"and": [], "or": []},
        {"alias": "no kind"},
        "not a template",
        7,
        {"condition": "device", "device_id": "{{ d }}", "domain": "x", "type": "y"},
        {"condition": "device", "device_id": "d", "domain": 3, "type": "y"},
    ],
)
def test_unknown_or_odd_conditions_are_refused(condition: Any) -> None:
    assert check(automation(LIGHT_ON, conditions=[condition]))


def test_conditions_nested_too_deeply_are_refused() -> None:
    condition: Any = {"condition": "state", "entity_id": "a.b", "state": "on"}
    for _ in range(22):
        condition = {"not": [condition]}
    refusal = only(automation(LIGHT_ON, conditions=condition), RefusalReason.MALFORMED)
    assert "conditions are nested more than" in refusal.message


# Targets.


@pytest.mark.parametrize(
    "step",
    [
        {"action": "light.turn_off", "target": {"entity_id": "all"}},
        {"action": "light.turn_off", "target": {"entity_id": "ALL"}},
        {"action": "light.turn_off", "target": {"entity_id": "light.a, all"}},
        {"action": "light.turn_off", "target": {"entity_id": ["light.a", "none"]}},
        {"action": "light.turn_off", "entity_id": "all"},
        {"action": "light.turn_off", "data": {"entity_id": "all"}},
        {"action": "light.turn_off", "data_template": {"entity_id": "all"}},
        {"action": "light.turn_off", "target": {"area_id": "all"}},
    ],
)
def test_entity_id_all_is_refused(step: dict[str, Any]) -> None:
    refusal = only(automation(step), RefusalReason.TARGET)
    assert "acts on everything or nothing" in refusal.message


@pytest.mark.parametrize(
    "key", ["entity_id", "device_id", "area_id", "floor_id", "label_id"]
)
def test_templated_target_is_refused(key: str) -> None:
    step = {"action": "light.turn_on", "target": {key: "{{ states.light | list }}"}}
    refusal = only(automation(step), RefusalReason.TEMPLATED)
    assert refusal.path == f"actions[0].target.{key}"
    assert "cannot be checked" in refusal.message


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        ({"action": "light.turn_on", "target": "{{ x }}"}, RefusalReason.TEMPLATED),
        ({"action": "light.turn_on", "target": ["light.a"]}, RefusalReason.MALFORMED),
        (
            {"action": "light.turn_on", "data": "{{ {'x': 1} }}"},
            RefusalReason.TEMPLATED,
        ),
        ({"action": "light.turn_on", "data": 5}, RefusalReason.MALFORMED),
        (
            {"action": "light.turn_on", "target": {"entity_id": 5}},
            RefusalReason.MALFORMED,
        ),
        (
            {"action": "light.turn_on", "target": {"entities": "light.a"}},
            RefusalReason.UNKNOWN,
        ),
        (
            {"action": "light.turn_on", "entity_id": ["light.a", "{{ x }}"]},
            RefusalReason.TEMPLATED,
        ),
        (
            {"device_id": "{{ x }}", "domain": "light", "type": "turn_on"},
            RefusalReason.TEMPLATED,
        ),
    ],
)
def test_targets_must_be_written_out(
    step: dict[str, Any], reason: RefusalReason
) -> None:
    only(automation(step), reason)


def test_templated_entity_in_a_trigger_is_refused() -> None:
    trigger = {"trigger": "state", "entity_id": "{{ 'lock.front' }}"}
    only(automation(LIGHT_ON, triggers=[trigger]), RefusalReason.TEMPLATED)


# Size and depth of the whole automation.


def nested(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    "config",
    [
        automation(LIGHT_ON, variables={"x": nested(300)}),
        automation({"variables": {"x": nested(300)}}),
        automation(LIGHT_ON, triggers=[{**TRIGGER, "variables": {"x": nested(300)}}]),
        automation({**LIGHT_ON, "data": {"x": nested(300)}}),
        automation(LIGHT_ON, trace={"x": nested(300)}),
    ],
)
def test_variables_nested_300_levels_are_refused(config: dict[str, Any]) -> None:
    refusal = only(config, RefusalReason.MALFORMED)
    assert f"nested more than {MAX_NESTING} levels deep" in refusal.message


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (automation(LIGHT_ON, variables={"x": [0] * (MAX_NODES + 1)}), "values"),
        (
            automation(LIGHT_ON, variables={f"v{i}": [0] * 9 for i in range(300)}),
            f"more than {MAX_NODES} values",
        ),
        (
            automation(LIGHT_ON, description="x" * (MAX_STRING_LENGTH + 1)),
            "a text is longer",
        ),
        (
            automation(LIGHT_ON, variables={f"v{i}": "x" * 4_000 for i in range(20)}),
            f"more than {MAX_TOTAL_TEXT} characters",
        ),
        (automation(LIGHT_ON, variables={"x": float("nan")}), "not finite"),
        (
            automation(LIGHT_ON, variables={"x": dt.date(2026, 1, 1)}),
            "a value is a date",
        ),
        (automation(LIGHT_ON, variables={"x": {1, 2}}), "a value is a set"),
        (automation(LIGHT_ON, variables={1: "x"}), "a key is not text"),
        (automation(LIGHT_ON, variables=nested(MAX_NESTING)), "nested more than"),
    ],
)
def test_automations_too_big_to_store_are_refused(config: Any, words: str) -> None:
    refusal = only(config, RefusalReason.MALFORMED)
    assert words in refusal.message


def test_a_billion_laughs_ends_at_the_budget() -> None:
    laugh: Any = ["lol"] * 9
    for _ in range(9):
        laugh = [laugh] * 9
    refusal = only(
        automation(LIGHT_ON, variables={"x": laugh}), RefusalReason.MALFORMED
    )
    assert f"more than {MAX_NODES} values" in refusal.message


def test_unknown_top_level_keys_are_refused() -> None:
    refusal = only(automation(LIGHT_ON, webhook_id="x"), RefusalReason.UNKNOWN)
    assert refusal.path == "webhook_id"


@pytest.mark.parametrize(
    ("variables", "words"),
    [
        ({"states": "x"}, "that name is taken"),
        ({"trigger": "x"}, "that name is taken"),
        ({"a-b": "x"}, "is not a name a variable may have"),
        ("x", "variables must be a mapping"),
    ],
)
def test_odd_variables_are_refused(variables: Any, words: str) -> None:
    refusal = only(automation(LIGHT_ON, variables=variables), RefusalReason.MALFORMED)
    assert words in refusal.message


def test_problems_are_bounded() -> None:
    config = automation(*[{"event": f"e{i}"} for i in range(100)])
    assert len(check(config)) == MAX_PROBLEMS


def test_odd_response_variables_are_refused() -> None:
    step = {**LIGHT_ON, "response_variable": "{{ x }}"}
    only(automation(step), RefusalReason.MALFORMED)


# Templates: the subset, or none at all.


def test_templates_can_be_refused_outright() -> None:
    config = automation(
        {
            "action": "persistent_notification.create",
            "data": {"message": "{{ states('sensor.t') }}"},
        }
    )
    assert check(config) == []
    refusal = only(config, RefusalReason.TEMPLATE, templates=False)
    assert "templates are not accepted here" in refusal.message
    assert refusal.path == "actions[0].data.message"
    # Free text for people is never rendered, so it may hold braces.
    assert check(automation(LIGHT_ON, alias="{{ x }}"), templates=False) == []


def test_template_variables_are_those_the_automation_defines() -> None:
    step = {"action": "persistent_notification.create", "data": {"message": "{{ x }}"}}
    refusal = only(automation(step), RefusalReason.TEMPLATE)
    assert "the name 'x' is not known" in refusal.message
    assert check(automation({"variables": {"x": 1}}, step)) == []
    assert check(automation(step, trigger_variables={"x": 1})) == []
    answer = {**step, "data": {"message": "{{ x.y }}"}, "response_variable": "x"}
    assert check(automation(answer)) == []


def test_too_many_templates_are_refused() -> None:
    many = {"variables": {f"v{i}": "{{ 1 }}" for i in range(MAX_TEMPLATES + 1)}}
    refusal = only(automation(many), RefusalReason.TEMPLATE)
    assert f"more than {MAX_TEMPLATES} templates" in refusal.message
    dense = "{{ " + "(1)+" * 45 + "1 }}"  # under 200 tokens each
    tokens = {"variables": {f"v{i}": dense for i in range(4)}}
    refusal = only(automation(tokens), RefusalReason.TEMPLATE)
    assert f"more than {MAX_TEMPLATE_TOKENS_TOTAL} tokens" in refusal.message
    assert check(automation({"variables": {f"v{i}": dense for i in range(3)}})) == []
    long = "{{ 1 }}" + " " * 900
    big = {"variables": {f"v{i}": long for i in range(MAX_TEMPLATE_TEXT // 900 + 1)}}
    refusal = only(automation(big), RefusalReason.TEMPLATE)
    assert "characters of templates" in refusal.message


# Point 6: sensitive services, whatever pattern the user allowed.


def test_homeassistant_restart_is_refused_with_homeassistant_star_allowed() -> None:
    config = automation({"action": "homeassistant.restart"})
    for sensitive_allowed in ([], ["homeassistant.*"], ["homeassistant.restart"]):
        refusal = only(
            config,
            RefusalReason.FORBIDDEN,
            allowed=["homeassistant.*"],
            sensitive_allowed=sensitive_allowed,
        )
        assert "homeassistant.restart is never allowed" in refusal.message


@pytest.mark.parametrize("service", sorted(NEVER_ALLOWED_SERVICES))
def test_never_allowed_services_stay_refused(service: str) -> None:
    domain = service.partition(".")[0]
    config = automation({"action": service.upper()})
    refusal = only(
        config,
        RefusalReason.FORBIDDEN,
        allowed=[f"{domain}.*", service],
        sensitive_allowed=[service, f"{domain}.*"],
    )
    assert refusal.service == service
    assert is_forbidden(service)
    assert is_sensitive(service)
    assert service not in SENSITIVE_SERVICES


@pytest.mark.parametrize(
    "service",
    [
        "homeassistant.turn_on",
        "homeassistant.turn_off",
        "homeassistant.toggle",
        "homeassistant.reload_all",
        "homeassistant.reload_config_entry",
        "homeassistant.update_entity",
        "homeassistant.set_location",
        "automation.trigger",
        "automation.turn_off",
        "script.morning",
        "script.turn_on",
        "mqtt.publish",
        "notify.mobile_app_phone",
        "rest_command.anything",
        "shell_command.anything",
        "hassio.addon_stdin",
        "backup.create",
        "recorder.purge",
        "system_log.write",
        "logger.set_level",
        "button.press",
        "camera.turn_off",
        "siren.turn_off",
        "valve.open_valve",
        "remote.send_command",
        "device_tracker.see",
        "scene.apply",
        "scene.create",
        "media_player.play_media",
        "conversation.process",
        "cloud.remote_connect",
        "update.install",
        "ha_ai.accept_suggestion",
    ],
)
def test_sensitive_service_needs_its_own_name_whatever_the_pattern(
    service: str,
) -> None:
    domain = service.partition(".")[0]
    config = automation({"action": service})
    refusal = only(
        config,
        RefusalReason.SENSITIVE,
        allowed=[f"{domain}.*", service],
        sensitive_allowed=[f"{domain}.*"],
    )
    assert f"unless you name {service} itself" in refusal.message
    assert f"{domain}.*" not in refusal.message
    assert check(config, allowed=[], sensitive_allowed=[service.upper()]) == []


@pytest.mark.parametrize(
    ("step", "service"),
    [
        ({"device_id": "d", "domain": "button", "type": "press"}, "button.press"),
        ({"device_id": "d", "domain": "valve", "type": "open"}, "valve.open_valve"),
        ({"device_id": "d", "domain": "lock", "type": "unlock"}, "lock.unlock"),
        ({"device_id": "d", "domain": "camera", "type": "turn_off"}, "camera.turn_off"),
        (
            {"device_id": "d", "domain": "mobile_app", "type": "notify"},
            "mobile_app.notify",
        ),
    ],
)
def test_sensitive_device_actions_are_found(step: dict[str, Any], service: str) -> None:
    refusal = only(
        automation(step),
        RefusalReason.SENSITIVE,
        allowed=[f"{service.partition('.')[0]}.*"],
    )
    assert refusal.service == service


def test_refusals_never_propose_a_pattern_taking_in_a_sensitive_service() -> None:
    patterns = {
        f"{entry.partition('.')[0]}.*"
        for entry in (*SENSITIVE, *NEVER_ALLOWED_SERVICES)
    }
    for pattern in sorted(patterns):
        domain = pattern.partition(".")[0]
        config = automation({"action": f"{domain}.harmless_looking"})
        for refusal in check(config, allowed=[]):
            assert pattern not in refusal.message, refusal


def test_default_allow_list_admits_nothing_sensitive() -> None:
    for entry in DEFAULT_ALLOWED_SERVICES:
        domain, _, service = entry.partition(".")
        assert f"{domain}.*" not in SENSITIVE
        if service != "*":
            assert not is_sensitive(entry)
    assert "notify.*" not in DEFAULT_ALLOWED_SERVICES
    config = automation({"action": "notify.notify", "data": {"message": "hi"}})
    only(config, RefusalReason.SENSITIVE)


# What HA AI renders itself still passes the default lists.

RENDERED_TARGETS = [
    *(f"{domain}.x" for domain in ("light", "switch", "fan", "input_boolean")),
    *(f"{domain}.x" for domain in ("humidifier", "media_player")),
]


@pytest.mark.parametrize(
    ("entity_id", "state", "sensitive"),
    [
        *(
            (entity_id, state, False)
            for entity_id in RENDERED_TARGETS
            for state in ("on", "off")
        ),
        ("media_player.x", "playing", False),
        ("media_player.x", "paused", False),
        ("cover.x", "closed", False),
        ("cover.x", "open", True),
        ("lock.x", "locked", False),
        ("lock.x", "unlocked", True),
        *(("climate.x", mode, False) for mode in ("heat", "cool", "auto", "off")),
    ],
)
def test_rendered_habits_pass_the_default_lists(
    entity_id: str, state: str, sensitive: bool
) -> None:
    names = {entity_id: 'Odd "name": {{ x }} {% for %}\n', "light.kitchen": "{{ y }}"}
    for pattern in (
        replace(ROUTINE, entity_id=entity_id, state=state),
        replace(PAIR, entity_id=entity_id, state=state),
    ):
        config = render_automation(pattern, automation_id="a1", names=names)
        assert config is not None
        refusals = check(config, templates=False)
        if sensitive:
            assert [r.reason for r in refusals] == [RefusalReason.SENSITIVE]
        else:
            assert refusals == []
