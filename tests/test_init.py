"""Setting up, unloading and reloading the entry."""

from __future__ import annotations

import json
from unittest.mock import patch

from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import DATA_DISPATCHER
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.signals import entry_signal

from .conftest import published, set_mqtt_connected
from .zigbee_helpers import house_devices


def our_subscriptions(mqtt_mock: MqttMockHAClient) -> list[str]:
    """Return the topics HA AI holds in Home Assistant's MQTT client."""
    client = mqtt_mock._mock_wraps
    return sorted(
        subscription.topic
        for subscription in client.subscriptions
        if subscription.job.target.__module__.startswith("custom_components.ha_ai")
    )


async def test_setup_goes_online(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    assert setup_entry.state is ConfigEntryState.LOADED
    assert ("ha-ai/status", "online", 1, True) in published(mqtt_mock)
    assert our_subscriptions(mqtt_mock) == [
        "homeassistant/status",
        "liveobject/camera/+/event",
        "liveobject/camera/+/status",
        "liveobject/status",
        "zigbee2mqtt/#",
    ]


async def test_setup_retries_without_mqtt(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert str(config_entry.reason).startswith("The MQTT integration is not available")


async def test_setup_retries_when_subscribing_fails(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    with patch(
        "homeassistant.components.mqtt.async_subscribe",
        side_effect=HomeAssistantError("MQTT is not enabled"),
    ):
        assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "MQTT is not enabled" in str(config_entry.reason)


async def test_setup_does_not_wait_for_a_disconnected_broker(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, config_entry: MockConfigEntry
) -> None:
    set_mqtt_connected(hass, mqtt_mock, False)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert published(mqtt_mock, "ha-ai") == []
    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done()
    assert published(mqtt_mock, "ha-ai") == [("ha-ai/status", "online", 1, True)]


async def test_unload_goes_offline_and_leaves_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    bus = setup_entry.runtime_data.bus
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert setup_entry.state is ConfigEntryState.NOT_LOADED
    assert published(mqtt_mock, "ha-ai")[-1] == ("ha-ai/status", "offline", 1, True)
    assert our_subscriptions(mqtt_mock) == []
    assert bus.as_diagnostics()["subscriptions"] == 0
    assert len(bus._listeners) == 0
    assert bus._watchdog is None
    assert bus._probe_task is None
    # A birth message after unload no longer makes HA AI publish anything.
    mqtt_mock.async_publish.reset_mock()
    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done()
    assert published(mqtt_mock, "ha-ai") == []


async def test_unload_while_disconnected_publishes_nothing(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    set_mqtt_connected(hass, mqtt_mock, False)
    mqtt_mock.async_publish.reset_mock()
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    assert published(mqtt_mock) == []


async def test_unload_does_not_hang_on_a_silent_broker(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    async def never_acknowledged(*args: object) -> None:
        await hass.loop.create_future()

    with (
        patch("custom_components.ha_ai.bus.mqtt_bus.STATUS_PUBLISH_TIMEOUT", 0.01),
        patch(
            "homeassistant.components.mqtt.async_publish",
            side_effect=never_acknowledged,
        ),
    ):
        assert await hass.config_entries.async_unload(setup_entry.entry_id)
    assert setup_entry.state is ConfigEntryState.NOT_LOADED


async def test_reload_leaves_nothing_behind(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    subscriptions = our_subscriptions(mqtt_mock)
    old_buses = []
    for _ in range(3):
        old_buses.append(setup_entry.runtime_data.bus)
        assert await hass.config_entries.async_reload(setup_entry.entry_id)
        await hass.async_block_till_done()
    assert setup_entry.state is ConfigEntryState.LOADED
    assert our_subscriptions(mqtt_mock) == subscriptions
    # One listener per entity of the new runtime data, none left on the old ones.
    data = setup_entry.runtime_data
    ours = ("sensor.ha_ai", "binary_sensor.ha_ai")
    entities = [s for s in hass.states.async_all() if s.entity_id.startswith(ours)]
    bridge_signal = entry_signal(setup_entry.entry_id, "zigbee")
    listeners = [
        data.bus._listeners,
        hass.data[DATA_DISPATCHER].get(bridge_signal, {}),
        data.insights._listeners,
        data.habits._listeners,
        data.suggestions._listeners,
    ]
    # One listener per entity, plus the insights following the bridge, the live
    # watcher following the analysis and the suggestions following the insights.
    assert sum(map(len, listeners)) == len(entities) + 3
    assert all(len(old._listeners) == 0 for old in old_buses)
    assert mqtt.is_connected(hass)


async def test_removing_the_entry_deletes_what_it_stored(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    hass_storage: dict[str, object],
) -> None:
    log_directory = setup_entry.runtime_data.habit_log.directory
    await setup_entry.runtime_data.habit_log.async_add_rows(
        [(1_763_900_000, 0, "light.hall", "on")]
    )
    assert log_directory.exists()
    async_fire_mqtt_message(
        hass, "zigbee2mqtt/bridge/devices", json.dumps(house_devices())
    )
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert "ha_ai.zigbee" in hass_storage
    assert await hass.config_entries.async_remove(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert "ha_ai.zigbee" not in hass_storage
    assert "ha_ai.zigbee_insights" not in hass_storage
    assert "ha_ai.habits" not in hass_storage
    assert "ha_ai.suggestions" not in hass_storage
    assert "ha_ai.deployments" not in hass_storage
    assert not log_directory.exists()
