"""The blueprint that notifies a phone of new suggestions, with Accept / Dismiss."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import pytest
from homeassistant.components.blueprint.errors import MissingInput
from homeassistant.components.blueprint.models import BlueprintInputs
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import DOMAIN

from .blueprint_helpers import BLUEPRINTS, install_blueprint, load_blueprint
from .conftest import published
from .fixtures_common import mock_hass_config, no_cooldown  # noqa: F401
from .habit_helpers import COFFEE, MORNING, add_house

BLUEPRINT = BLUEPRINTS / "notify_new_suggestions.yaml"
MINE = "custom_components.ha_ai.habits.coordinator.mine_habits"
PHONE = "mobile_app_phone"


def test_the_blueprint_is_valid_and_asks_for_the_phone() -> None:
    blueprint = load_blueprint(BLUEPRINT)
    assert blueprint.validate() is None
    assert blueprint.domain == "automation"
    assert set(blueprint.inputs) == {"notify_action", "topic"}
    use = {"use_blueprint": {"path": BLUEPRINT.name, "input": {}}}
    with pytest.raises(MissingInput, match="notify_action"):
        BlueprintInputs(blueprint, use).validate()
    use["use_blueprint"]["input"] = {"notify_action": f"notify.{PHONE}"}
    inputs = BlueprintInputs(blueprint, use)
    inputs.validate()
    automation = inputs.async_substitute()
    assert automation["triggers"][0]["topic"] == "ha-ai/suggestions/new"


@pytest.fixture
def configuration(tmp_path: Path) -> None:
    """The blueprint where Home Assistant looks, and an automation using it."""
    install_blueprint(tmp_path, BLUEPRINT)
    (tmp_path / "automations.yaml").write_text(
        "- id: phone\n"
        "  alias: Suggestions to my phone\n"
        "  use_blueprint:\n"
        f"    path: ha_ai/{BLUEPRINT.name}\n"
        "    input:\n"
        f"      notify_action: notify.{PHONE}\n"
    )


@pytest.fixture
async def phone(hass: HomeAssistant, setup_entry: MockConfigEntry) -> list[ServiceCall]:
    """A house with a phone, and the automation made from the blueprint running."""
    add_house(hass)
    calls: list[ServiceCall] = []

    async def notify(call: ServiceCall) -> None:
        calls.append(call)

    hass.services.async_register("notify", PHONE, notify)
    assert await async_setup_component(hass, "automation", {})
    # HA AI set automations up already: a reload reads configuration.yaml.
    await hass.services.async_call("automation", "reload", blocking=True)
    assert hass.states.get("automation.suggestions_to_my_phone").state == "on"
    return calls


async def status(hass: HomeAssistant, suggestion_id: str) -> str:
    response = await hass.services.async_call(
        DOMAIN, "get_suggestions", {}, blocking=True, return_response=True
    )
    [found] = [
        s for s in response["suggestions"] if s["suggestion_id"] == suggestion_id
    ]
    return str(found["status"])


async def test_new_suggestions_reach_the_phone_and_its_buttons_answer_them(
    configuration: None,
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    phone: list[ServiceCall],
) -> None:
    with patch(MINE, return_value=[MORNING, COFFEE]):
        await hass.services.async_call(DOMAIN, "run_analysis", blocking=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    messages = published(mqtt_mock, "ha-ai/suggestions/new")
    assert len(messages) == 2
    # The (mocked) broker hands HA AI's messages to the blueprint's MQTT trigger.
    await hass.async_block_till_done()
    assert len(phone) == 2
    by_id = {}
    for call in phone:
        buttons = call.data["data"]["actions"]
        assert [button["title"] for button in buttons] == ["Accept", "Dismiss"]
        suggestion_id = buttons[0]["action"].removeprefix("HA_AI_ACCEPT_")
        assert buttons[1]["action"] == f"HA_AI_DISMISS_{suggestion_id}"
        assert call.data["title"].startswith("HA AI suggests: ")
        by_id[suggestion_id] = call
    payload_by_id = {payload["suggestion_id"]: payload for _, payload, _, _ in messages}
    assert set(by_id) == set(payload_by_id)
    routine, pair = sorted(by_id, key=lambda i: payload_by_id[i]["kind"])
    assert payload_by_id[routine]["kind"] == "routine"

    # Accept on the phone deploys the routine; Dismiss drops the pair.
    hass.bus.async_fire(
        "mobile_app_notification_action", {"action": f"HA_AI_ACCEPT_{routine}"}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await status(hass, routine) == "deployed"
    hass.bus.async_fire(
        "mobile_app_notification_action", {"action": f"HA_AI_DISMISS_{pair}"}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await status(hass, pair) == "dismissed"

    # Other buttons of the companion app and odd messages are left alone.
    hass.bus.async_fire("mobile_app_notification_action", {"action": "OPEN_DOOR"})
    async_fire_mqtt_message(hass, "ha-ai/suggestions/new", "not json")
    await hass.async_block_till_done()
    assert len(phone) == 2
