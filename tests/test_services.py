"""The ha_ai.publish_event service."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import MqttMockHAClient
from voluptuous import Invalid

from custom_components.ha_ai.const import DOMAIN, SERVICE_PUBLISH_EVENT

from .conftest import published, set_mqtt_connected


async def call(
    hass: HomeAssistant, data: dict[str, Any], *, response: bool = True
) -> Any:
    return await hass.services.async_call(
        DOMAIN, SERVICE_PUBLISH_EVENT, data, blocking=True, return_response=response
    )


async def test_publishes_under_events_with_the_envelope(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    response = await call(
        hass, {"path": "kitchen/coffee_ready", "payload": {"cups": 2}, "ttl": 90}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    [(topic, payload, qos, retain)] = published(mqtt_mock, "ha-ai/events")
    assert (topic, qos, retain) == ("ha-ai/events/kitchen/coffee_ready", 1, False)
    assert payload["cups"] == 2
    assert payload["ttl"] == 90
    assert payload["source"] == "ha_ai"
    assert response == {
        "event_id": payload["event_id"],
        "topic": topic,
        "queued": False,
    }


async def test_payload_and_response_are_optional(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    assert await call(hass, {"path": "ping"}, response=False) is None
    await hass.async_block_till_done(wait_background_tasks=True)
    [(topic, payload, _, _)] = published(mqtt_mock, "ha-ai/events")
    assert topic == "ha-ai/events/ping"
    assert payload["ttl"] == 30


async def test_queued_while_disconnected(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    set_mqtt_connected(hass, mqtt_mock, False)
    response = await call(hass, {"path": "ping"})
    assert response["queued"] is True
    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m[0] for m in published(mqtt_mock, "ha-ai/events")] == ["ha-ai/events/ping"]


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("kitchen/+", "contains a wildcard"),
        ("kitchen/#", "contains a wildcard"),
        ("/kitchen", "starts or ends with"),
        ("kitchen//coffee", "empty level"),
        ("Kitchen Light", "lower-case letters"),
        ("$SYS/x", "reserved for the broker"),
        ("a/b/c/d/e/f/g/h/i", "more than 8 levels"),
        ("", "is empty"),
        ("x" * 101, "longer than 100"),
        ("a\x01b", "control characters"),
    ],
)
async def test_invalid_path_is_refused(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    path: str,
    message: str,
) -> None:
    with pytest.raises(ServiceValidationError, match=message):
        await call(hass, {"path": path})
    assert published(mqtt_mock, "ha-ai/events") == []


async def test_reserved_keys_are_refused(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError, match="reserved.*event_id, ttl"):
        await call(hass, {"path": "x", "payload": {"ttl": 1, "event_id": "a"}})


async def test_payload_must_be_a_mapping(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(Invalid):
        await call(hass, {"path": "x", "payload": [1, 2]})


async def test_payload_must_be_json(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError, match="cannot be sent as JSON"):
        await call(hass, {"path": "x", "payload": {"when": object()}})


async def test_huge_payload_is_refused(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    with pytest.raises(ServiceValidationError, match="at most 65536 bytes"):
        await call(hass, {"path": "x", "payload": {"blob": "x" * 70_000}})


async def test_refused_when_not_loaded(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    await hass.config_entries.async_unload(setup_entry.entry_id)
    with pytest.raises(ServiceValidationError, match="HA AI is not loaded"):
        await call(hass, {"path": "x"})
