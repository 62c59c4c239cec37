"""What the user sees of the suggestions over time: one summary, stale ones going."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.ha_ai.const import DOMAIN

from .conftest import notifications, published
from .fixtures_common import mock_hass_config, no_cooldown  # noqa: F401
from .habit_helpers import COFFEE, MORNING, add_house, analyse, writable_automations
from .zigbee_helpers import VIBRATION, house_devices, register_house, send

SUMMARY = "ha_ai_suggestions"


@pytest.fixture
async def house(hass: HomeAssistant, tmp_path: Path) -> None:
    """A house whose automations.yaml HA AI can write into."""
    add_house(hass)
    await writable_automations(hass, tmp_path)


async def settle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the debounced judgement run, then the suggestions' refresh after it."""
    for _ in range(2):
        await hass.async_block_till_done(wait_background_tasks=True)
        freezer.tick(timedelta(seconds=11))
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)


async def listed(hass: HomeAssistant, **filters: Any) -> list[dict[str, Any]]:
    response = await hass.services.async_call(
        DOMAIN, "get_suggestions", filters, blocking=True, return_response=True
    )
    return list(response["suggestions"])


async def answer(hass: HomeAssistant, service: str, suggestion_id: str) -> None:
    await hass.services.async_call(
        DOMAIN, service, {"suggestion_id": suggestion_id}, blocking=True
    )


def announced(mqtt_mock: MqttMockHAClient) -> list[str]:
    return [
        payload["suggestion_id"]
        for _, payload, _, _ in published(mqtt_mock, "ha-ai/suggestions/new")
    ]


@pytest.mark.usefixtures("house")
async def test_one_summary_replaced_by_the_next_and_gone_once_all_are_answered(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
) -> None:
    await analyse(hass, [MORNING])
    [morning] = await listed(hass)
    shown = await notifications(hass, hass_ws_client)
    assert list(shown) == [SUMMARY]
    assert shown[SUMMARY]["title"] == "HA AI has 1 new suggestion"
    assert f"- {morning['title']}" in shown[SUMMARY]["message"]
    assert "HA AI card" in shown[SUMMARY]["message"]

    # The next analysis finds one more: the same notification, now naming both.
    await analyse(hass, [MORNING, COFFEE])
    shown = await notifications(hass, hass_ws_client)
    assert list(shown) == [SUMMARY]
    assert shown[SUMMARY]["title"] == "HA AI has 2 new suggestions"
    coffee = next(s for s in await listed(hass) if s["kind"] == "used_together")
    for suggestion in (morning, coffee):
        assert f"- {suggestion['title']}" in shown[SUMMARY]["message"]
    # The MQTT message stays one per new suggestion.
    assert sorted(announced(mqtt_mock)) == sorted(
        [morning["suggestion_id"], coffee["suggestion_id"]]
    )

    # Answering one leaves the summary; answering the last takes it away.
    await answer(hass, "dismiss_suggestion", coffee["suggestion_id"])
    assert list(await notifications(hass, hass_ws_client)) == [SUMMARY]
    await answer(hass, "accept_suggestion", morning["suggestion_id"])
    assert await notifications(hass, hass_ws_client) == {}

    # An analysis without anything new raises no summary again.
    await analyse(hass, [MORNING, COFFEE])
    assert await notifications(hass, hass_ws_client) == {}


@pytest.fixture
def registry(hass: HomeAssistant) -> dict[str, str]:
    """Register the Zigbee house the way Zigbee2MQTT's discovery would."""
    return register_house(hass)


def feature_ids(suggestions: list[dict[str, Any]]) -> dict[str, str]:
    """Return the open feature suggestions by the entity they are about."""
    return {
        (s["entities"] or ["-"])[0]: s["suggestion_id"]
        for s in suggestions
        if s["kind"] == "feature"
    }


@pytest.mark.usefixtures("house")
async def test_features_in_use_or_of_removed_devices_go_at_the_next_judgement(
    hass: HomeAssistant,
    tmp_path: Path,
    hass_ws_client: WebSocketGenerator,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await settle(hass, freezer)
    features = feature_ids(await listed(hass, status="new"))
    assert {registry["power"], registry["vibration"]} <= set(features)
    count = len(await listed(hass, status="new"))
    assert count > 3
    # The summary names the best three, and how many more there are.
    [summary] = (await notifications(hass, hass_ws_client)).values()
    assert summary["title"] == f"HA AI has {count} new suggestions"
    assert summary["message"].count("\n- ") == 3
    assert f"- and {count - 3} more" in summary["message"]

    # An automation comes to use the plug's power: that suggestion goes.
    (tmp_path / "automations.yaml").write_text(
        f"- id: power\n  triggers:\n    - trigger: state\n"
        f"      entity_id: {registry['power']}\n  actions: []\n"
    )
    await hass.services.async_call("automation", "reload", blocking=True)
    await settle(hass, freezer)
    remaining = feature_ids(await listed(hass))
    assert registry["power"] not in remaining
    assert registry["vibration"] in remaining
    assert features[registry["power"]] not in {
        s["suggestion_id"] for s in await listed(hass)
    }

    # The vibration sensor leaves the Zigbee network: its suggestions go too.
    send(
        hass,
        "bridge/devices",
        [d for d in house_devices() if d["ieee_address"] != VIBRATION],
    )
    await settle(hass, freezer)
    remaining = feature_ids(await listed(hass))
    assert registry["vibration"] not in remaining
    assert remaining
    # Nothing was announced twice on the way.
    assert len(announced(mqtt_mock)) == len(set(announced(mqtt_mock)))


@pytest.mark.usefixtures("house")
async def test_an_enabled_entity_takes_its_suggestion_away_when_it_is_used(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    registry: dict[str, str],
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    entity_registry.async_update_entity(
        registry["vibration"], disabled_by=er.RegistryEntryDisabler.USER
    )
    send(hass, "bridge/devices", house_devices())
    await settle(hass, freezer)
    before = {s["suggestion_id"] for s in await listed(hass, kind="feature")}
    vibration = {
        s["suggestion_id"]
        for s in await listed(hass, kind="feature")
        if VIBRATION in s["suggestion_id"] or "vibration" in s["title"].lower()
    }
    assert vibration
    # Enabled and referenced by a scene: in use, so the suggestion goes.
    entity_registry.async_update_entity(registry["vibration"], disabled_by=None)
    assert await async_setup_component(
        hass,
        "scene",
        {"scene": [{"name": "Hall", "entities": {registry["vibration"]: "off"}}]},
    )
    hass.bus.async_fire("scene_reloaded")
    await settle(hass, freezer)
    after = {s["suggestion_id"] for s in await listed(hass, kind="feature")}
    assert after == before - vibration


@pytest.mark.usefixtures("house")
async def test_suggestions_about_a_removed_entity_go_but_deployed_ones_stay(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    entity_registry: er.EntityRegistry,
) -> None:
    hass.states.async_remove("switch.coffee")
    entity_registry.async_get_or_create(
        "switch", "demo", "coffee", suggested_object_id="coffee"
    )
    hass.states.async_set("switch.coffee", "off", {"friendly_name": "Coffee"})
    await analyse(hass, [MORNING, COFFEE])
    morning = next(s for s in await listed(hass) if s["kind"] == "routine")
    await answer(hass, "accept_suggestion", morning["suggestion_id"])
    assert list(await notifications(hass, hass_ws_client)) == [SUMMARY]

    # The coffee machine is removed from Home Assistant; so is the bedroom light.
    entity_registry.async_remove("switch.coffee")
    hass.states.async_remove("switch.coffee")
    hass.states.async_remove("light.bedroom")
    await settle(hass, freezer)
    assert [s["kind"] for s in await listed(hass)] == ["routine"]
    assert (await listed(hass))[0]["status"] == "deployed"
    assert await notifications(hass, hass_ws_client) == {}
    # The next analysis still holding the old pattern does not bring it back.
    await analyse(hass, [MORNING, COFFEE])
    assert [s["kind"] for s in await listed(hass)] == ["routine"]
