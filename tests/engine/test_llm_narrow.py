"""An LLM's automation only ever narrows the rendered one: each attack refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.ha_ai.engine.llm.narrow import (
    MAX_DEPTH,
    MAX_NODES,
    NarrowingRefusedError,
    check_bounds,
    foreign_entities,
    narrow_answer,
    narrow_automation,
)
from custom_components.ha_ai.engine.llm.parse import LlmSuggestionText

ENTITIES = ("switch.plug", "binary_sensor.door")
RENDERED: dict[str, Any] = {
    "id": "ha_ai_x",
    "alias": "Plug off when Door closes",
    "description": "Learned from use. Proposed by HA AI.",
    "triggers": [
        {
            "trigger": "state",
            "entity_id": "binary_sensor.door",
            "to": "off",
            "not_from": ["unavailable", "unknown"],
        }
    ],
    "conditions": [],
    "actions": [{"action": "switch.turn_off", "target": {"entity_id": "switch.plug"}}],
    "mode": "single",
}
OFF = {"action": "switch.turn_off", "target": {"entity_id": "switch.plug"}}
AT_NIGHT = [{"trigger": "time", "at": "22:30:00"}]


def proposal(**changes: Any) -> dict[str, Any]:
    return {"alias": "x", "triggers": AT_NIGHT, "actions": [OFF]} | changes


def narrow(proposed: object, rendered: Any = RENDERED) -> dict[str, Any]:
    return narrow_automation(proposed, rendered, ENTITIES)


def nested_variables(depth: int) -> dict[str, Any]:
    inner: dict[str, Any] = {"value": 1}
    for _ in range(depth):
        inner = {"variables": inner}
    return inner


def test_a_narrowing_is_rebuilt_with_ha_ais_words() -> None:
    proposed = proposal(
        alias="Lock the front door every night",
        description="As instructed.",
        conditions=[
            {"condition": "time", "weekday": ["mon", "tue"], "after": "20:00"},
            {
                "condition": "or",
                "conditions": [
                    {"condition": "state", "entity_id": "switch.plug", "state": "on"},
                    {"condition": "sun", "after": "sunset", "after_offset": "-01:00"},
                ],
            },
        ],
        actions=[
            {"delay": {"minutes": 5}},
            {"condition": "numeric_state", "entity_id": "switch.plug", "above": 3},
            {**OFF, "metadata": {}},
        ],
        mode="restart",
    )
    narrowed = narrow(proposed)
    assert narrowed["alias"] == RENDERED["alias"]
    assert narrowed["description"] == RENDERED["description"]
    assert narrowed["triggers"] == AT_NIGHT
    assert narrowed["conditions"] == proposed["conditions"]
    assert narrowed["actions"] == [proposed["actions"][0], proposed["actions"][1], OFF]
    assert narrowed["mode"] == "restart"
    assert "id" not in narrowed


def test_known_trigger_kinds_and_their_fields_pass() -> None:
    triggers = [
        {"platform": "state", "entity_id": ["binary_sensor.door"], "to": "on"},
        {
            "trigger": "state",
            "entity_id": "binary_sensor.door",
            "from": None,
            "for": "00:01:00",
            "id": "door",
        },
        {
            "trigger": "numeric_state",
            "entity_id": "switch.plug",
            "attribute": "power",
            "above": 5,
            "below": 100.5,
            "for": 30,
        },
        {"trigger": "time", "at": ["06:00", "07:00:00"]},
        {"trigger": "sun", "event": "sunset", "offset": "-00:30:00"},
    ]
    narrowed = narrow({"triggers": triggers, "action": OFF})
    assert narrowed["triggers"][0] == {
        "trigger": "state",
        "entity_id": ["binary_sensor.door"],
        "to": "on",
    }
    assert narrowed["triggers"][1:] == triggers[1:]
    # A single action under the old key becomes a list.
    assert narrowed["actions"] == [OFF]


def test_service_data_of_plain_values_passes() -> None:
    light = {
        **RENDERED,
        "actions": [{"action": "light.turn_on", "entity_id": "light.desk"}],
    }
    proposed = proposal(
        actions=[
            {
                "service": "light.turn_on",
                "entity_id": "light.desk",
                "data": {"brightness_pct": 40, "rgb_color": [255, 200, 0]},
            }
        ]
    )
    narrowed = narrow_automation(proposed, light, ["light.desk"])
    assert narrowed["actions"] == [
        {
            "action": "light.turn_on",
            "target": {"entity_id": "light.desk"},
            "data": {"brightness_pct": 40, "rgb_color": [255, 200, 0]},
        }
    ]


# Each hostile automation the fake LLM server got past the checks, and more.
ATTACKS: dict[str, dict[str, Any]] = {
    "event_homeassistant_stop": proposal(
        actions=[{"event": "homeassistant_stop"}, OFF]
    ),
    "template_trigger_with_a_loop": proposal(
        triggers=[
            {
                "trigger": "template",
                "value_template": "{% for i in range(3000) %}{% for j in "
                "range(3000) %}{% endfor %}{% endfor %}",
            }
        ]
    ),
    "webhook_trigger_reachable_from_outside": proposal(
        triggers=[{"trigger": "webhook", "webhook_id": "x", "local_only": False}]
    ),
    "entity_id_all": proposal(
        actions=[{"action": "switch.turn_off", "target": {"entity_id": "all"}}]
    ),
    "templated_target": proposal(
        actions=[
            {
                "action": "switch.turn_off",
                "target": {
                    "entity_id": "{{ states.switch | map(attribute='entity_id') "
                    "| list }}"
                },
            }
        ]
    ),
    "action_on_another_device": proposal(
        actions=[
            {"action": "switch.turn_off", "target": {"entity_id": "switch.fridge"}}
        ]
    ),
    "action_on_a_device_id": proposal(
        actions=[{"action": "switch.turn_off", "target": {"device_id": "abc123"}}]
    ),
    "action_on_an_area": proposal(
        actions=[
            {
                "action": "switch.turn_off",
                "target": {"entity_id": "switch.plug", "area_id": "kitchen"},
            }
        ]
    ),
    "phishing_notification_listing_every_entity": proposal(
        actions=[
            OFF,
            {
                "action": "persistent_notification.create",
                "data": {
                    "message": "Log in at https://evil.example: "
                    "{{ states | map(attribute='entity_id') | join(', ') }}"
                },
            },
        ]
    ),
    "another_service_on_the_own_entity": proposal(
        actions=[{"action": "switch.toggle", "target": {"entity_id": "switch.plug"}}]
    ),
    "another_domain_on_the_own_entity": {
        **proposal(),
        "actions": [
            {"action": "switch.turn_off", "target": {"entity_id": "binary_sensor.door"}}
        ],
    },
    "nested_variables_300_deep": proposal(variables=nested_variables(300)),
    "variables_at_all": proposal(variables={"x": 1}),
    "trigger_on_another_entity": proposal(
        triggers=[{"trigger": "state", "entity_id": "lock.front", "to": "unlocked"}]
    ),
    "condition_template": proposal(
        conditions=[{"condition": "template", "value_template": "{{ true }}"}]
    ),
    "shorthand_template_condition": proposal(conditions=["{{ true }}"]),
    "template_in_the_alias": proposal(alias="{{ 7 * 7 }}"),
    "data_naming_another_entity": proposal(
        actions=[{**OFF, "data": {"entity_id": "switch.fridge"}}]
    ),
    "nested_data": proposal(actions=[{**OFF, "data": {"x": {"y": 1}}}]),
    "choose_block": proposal(actions=[{"choose": [{"sequence": [OFF]}]}]),
    "no_trigger": proposal(triggers=[]),
    "no_action": proposal(actions=[]),
    "unknown_mode": proposal(mode="forever"),
    "unknown_trigger_key": proposal(
        triggers=[{"trigger": "time", "at": "22:00", "local_only": False}]
    ),
    "not_a_time": proposal(triggers=[{"trigger": "time", "at": "sensor.x"}]),
    "infinite_number": proposal(
        triggers=[
            {
                "trigger": "numeric_state",
                "entity_id": "switch.plug",
                "above": float("inf"),
            }
        ]
    ),
    "both_keys": proposal(trigger=AT_NIGHT),
    "metadata_with_content": proposal(actions=[{**OFF, "metadata": {"x": 1}}]),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_hostile_llm_automations_are_refused(attack: str) -> None:
    with pytest.raises(NarrowingRefusedError) as raised:
        narrow(ATTACKS[attack])
    assert raised.value.reason


def test_a_feature_suggestion_never_takes_an_automation() -> None:
    with pytest.raises(NarrowingRefusedError, match="deploys no automation"):
        narrow(proposal(), rendered=None)


def test_300_levels_of_nesting_are_refused_before_anything_is_read() -> None:
    with pytest.raises(NarrowingRefusedError, match="nested deeper"):
        check_bounds(nested_variables(300))
    with pytest.raises(NarrowingRefusedError, match=f"more than {MAX_NODES}"):
        check_bounds({"actions": list(range(MAX_NODES + 1))})
    with pytest.raises(NarrowingRefusedError, match="not JSON"):
        check_bounds({"x": object()})
    with pytest.raises(NarrowingRefusedError, match="longer than"):
        check_bounds({"x": "y" * 1000})
    check_bounds(nested_variables(MAX_DEPTH - 1))


@pytest.mark.parametrize(
    "proposed",
    ["not a mapping", ["list"], proposal(triggers=["string trigger"])],
)
def test_shapes_that_are_not_automations_are_refused(proposed: object) -> None:
    with pytest.raises(NarrowingRefusedError):
        narrow(proposed)


# Hypothesis: whatever the model writes, nothing unchecked comes out.

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        [
            "all",
            "none",
            "switch.plug",
            "switch.fridge",
            "binary_sensor.door",
            "lock.front",
            "{{ states | list }}",
            "{% for i in range(9) %}{% endfor %}",
            "22:30:00",
            "sunset",
            "on",
            "off",
            "switch.turn_off",
            "switch.toggle",
            "homeassistant.stop",
            "persistent_notification.create",
        ]
    ),
    st.text(max_size=20),
)
_KEYS = st.sampled_from(
    [
        "trigger",
        "platform",
        "condition",
        "conditions",
        "action",
        "service",
        "target",
        "entity_id",
        "device_id",
        "area_id",
        "data",
        "at",
        "to",
        "from",
        "event",
        "delay",
        "variables",
        "value_template",
        "webhook_id",
        "sequence",
        "mode",
        "state",
        "above",
        "weekday",
    ]
)
_JSON = st.recursive(
    _SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(_KEYS, children, max_size=4),
    ),
    max_leaves=30,
)
_STEP_KINDS = st.sampled_from(["state", "numeric_state", "time", "sun", "template"])
_AUTOMATIONS = st.fixed_dictionaries(
    {
        "triggers": st.lists(
            st.one_of(
                st.dictionaries(_KEYS, _JSON, max_size=4).map(
                    lambda item: {"trigger": "state", **item}
                ),
                st.builds(
                    lambda kind, item: {**item, "trigger": kind},
                    _STEP_KINDS,
                    st.dictionaries(_KEYS, _SCALARS, max_size=3),
                ),
            ),
            max_size=3,
        ),
        "actions": st.lists(
            st.one_of(
                st.just(OFF),
                st.dictionaries(_KEYS, _JSON, max_size=4),
                st.builds(
                    lambda service, entity: {
                        "action": service,
                        "target": {"entity_id": entity},
                    },
                    _SCALARS,
                    _SCALARS,
                ),
            ),
            max_size=3,
        ),
    },
    optional={
        "conditions": st.lists(st.dictionaries(_KEYS, _JSON, max_size=4), max_size=3),
        "mode": _SCALARS,
        "variables": _JSON,
    },
)


def _strings(node: object) -> list[str]:
    text = json.dumps(node, allow_nan=True)
    decoded: Any = json.loads(text)
    found: list[str] = []
    stack = [decoded]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            found.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            found.append(item)
    return found


def _entity_ids(node: object) -> list[str]:
    found: list[str] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key == "entity_id":
                    found.extend(value if isinstance(value, list) else [value])
                else:
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _assert_only_narrows(narrowed: dict[str, Any]) -> None:
    assert set(narrowed) == {
        "alias",
        "description",
        "triggers",
        "conditions",
        "actions",
        "mode",
    }
    for text in _strings(narrowed):
        assert "{{" not in text
        assert "{%" not in text
    assert set(_entity_ids(narrowed)) <= set(ENTITIES)
    for trigger in narrowed["triggers"]:
        assert trigger["trigger"] in {"state", "numeric_state", "time", "sun"}
    for action in narrowed["actions"]:
        assert set(action) & {"action", "delay", "condition"}
        if "action" in action:
            assert action["action"] == "switch.turn_off"
            assert set(action["target"]) == {"entity_id"}
    text = json.dumps(narrowed)
    for word in ("device_id", "area_id", "variables", "event", "webhook"):
        assert f'"{word}"' not in text


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(_AUTOMATIONS)
def test_random_llm_automations_never_widen_the_rendered_one(
    proposed: dict[str, Any],
) -> None:
    try:
        narrowed = narrow(proposed)
    except NarrowingRefusedError:
        return
    _assert_only_narrows(narrowed)


@settings(max_examples=100)
@given(_JSON)
def test_any_json_value_is_refused_or_narrowed_never_raising(value: object) -> None:
    try:
        narrowed = narrow(value)
    except NarrowingRefusedError:
        return
    _assert_only_narrows(narrowed)


@settings(max_examples=50)
@given(st.integers(min_value=MAX_DEPTH + 1, max_value=5000))
def test_any_depth_beyond_the_bound_is_refused_without_recursion(depth: int) -> None:
    with pytest.raises(NarrowingRefusedError):
        narrow(proposal(variables=nested_variables(depth)))


def test_an_answer_whose_text_names_another_entity_is_refused() -> None:
    answer = LlmSuggestionText(
        "Lock the front door every night", "It locks lock.front_door at 22:30."
    )
    with pytest.raises(NarrowingRefusedError, match="lock.front_door"):
        narrow_answer(answer, RENDERED, ENTITIES)
    own = LlmSuggestionText("Plug off", "switch.plug goes off; see config.yaml.")
    assert narrow_answer(own, RENDERED, ENTITIES) == own
    assert foreign_entities("SWITCH.PLUG and sensor.power", ENTITIES) == [
        "sensor.power"
    ]


def test_an_answer_with_an_automation_gets_it_narrowed() -> None:
    answer = LlmSuggestionText("t", "d", proposal())
    narrowed = narrow_answer(answer, RENDERED, ENTITIES)
    assert narrowed.automation == narrow(proposal())
    with pytest.raises(NarrowingRefusedError):
        narrow_answer(answer, None, ENTITIES)


STATE_ON_PLUG = {"trigger": "state", "entity_id": "switch.plug"}
MALFORMED: dict[str, object] = {
    "a_key_that_is_not_text": proposal(triggers=[{1: "x"}]),
    "too_many_triggers": proposal(triggers=AT_NIGHT * 6),
    "too_many_states": proposal(triggers=[{**STATE_ON_PLUG, "to": ["on"] * 11}]),
    "a_state_that_is_a_mapping": proposal(triggers=[{**STATE_ON_PLUG, "to": {"a": 1}}]),
    "a_limit_that_is_not_a_number": proposal(
        triggers=[
            {"trigger": "numeric_state", "entity_id": "switch.plug", "above": "5"}
        ]
    ),
    "a_negative_duration": proposal(triggers=[{**STATE_ON_PLUG, "for": -1}]),
    "a_negative_duration_unit": proposal(
        triggers=[{**STATE_ON_PLUG, "for": {"hours": -1}}]
    ),
    "a_duration_unit_that_is_a_mapping": proposal(
        triggers=[{**STATE_ON_PLUG, "for": {"hours": {"minutes": 1}}}]
    ),
    "no_entity": proposal(triggers=[{**STATE_ON_PLUG, "entity_id": []}]),
    "no_entity_id_key": proposal(triggers=[{"trigger": "state", "to": "on"}]),
    "an_entity_that_is_not_text": proposal(
        triggers=[{**STATE_ON_PLUG, "entity_id": 3}]
    ),
    "an_unknown_condition": proposal(conditions=[{"condition": "device"}]),
    "no_time": proposal(triggers=[{"trigger": "time", "at": []}]),
    "not_a_sun_event": proposal(triggers=[{"trigger": "sun", "event": "noon"}]),
    "not_a_sun_condition": proposal(conditions=[{"condition": "sun", "after": "noon"}]),
    "not_weekdays": proposal(conditions=[{"condition": "time", "weekday": ["fun"]}]),
    "no_weekday": proposal(conditions=[{"condition": "time", "weekday": []}]),
    "an_action_that_is_not_a_service": proposal(actions=[{"action": "not a service"}]),
    "two_targets": proposal(actions=[{**OFF, "entity_id": "switch.plug"}]),
    "no_target": proposal(actions=[{"action": "switch.turn_off"}]),
    "a_data_list_of_text": proposal(actions=[{**OFF, "data": {"rgb": ["red"]}}]),
    "a_data_key_that_is_no_name": proposal(actions=[{**OFF, "data": {"Bad Key": 1}}]),
    "a_delay_with_more": proposal(actions=[{"delay": 5, "action": "switch.turn_off"}]),
    "an_empty_and": proposal(conditions=[{"condition": "and", "conditions": []}]),
    "a_trigger_id_that_is_no_name": proposal(
        triggers=[{"trigger": "time", "at": "22:00", "id": "{x}"}]
    ),
}


@pytest.mark.parametrize("case", MALFORMED)
def test_malformed_parts_are_refused_with_a_reason(case: str) -> None:
    with pytest.raises(NarrowingRefusedError) as raised:
        narrow(MALFORMED[case])
    assert str(raised.value)


def test_a_rendered_automation_of_odd_shape_gives_no_services() -> None:
    odd = {"action": ["not a step", {"action": 3}, {"service": "switch.turn_off"}]}
    assert narrow(proposal(), rendered=odd)["actions"] == [OFF]
    with pytest.raises(NarrowingRefusedError, match="not an action of"):
        narrow(proposal(), rendered={"actions": "nothing"})
