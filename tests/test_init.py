"""Setting up, unloading and reloading the entry."""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import mqtt
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_ON
from homeassistant.core import (
    Event,
    EventStateChangedData,
    HomeAssistant,
    State,
    callback,
)
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import (
    DOMAIN,
    PUBLISH_ACK_TIMEOUT,
    SERVICE_PUBLISH_EVENT,
)

from .camera_helpers import FRONT, event_payload, send_event, state
from .conftest import published, set_mqtt_connected
from .test_mqtt_bus import FrozenBroker, let_time_pass
from .zigbee_helpers import house_devices

MQTT_LINK = "binary_sensor.ha_ai_mqtt_link"


def our_subscriptions(mqtt_mock: MqttMockHAClient) -> list[str]:
    """Return the topics HA AI holds in Home Assistant's MQTT client."""
    client = mqtt_mock._mock_wraps
    return sorted(
        subscription.topic
        for subscription in client.subscriptions
        if subscription.job.target.__module__.startswith("custom_components.ha_ai")
    )


class StalledBroker(FrozenBroker):
    """A broker that acknowledges nothing but HA AI's last word, `offline`."""

    async def publish(
        self, hass: HomeAssistant, topic: str, payload: str, *args: Any
    ) -> None:
        if payload == "offline":
            self.handed.append((topic, payload))
            return
        await super().publish(hass, topic, payload, *args)


def running_tasks() -> list[str]:
    """Return the names of HA AI's tasks that have not finished."""
    return sorted(
        task.get_name()
        for task in asyncio.all_tasks()
        if task.get_name().startswith(DOMAIN) and not task.done()
    )


def our_states(hass: HomeAssistant) -> dict[str, State]:
    """Return the states of HA AI's entities: its service's and the cameras'."""
    return {
        entity.entity_id: state
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry_id_of(hass)
        )
        if (state := hass.states.get(entity.entity_id)) is not None
    }


def entry_id_of(hass: HomeAssistant) -> str:
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    return entry.entry_id


def count_state_changes(hass: HomeAssistant) -> Counter[str]:
    """Count, from now on, the state changes of each entity."""
    changes: Counter[str] = Counter()

    @callback
    def count(event: Event[EventStateChangedData]) -> None:
        changes[event.data["entity_id"]] += 1

    hass.bus.async_listen(EVENT_STATE_CHANGED, count)
    return changes


async def publish_event(hass: HomeAssistant, path: str) -> None:
    """Publish an event on HA AI's bus through its service."""
    await hass.services.async_call(
        DOMAIN, SERVICE_PUBLISH_EVENT, {"path": path}, blocking=True
    )
    await hass.async_block_till_done()


async def touch_every_part(hass: HomeAssistant, mqtt_mock: MqttMockHAClient) -> None:
    """Send what each part follows: the bridge, a camera, the link to the broker."""
    async_fire_mqtt_message(
        hass, "zigbee2mqtt/bridge/devices", json.dumps(house_devices())
    )
    async_fire_mqtt_message(hass, "zigbee2mqtt/bridge/state", "online")
    send_event(hass, event_payload())
    await hass.async_block_till_done()
    set_mqtt_connected(hass, mqtt_mock, False)
    await hass.async_block_till_done()
    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done(wait_background_tasks=True)


async def test_setup_goes_online(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    assert setup_entry.state is ConfigEntryState.LOADED
    assert ("ha-ai/status", "online", 1, True) in published(mqtt_mock)
    assert our_subscriptions(mqtt_mock) == [
        "ha-ai/probe",
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
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert setup_entry.state is ConfigEntryState.NOT_LOADED
    assert published(mqtt_mock, "ha-ai")[-1] == ("ha-ai/status", "offline", 1, True)
    assert our_subscriptions(mqtt_mock) == []
    assert running_tasks() == []
    # Nothing HA AI followed makes it change a state or publish any more.
    before = our_states(hass)
    mqtt_mock.async_publish.reset_mock()
    await touch_every_part(hass, mqtt_mock)
    assert our_states(hass) == before
    assert published(mqtt_mock, "ha-ai") == []


async def test_unload_while_the_broker_is_stalled_leaves_nothing_running(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    broker = StalledBroker()
    with patch(
        "homeassistant.components.mqtt.async_publish", side_effect=broker.publish
    ):
        await publish_event(hass, "before/unload")
        await let_time_pass(hass, freezer, PUBLISH_ACK_TIMEOUT)
        assert broker.probes() == 1  # stalled: the bus probes the broker
        assert await hass.config_entries.async_unload(setup_entry.entry_id)
        assert running_tasks() == []
        assert broker.handed[-1] == ("ha-ai/status", "offline")
        handed = len(broker.handed)
        await let_time_pass(hass, freezer, 3 * PUBLISH_ACK_TIMEOUT)
        assert len(broker.handed) == handed  # no probe, no watchdog, no resend
        broker.thawed.set()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert len(broker.handed) == handed


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
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    subscriptions = our_subscriptions(mqtt_mock)
    for _ in range(3):
        assert await hass.config_entries.async_reload(setup_entry.entry_id)
        await hass.async_block_till_done()
    assert setup_entry.state is ConfigEntryState.LOADED
    assert our_subscriptions(mqtt_mock) == subscriptions
    assert running_tasks() == []
    assert mqtt.is_connected(hass)

    # Every part of the entry still reaches its entities, once per change.
    changes = count_state_changes(hass)
    await touch_every_part(hass, mqtt_mock)
    devices = [d for d in house_devices() if d["type"] != "Coordinator"]
    assert state(hass, "sensor.ha_ai_zigbee_devices") == str(len(devices))
    assert state(hass, "binary_sensor.ha_ai_zigbee2mqtt_bridge") == STATE_ON
    assert state(hass, FRONT["events_today"]) == "1"
    assert state(hass, MQTT_LINK) == STATE_ON
    assert changes[MQTT_LINK] == 2  # off, then on again
    assert changes[FRONT["last_event"]] == 1
    # A new camera's entities are added once, by the platforms of this entry.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    # One birth message, one republished status: no bus of an old entry is left.
    mqtt_mock.async_publish.reset_mock()
    async_fire_mqtt_message(hass, "homeassistant/status", "online")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert published(mqtt_mock, "ha-ai") == [("ha-ai/status", "online", 1, True)]


async def test_removing_the_entry_deletes_what_it_stored(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    hass_storage: dict[str, object],
) -> None:
    # The habit log keeps the house's changes; it writes them as the entry unloads.
    log_directory = Path(hass.config.path(".storage", "ha_ai_habits"))
    hass.states.async_set("light.hall", "off")
    hass.states.async_set("light.hall", "on")
    async_fire_mqtt_message(
        hass, "zigbee2mqtt/bridge/devices", json.dumps(house_devices())
    )
    await hass.async_block_till_done()
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert log_directory.exists()
    assert "ha_ai.zigbee" in hass_storage
    assert await hass.config_entries.async_remove(setup_entry.entry_id)
    await hass.async_block_till_done()
    assert "ha_ai.zigbee" not in hass_storage
    assert "ha_ai.zigbee_insights" not in hass_storage
    assert "ha_ai.habits" not in hass_storage
    assert "ha_ai.suggestions" not in hass_storage
    assert "ha_ai.deployments" not in hass_storage
    assert not log_directory.exists()
