"""The checks every automation passes: safety, HA's validation, existence."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import HomeAssistant

from custom_components.ha_ai.automation_check import (
    AutomationRefusedError,
    SafetySettings,
    async_check_automation,
)
from custom_components.ha_ai.engine.automations.safety import DEFAULT_ALLOWED_SERVICES

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
        {"action": "light.turn_off", "target": {"entity_id": "all"}},
        {
            "action": "light.turn_off",
            "target": {"entity_id": "{{ states('input_text.x') }}"},
        },
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
