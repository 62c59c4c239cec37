"""Reading existing automations: what they listen to, act on and name."""

from __future__ import annotations

from typing import Any

from custom_components.ha_ai.engine.automations.references import (
    MAX_REFERENCE_DEPTH,
    Unfollowed,
    action_targets,
    as_list,
    coverage,
    entity_ids,
    names_to_check,
    read_automation,
    read_triggers,
    referenced_ids,
)


def test_triggers_in_every_shape() -> None:
    assert read_triggers({"platform": "time"}).timed
    triggers = read_triggers([{"trigger": "state", "entity_id": "light.a"}, "junk"])
    assert (triggers.timed, triggers.watched) == (False, {"light.a"})
    assert read_triggers("nonsense").watched == set()
    assert read_triggers(None).watched == set()


def test_disabled_and_unfollowed_triggers() -> None:
    triggers = read_triggers(
        [
            {"trigger": "time", "at": "07:00", "enabled": False},
            Unfollowed("!include", "triggers.yaml"),
            {"trigger": "device", "entity_id": "binary_sensor.button"},
        ]
    )
    assert not triggers.timed
    assert triggers.watched == {"binary_sensor.button"}
    assert triggers.unfollowed == ["!include triggers.yaml"]


def test_entity_ids_in_every_shape() -> None:
    assert entity_ids("light.a") == (["light.a"], 0)
    assert entity_ids(["light.a", 3, "light.b"]) == (["light.a", "light.b"], 1)
    assert entity_ids("light.a, light.b,") == (["light.a", "light.b"], 0)
    assert entity_ids("{{ x }}") == ([], 1)
    assert entity_ids(None) == ([], 1)


def test_as_list() -> None:
    assert as_list(None) == []
    assert as_list({"a": 1}) == [{"a": 1}]
    assert as_list([1]) == [1]


def test_targets_leave_out_what_is_only_looked_at() -> None:
    shared: dict[str, Any] = {"action": "light.turn_on", "entity_id": "light.shared"}
    actions = [
        {"condition": "state", "entity_id": "sensor.condition"},
        {"if": [{"entity_id": "sensor.if"}], "then": [shared, shared]},
        {"wait_for_trigger": {"entity_id": "sensor.wait"}},
        {"action": "light.turn_on", "entity_id": "light.off", "enabled": False},
        {"action": "light.turn_on", "target": {"area_id": "kitchen"}},
        {"action": "light.turn_on", "data": {"entity_id": ["light.data", "x"]}},
        Unfollowed("!include", "more.yaml"),
        Unfollowed("!secret", ""),
        3,
    ]
    targets = action_targets(actions)
    assert targets.entities == {"light.shared", "light.data"}
    assert targets.unresolved == 2
    assert targets.unfollowed == ["!include more.yaml", "!secret"]


def test_recursive_actions_end() -> None:
    loop: list[Any] = []
    loop.append({"sequence": loop, "entity_id": "light.a"})
    assert action_targets(loop).entities == {"light.a"}


def test_reading_of_one_automation() -> None:
    reading = read_automation(
        {
            "trigger": [
                {"platform": "sun", "event": "sunset"},
                {"platform": "state", "entity_id": "binary_sensor.door"},
            ],
            "action": [
                {"entity_id": "light.porch"},
                {"entity_id": "binary_sensor.door"},
            ],
        }
    )
    assert reading.timed_targets == {"light.porch", "binary_sensor.door"}
    assert reading.state_triggered == {("binary_sensor.door", "light.porch")}
    untimed = read_automation({"triggers": [], "actions": {"entity_id": "light.a"}})
    assert untimed.timed_targets == set()


def test_coverage_of_many_automations_skips_what_is_no_mapping() -> None:
    result = coverage(
        [
            None,
            {
                "triggers": {"trigger": "time"},
                "actions": {"entity_id": "light.a"},
            },
            {
                "triggers": {"trigger": "state", "entity_id": "sensor.s"},
                "actions": {"entity_id": "light.b"},
            },
        ]
    )
    assert result.timed_targets == {"light.a"}
    assert result.state_triggered == {("sensor.s", "light.b")}


def test_referenced_ids_everywhere_but_templates_and_all() -> None:
    config = {
        "triggers": [{"trigger": "state", "entity_id": "sensor.t"}],
        "conditions": [{"condition": "state", "entity_id": ["sensor.c", 1]}],
        "actions": [
            {"action": "light.turn_on", "entity_id": "light.a, light.b"},
            {"action": "light.turn_on", "entity_id": "{{ x }}"},
            {"action": "light.turn_on", "entity_id": "{% if %}"},
            {"action": "light.turn_on", "entity_id": "all"},
            {"action": "light.turn_on", "device_id": "dev"},
        ],
    }
    assert list(referenced_ids(config, "entity_id")) == [
        "sensor.t",
        "sensor.c",
        "light.a",
        "light.b",
    ]
    assert list(referenced_ids(config, "device_id")) == ["dev"]


def test_referenced_ids_stop_at_the_depth_limit() -> None:
    deep: Any = {"entity_id": "light.deep"}
    for _ in range(MAX_REFERENCE_DEPTH + 1):
        deep = [deep]
    assert list(referenced_ids(deep, "entity_id")) == []
    assert list(referenced_ids(deep[0], "entity_id")) == ["light.deep"]


def test_names_to_check_are_what_must_exist() -> None:
    names = names_to_check(
        {
            "triggers": [{"trigger": "state", "entity_id": "sensor.t"}],
            "actions": [
                {"action": "Light.Turn_On", "entity_id": "light.a"},
                {"service": "notify.phone"},
                {"action": "{{ x }}"},
                {"device_id": "dev", "domain": "cover", "type": "open"},
                {"if": [], "then": [{"action": "switch.toggle"}]},
            ],
        }
    )
    assert names.entities == {"sensor.t", "light.a"}
    assert names.devices == {"dev"}
    assert names.services == {"light.turn_on", "notify.phone", "switch.toggle"}
