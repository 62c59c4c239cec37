"""The checks every automation passes: safety, HA's validation, existence."""

from __future__ import annotations

import json
from typing import Any
from uuid import uuid4

import pytest
import voluptuous as vol
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.automations.check import (
    AutomationRefusedError,
    SafetySettings,
    async_check_automation,
)
from custom_components.ha_ai.const import (
    CONF_REMOTE_DEPLOY,
    CONF_REMOTE_SECRET,
    DEFAULT_OPTIONS,
)
from custom_components.ha_ai.engine.automations.bounds import MAX_NESTING
from custom_components.ha_ai.engine.automations.commands import sign_command
from custom_components.ha_ai.engine.automations.safety import DEFAULT_ALLOWED_SERVICES

from .conftest import published
from .habit_helpers import add_house

SAFETY = SafetySettings(allowed=DEFAULT_ALLOWED_SERVICES, sensitive_allowed=())
TRIGGERS = [{"trigger": "time", "at": "07:00:00"}]


def automation(*actions: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"alias": "Test", "triggers": TRIGGERS, "actions": list(actions), **extra}


async def check(hass: HomeAssistant, config: dict[str, Any], **safety: Any) -> Any:
    return await async_check_automation(
        hass,
        config,
        automation_id="check_me",
        safety=SafetySettings(**safety) if safety else SAFETY,
    )


async def test_a_good_automation_gets_its_id(hass: HomeAssistant) -> None:
    add_house(hass)
    config = automation(
        {
            "action": "light.turn_on",
            "target": {"entity_id": "light.bedroom, light.kitchen"},
        },
        {"action": "switch.turn_on", "target": {"entity_id": ["switch.coffee"]}},
    )
    checked = await check(hass, config)
    assert checked["id"] == "check_me"
    assert checked["alias"] == "Test"


@pytest.mark.parametrize(
    ("config", "reason", "words"),
    [
        (
            automation({"action": "lock.unlock", "target": {"entity_id": "lock.x"}}),
            "refused",
            "lock.unlock",
        ),
        ({"alias": "No triggers", "actions": []}, "invalid", "does not accept"),
        (
            automation(
                {"action": "light.turn_on", "target": {"entity_id": "light.nowhere"}}
            ),
            "unknown_entity",
            "light.nowhere",
        ),
        (
            automation(
                {"action": "switch.nope", "target": {"entity_id": "switch.coffee"}}
            ),
            "unknown_service",
            "switch.nope",
        ),
    ],
)
async def test_refusals_say_why(
    hass: HomeAssistant, config: dict[str, Any], reason: str, words: str
) -> None:
    add_house(hass)
    with pytest.raises(AutomationRefusedError) as caught:
        await check(hass, config)
    assert caught.value.reason == reason
    assert words in caught.value.message


async def test_unknown_devices_are_refused(hass: HomeAssistant) -> None:
    add_house(hass)
    config = automation(
        {"action": "light.turn_on", "target": {"device_id": "0123456789abcdef"}}
    )
    with pytest.raises(AutomationRefusedError) as caught:
        await check(hass, config)
    assert caught.value.reason == "unknown_device"


async def test_sensitive_services_pass_when_picked(hass: HomeAssistant) -> None:
    add_house(hass)
    hass.states.async_set("lock.front", "locked")
    hass.services.async_register("lock", "unlock", lambda _: None)
    config = automation(
        {"action": "lock.unlock", "target": {"entity_id": "lock.front"}}
    )
    checked = await check(
        hass, config, allowed=("lock.*",), sensitive_allowed=("lock.unlock",)
    )
    assert checked["actions"][0]["action"] == "lock.unlock"


async def test_deeply_nested_data_is_walked_safely(hass: HomeAssistant) -> None:
    """Existence checks stop at a sane depth; the data itself is not a target."""
    add_house(hass)
    nested: dict[str, Any] = {"entity_id": "light.nowhere"}
    for _ in range(40):
        nested = {"inner": nested}
    config = automation({"action": "light.turn_on", "data": nested})
    assert (await check(hass, config))["id"] == "check_me"


LOOP = "{% for i in range(3000) %}{% for j in range(3000) %}{% endfor %}{% endfor %}"
LIGHT_ON = {"action": "light.turn_on", "target": {"entity_id": "light.bedroom"}}


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    ("config", "words"),
    [
        (automation({"event": "homeassistant_stop"}), "firing events is never allowed"),
        (
            automation(
                {"if": [], "then": [{"parallel": [{"event": "homeassistant_stop"}]}]}
            ),
            "firing events is never allowed",
        ),
        (
            automation(
                LIGHT_ON,
                triggers=[
                    {"trigger": "webhook", "webhook_id": "x", "local_only": False}
                ],
            ),
            "webhook triggers are never allowed",
        ),
        (
            automation(
                LIGHT_ON, triggers=[{"trigger": "template", "value_template": LOOP}]
            ),
            "loops ({% for %}) are not allowed",
        ),
        (automation(LIGHT_ON, conditions=[LOOP]), "loops ({% for %}) are not allowed"),
        (
            automation({"action": "light.turn_off", "target": {"entity_id": "all"}}),
            "acts on everything or nothing",
        ),
        (
            automation(
                {
                    "action": "light.turn_off",
                    "target": {"entity_id": "{{ states('input_text.x') }}"},
                }
            ),
            "is a template, so what it acts on cannot be checked",
        ),
        (
            automation(LIGHT_ON, variables={"x": nested(300)}),
            f"nested more than {MAX_NESTING} levels deep",
        ),
        (
            automation(
                {
                    "action": "persistent_notification.create",
                    "data": {"message": "{{ states | map(attribute='entity_id') }}"},
                }
            ),
            "outside the subset HA AI accepts",
        ),
        (
            automation({"set_conversation_response": "x"}),
            "no conversation to answer",
        ),
        (automation({"do_something": "x"}), "of no kind HA AI allows"),
    ],
)
async def test_hostile_automations_are_refused(
    hass: HomeAssistant, config: dict[str, Any], words: str
) -> None:
    add_house(hass)
    with pytest.raises(AutomationRefusedError) as caught:
        await check(hass, config)
    assert caught.value.reason == "refused"
    assert words in caught.value.message


@pytest.mark.parametrize(
    ("service", "words"),
    [
        ("homeassistant.restart", "homeassistant.restart is never allowed"),
        ("homeassistant.stop", "homeassistant.stop is never allowed"),
        ("homeassistant.turn_on", "homeassistant.turn_on is sensitive"),
        ("homeassistant.reload_all", "homeassistant.reload_all is sensitive"),
    ],
)
async def test_homeassistant_restart_with_homeassistant_star_allowed_is_refused(
    hass: HomeAssistant, service: str, words: str
) -> None:
    add_house(hass)
    config = automation({"action": service})
    with pytest.raises(AutomationRefusedError) as caught:
        await check(
            hass,
            config,
            allowed=("homeassistant.*",),
            sensitive_allowed=("homeassistant.*",),
        )
    assert words in caught.value.message
    assert "'Allowed services'" not in caught.value.message


async def test_templates_in_the_subset_pass_unless_refused(hass: HomeAssistant) -> None:
    add_house(hass)
    hass.services.async_register("persistent_notification", "create", lambda _: None)
    config = automation(
        {
            "action": "persistent_notification.create",
            "data": {"message": "Bedroom is {{ states('light.bedroom') }}"},
        },
        conditions=["{{ is_state('light.bedroom', 'off') }}"],
    )
    assert (await check(hass, config))["id"] == "check_me"
    without = SAFETY.without_templates()
    assert without.templates is False
    assert SAFETY.templates is True
    with pytest.raises(AutomationRefusedError) as caught:
        await async_check_automation(
            hass, config, automation_id="check_me", safety=without
        )
    assert "templates are not accepted here" in caught.value.message


SECRET = "a-secret-for-the-template-test"  # noqa: S105 - a test secret


@pytest.mark.parametrize(
    "entry_options",
    [{**DEFAULT_OPTIONS, CONF_REMOTE_DEPLOY: True, CONF_REMOTE_SECRET: SECRET}],
)
@pytest.mark.parametrize(
    ("actions", "words"),
    [
        (
            [
                {
                    "action": "switch.turn_on",
                    "target": {"entity_id": "switch.coffee"},
                    "enabled": "{{ is_state('switch.coffee', 'off') }}",
                }
            ],
            "templates are not accepted here",
        ),
        ([{"event": "homeassistant_stop"}], "firing events is never allowed"),
    ],
)
async def test_remote_commands_refuse_templates_and_events(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    actions: list[dict[str, Any]],
    words: str,
) -> None:
    add_house(hass)
    payload = sign_command(
        {
            "event_id": uuid4().hex,
            "timestamp": dt_util.utcnow().isoformat(),
            "ttl": 30,
            "automation_id": "remote_template",
            "automation": {"alias": "Remote", "triggers": TRIGGERS, "actions": actions},
        },
        SECRET,
    )
    async_fire_mqtt_message(
        hass, "ha-ai/commands/automation/deploy", json.dumps(payload)
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    [(_, response, _, _)] = published(mqtt_mock, "ha-ai/responses/")
    assert response["success"] is False
    assert response["reason"] == "refused"
    assert words in response["error"]


def light_with_a_schema(hass: HomeAssistant) -> None:
    """A light.turn_on that, as the real one, only takes a whole brightness."""

    async def turn_on(_call: ServiceCall) -> None:
        return None

    hass.services.async_register(
        "light",
        "turn_on",
        turn_on,
        schema=cv.make_entity_service_schema(
            {vol.Optional("brightness"): vol.All(vol.Coerce(int), vol.Range(0, 255))}
        ),
    )


@pytest.mark.parametrize(
    "actions",
    [
        [
            {
                "action": "light.turn_on",
                "target": {"entity_id": "light.bedroom"},
                "data": {"brightness": "very"},
            }
        ],
        [
            {
                "choose": [
                    {
                        "conditions": [],
                        "sequence": [
                            {
                                "action": "light.turn_on",
                                "target": {"entity_id": "light.bedroom"},
                                "data": {"brightness": 900},
                            }
                        ],
                    }
                ]
            }
        ],
        [
            {
                "action": "light.turn_on",
                "target": {"entity_id": "light.bedroom"},
                "data": {"colour": "red"},
            }
        ],
    ],
)
async def test_data_the_service_refuses_is_refused_before_it_runs(
    hass: HomeAssistant, actions: list[dict[str, Any]]
) -> None:
    add_house(hass)
    light_with_a_schema(hass)

    with pytest.raises(AutomationRefusedError) as refused:
        await check(hass, automation(*actions))

    assert refused.value.reason == "invalid_data"
    assert refused.value.message.startswith("light.turn_on (actions[0]")
    assert "does not accept its data" in refused.value.message


async def test_data_the_service_takes_or_cannot_know_yet_passes(
    hass: HomeAssistant,
) -> None:
    add_house(hass)
    light_with_a_schema(hass)
    fine = automation(
        {
            "action": "light.turn_on",
            "target": {"entity_id": "light.bedroom"},
            "data": {"brightness": 128},
        },
        # A template is only known when the automation runs.
        {
            "action": "light.turn_on",
            "target": {"entity_id": "light.kitchen"},
            "data": {"brightness": "{{ 20 * 5 }}"},
        },
        # switch.turn_on of the test house has no schema: nothing to hold it to.
        {
            "action": "switch.turn_on",
            "target": {"entity_id": "switch.coffee"},
            "data": {"anything": 1},
        },
    )
    checked = await check(
        hass,
        fine,
        allowed=DEFAULT_ALLOWED_SERVICES,
        sensitive_allowed=(),
        templates=True,
    )
    assert checked["id"] == "check_me"
