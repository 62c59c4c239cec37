"""Every service an automation calls is found, and checked against the lists."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from custom_components.ha_ai.engine.automations.safety import (
    DEFAULT_ALLOWED_SERVICES,
    MAX_ACTIONS,
    MAX_DEPTH,
    SENSITIVE_SERVICES,
    Refusal,
    RefusalReason,
    SafetySettings,
    check_services,
    is_sensitive,
    is_service_pattern,
    services_called,
)

NESTED = yaml.safe_load(
    """
alias: Everything at once
triggers: [{trigger: time, at: "06:00:00"}]
actions:
  - action: light.turn_on
    target: {entity_id: light.a}
  - service: Switch.Turn_On
  - choose:
      - conditions: []
        sequence:
          - action: fan.turn_on
      - conditions: []
        sequence: {action: climate.set_hvac_mode}
    default:
      - action: media_player.media_play
  - if: []
    then: [{action: cover.close_cover}]
    else: [{action: notify.notify}]
  - parallel:
      - action: humidifier.turn_on
      - sequence: [{action: input_boolean.turn_on}]
  - repeat:
      count: 2
      sequence: [{action: water_heater.turn_on}]
  - sequence:
      - sequence: [{action: script.morning}]
  - device_id: abc
    domain: lock
    type: unlock
  - scene: scene.evening
  - condition: device
    device_id: abc
    domain: light
    type: is_on
  - delay: 5
  - wait_template: "{{ true }}"
"""
)


def called(config: Any) -> list[str]:
    return [call.service for call in services_called(config)]


def test_every_nested_service_is_found() -> None:
    assert called(NESTED) == [
        "light.turn_on",
        "switch.turn_on",
        "fan.turn_on",
        "climate.set_hvac_mode",
        "media_player.media_play",
        "cover.close_cover",
        "notify.notify",
        "humidifier.turn_on",
        "input_boolean.turn_on",
        "water_heater.turn_on",
        "script.morning",
        "lock.unlock",
        "scene.turn_on",
    ]
    paths = [call.path for call in services_called(NESTED)]
    assert paths[2] == "actions[2].choose[0].sequence[0].action"
    assert paths[11] == "actions[7]"


def test_old_syntax_and_scripts() -> None:
    old = {"trigger": [], "action": [{"service": "light.turn_on"}]}
    assert called(old) == ["light.turn_on"]
    assert called({"action": {"action": "light.turn_off"}}) == ["light.turn_off"]
    assert called({"sequence": [{"action": "fan.turn_on"}]}) == ["fan.turn_on"]
    assert called([{"action": "fan.turn_off"}]) == ["fan.turn_off"]
    assert called({"triggers": []}) == []


def test_device_actions_name_their_services() -> None:
    def device(domain: str, kind: str) -> list[str]:
        return called({"actions": [{"device_id": "d", "domain": domain, "type": kind}]})

    assert device("cover", "open") == ["cover.open_cover"]
    assert device("cover", "set_tilt_position") == ["cover.set_cover_tilt_position"]
    assert device("alarm_control_panel", "disarm") == [
        "alarm_control_panel.alarm_disarm"
    ]
    assert device("light", "turn_on") == ["light.turn_on"]
    assert device("LOCK", "Open") == ["lock.open"]


def test_check_allows_the_nested_example_with_the_right_lists() -> None:
    refusals = check_services(
        NESTED,
        allowed=DEFAULT_ALLOWED_SERVICES,
        sensitive_allowed=["lock.unlock", "script.morning", "notify.notify"],
    )
    assert refusals == []


def test_not_allowed() -> None:
    config = {"actions": [{"action": "vacuum.start"}, {"action": "media_player.join"}]}
    refusals = check_services(config, allowed=["light.*"], sensitive_allowed=[])
    assert [(r.service, r.reason) for r in refusals] == [
        ("vacuum.start", RefusalReason.NOT_ALLOWED),
        ("media_player.join", RefusalReason.NOT_ALLOWED),
    ]
    assert "add vacuum.start or vacuum.* to 'Allowed services'" in refusals[0].message
    # media_player.* would take in media_player.play_media, which is sensitive.
    assert "add media_player.join to 'Allowed services'" in refusals[1].message
    assert "media_player.*" not in refusals[1].message
    assert refusals[1].path == "actions[1].action"


def test_allow_entries_are_exact_or_whole_domains() -> None:
    config = {"actions": [{"action": "light.turn_on"}, {"action": "light.toggle"}]}
    refusals = check_services(
        config, allowed=[" Light.Turn_On ", 7, "nonsense"], sensitive_allowed=[]
    )
    assert [r.service for r in refusals] == ["light.toggle"]
    assert check_services(config, allowed=["light.*"], sensitive_allowed=[]) == []


@pytest.mark.parametrize(
    "service",
    [
        "lock.unlock",
        "lock.open",
        "cover.open_cover",
        "alarm_control_panel.alarm_disarm",
        "shell_command.anything",
        "python_script.anything",
        "pyscript.anything",
        "rest_command.anything",
        "hassio.addon_stdin",
        "homeassistant.toggle",
    ],
)
def test_sensitive_refused_even_when_allowed(service: str) -> None:
    domain = service.partition(".")[0]
    config = {"actions": [{"action": service}]}
    refusals = check_services(
        config, allowed=[service, f"{domain}.*"], sensitive_allowed=[f"{domain}.*"]
    )
    assert [(r.service, r.reason) for r in refusals] == [
        (service, RefusalReason.SENSITIVE)
    ]
    assert (
        f"unless you name {service} itself under 'Sensitive services allowed'"
        in refusals[0].message
    )
    assert is_sensitive(service)
    assert check_services(config, allowed=[], sensitive_allowed=[service]) == []


def test_sensitive_allowed_is_exact() -> None:
    config = {"actions": [{"action": "lock.unlock"}, {"action": "lock.open"}]}
    refusals = check_services(
        config, allowed=["lock.*"], sensitive_allowed=["lock.unlock"]
    )
    assert [r.service for r in refusals] == ["lock.open"]
    assert not is_sensitive("lock.lock")


def test_sensitive_device_action_and_upper_case() -> None:
    config = {
        "actions": [
            {"device_id": "d", "domain": "cover", "type": "open"},
            {"action": "LOCK.UNLOCK"},
        ]
    }
    refusals = check_services(
        config, allowed=["cover.*", "lock.*"], sensitive_allowed=[]
    )
    assert [(r.service, r.reason) for r in refusals] == [
        ("cover.open_cover", RefusalReason.SENSITIVE),
        ("lock.unlock", RefusalReason.SENSITIVE),
    ]


@pytest.mark.parametrize(
    ("step", "path"),
    [
        ({"action": "{{ service }}"}, "actions[0].action"),
        ({"service": "light.{% if x %}on{% endif %}"}, "actions[0].service"),
        ({"service_template": "lock.unlock"}, "actions[0].service_template"),
        ({"service_template": None}, "actions[0].service_template"),
        ({"device_id": "d", "domain": "{{ d }}", "type": "x"}, "actions[0].domain"),
    ],
)
def test_templated(step: dict[str, Any], path: str) -> None:
    refusals = check_services(
        {"actions": [step]}, allowed=["light.*"], sensitive_allowed=[]
    )
    assert [(r.reason, r.path) for r in refusals] == [(RefusalReason.TEMPLATED, path)]
    assert "a template" in refusals[0].message


@pytest.mark.parametrize(
    "step",
    [
        {"action": "light"},
        {"action": "light.turn on"},
        {"action": "light.*"},
        {"action": ["light.turn_on"]},
        {"service": 5},
        {"action": None},
        {"service": None, "data": {}},
        {"device_id": "d", "domain": "light"},
        {"device_id": "d", "domain": None, "type": 3},
    ],
)
def test_malformed_service_names(step: dict[str, Any]) -> None:
    refusals = check_services(
        {"actions": [step]}, allowed=["light.*"], sensitive_allowed=[]
    )
    assert [r.reason for r in refusals] == [RefusalReason.MALFORMED]
    assert refusals[0].service is not None


def nest(depth: int) -> dict[str, Any]:
    config: dict[str, Any] = {"action": "light.turn_on"}
    for _ in range(depth):
        config = {"sequence": [config]}
    return {"actions": [config]}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (None, "an automation must be a mapping, not NoneType"),
        ("actions: []", "an automation must be a mapping, not str"),
        ({"actions": "light.turn_on"}, "actions must be a list, not str"),
        ({"actions": [1]}, "an action must be a mapping, not int"),
        ({"actions": [{"choose": "x"}]}, "choose must be a list of options"),
        ({"actions": [{"choose": [3]}]}, "a choose option must be a mapping"),
        ({"actions": [{"repeat": [1]}]}, "repeat must be a mapping"),
        ({"actions": [{"if": [], "then": 5}]}, "actions must be a list, not int"),
        ({"use_blueprint": {"path": "x.yaml"}}, "from a blueprint cannot be checked"),
        (nest(MAX_DEPTH + 1), f"nested more than {MAX_DEPTH} levels deep"),
        (
            {"actions": [{"action": "light.turn_on"}] * (MAX_ACTIONS + 5)},
            f"more than {MAX_ACTIONS} actions",
        ),
        (
            {"actions": [{"choose": [{}] * (MAX_ACTIONS + 5)}]},
            f"more than {MAX_ACTIONS} actions",
        ),
    ],
)
def test_odd_shapes_are_malformed(config: Any, message: str) -> None:
    refusals = check_services(config, allowed=["light.*"], sensitive_allowed=[])
    assert len(refusals) == 1
    assert refusals[0].reason is RefusalReason.MALFORMED
    assert refusals[0].service is None
    assert message in refusals[0].message


def test_deep_but_allowed_nesting_passes() -> None:
    config = nest(MAX_DEPTH - 1)
    assert called(config) == ["light.turn_on"]
    assert check_services(config, allowed=["light.*"], sensitive_allowed=[]) == []


def test_single_mappings_where_lists_are_usual() -> None:
    config = {"actions": {"choose": {"sequence": {"action": "fan.turn_on"}}}}
    assert called(config) == ["fan.turn_on"]


def test_recursive_yaml_does_not_hang() -> None:
    config = yaml.safe_load("actions: &a [{sequence: *a, action: light.turn_on}]")
    refusals = check_services(config, allowed=["light.*"], sensitive_allowed=[])
    assert [r.reason for r in refusals] == [RefusalReason.MALFORMED]


def test_one_refusal_per_service_and_reason() -> None:
    config = {"actions": [{"action": "vacuum.start"}] * 3}
    refusals = check_services(config, allowed=[], sensitive_allowed=[])
    assert refusals == [
        Refusal(
            "vacuum.start",
            RefusalReason.NOT_ALLOWED,
            "vacuum.start is not on the allow list; add vacuum.start or vacuum.* "
            "to 'Allowed services' in the options to allow it",
            "actions[0].action",
        )
    ]


def test_long_names_are_shortened() -> None:
    call = services_called({"actions": [{"action": "{{ " + "x" * 500 + " }}"}]})[0]
    assert call.templated
    assert not call.valid
    assert len(call.service) == 100


def test_default_lists_are_patterns() -> None:
    assert all(is_service_pattern(entry) for entry in DEFAULT_ALLOWED_SERVICES)
    assert all(is_service_pattern(entry) for entry in SENSITIVE_SERVICES)
    assert not any(is_sensitive(entry) for entry in DEFAULT_ALLOWED_SERVICES)


def test_settings_without_templates_keep_their_services() -> None:
    settings = SafetySettings(allowed=("light.*",), sensitive_allowed=("lock.unlock",))
    strict = settings.without_templates()
    assert settings.templates
    assert not strict.templates
    assert (strict.allowed, strict.sensitive_allowed) == (
        ("light.*",),
        ("lock.unlock",),
    )
