"""The MQTT bus: envelope, QoS, retain, topics, outage queue, inbound checks, birth."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import (
    CONF_MESSAGE_TTL,
    CONF_QOS,
    CONF_QUEUE_SIZE,
    DEFAULT_OPTIONS,
    MAX_INBOUND_PAYLOAD_BYTES,
)
from custom_components.ha_ai.mqtt_bus import MqttBus

from .conftest import published, set_mqtt_connected


def bus_of(entry: MockConfigEntry) -> MqttBus:
    bus: MqttBus = entry.runtime_data.bus
    return bus


def events(mqtt_mock: MqttMockHAClient) -> list[tuple[str, Any, int, bool]]:
    return [m for m in published(mqtt_mock, "ha-ai/") if m[0] != "ha-ai/status"]


async def test_event_carries_the_envelope(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    result = bus_of(setup_entry).async_publish_event(
        ["analysis", "complete"], {"patterns_detected": 4, "duration_seconds": 1.5}
    )
    await hass.async_block_till_done(wait_background_tasks=True)

    [(topic, payload, qos, retain)] = events(mqtt_mock)
    assert (topic, qos, retain) == ("ha-ai/analysis/complete", 1, False)
    assert result.topic == topic
    assert result.queued is False
    assert payload["event_id"] == result.event_id
    assert payload["patterns_detected"] == 4
    assert payload["duration_seconds"] == 1.5
    assert payload["source"] == "ha_ai"
    assert payload["schema"] == 1
    assert payload["ttl"] == 30
    timestamp = datetime.fromisoformat(payload["timestamp"])
    expires_at = datetime.fromisoformat(payload["expires_at"])
    assert timestamp.tzinfo is not None
    assert expires_at - timestamp == timedelta(seconds=30)
    assert abs(dt_util.now() - timestamp) < timedelta(seconds=5)


@pytest.mark.parametrize(
    "entry_options",
    [{**DEFAULT_OPTIONS, CONF_QOS: 0}, {**DEFAULT_OPTIONS, CONF_QOS: 2}],
)
async def test_qos_comes_from_the_options(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    entry_options: dict[str, Any],
) -> None:
    bus_of(setup_entry).async_publish_event(["x"], {})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m[2] for m in published(mqtt_mock, "ha-ai/")] == [
        entry_options[CONF_QOS]
    ] * 2


@pytest.mark.parametrize("entry_options", [{**DEFAULT_OPTIONS, CONF_MESSAGE_TTL: 120}])
async def test_ttl_comes_from_the_options_or_the_caller(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    bus_of(setup_entry).async_publish_event(["a"], {})
    bus_of(setup_entry).async_publish_event(["b"], {}, ttl=5)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m[1]["ttl"] for m in events(mqtt_mock)] == [120, 5]


@pytest.mark.parametrize(
    ("segments", "topic"),
    [
        (
            ["events", "device", "0x00158d00/+#", "paired"],
            "ha-ai/events/device/0x00158d00/paired",
        ),
        (
            ["events", "sports", "Paris Saint-Germain", "scored"],
            "ha-ai/events/sports/paris_saint-germain/scored",
        ),
        (["events", "sports", "", "won"], "ha-ai/events/sports/unknown/won"),
        (
            ["events", "device", "../..", "removed"],
            "ha-ai/events/device/unknown/removed",
        ),
        (
            ["events", "device", "Lumière Salon", "anomaly_detected"],
            "ha-ai/events/device/lumiere_salon/anomaly_detected",
        ),
    ],
)
async def test_hostile_names_become_safe_segments(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    segments: list[str],
    topic: str,
) -> None:
    bus_of(setup_entry).async_publish_event(segments, {})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m[0] for m in events(mqtt_mock)] == [topic]


@pytest.mark.parametrize("entry_options", [{**DEFAULT_OPTIONS, CONF_QUEUE_SIZE: 3}])
async def test_outage_queues_drops_oldest_and_flushes_in_order(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    bus = bus_of(setup_entry)
    set_mqtt_connected(hass, mqtt_mock, False)
    results = [bus.async_publish_event(["seq"], {"n": n}) for n in range(5)]
    await hass.async_block_till_done(wait_background_tasks=True)
    assert all(result.queued for result in results)
    assert events(mqtt_mock) == []
    assert bus.queued_messages == 3
    assert bus.statistics.messages_dropped_overflow == 2

    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m[1]["n"] for m in events(mqtt_mock)] == [2, 3, 4]
    assert bus.queued_messages == 0


async def test_outage_drops_expired_events(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    bus = bus_of(setup_entry)
    set_mqtt_connected(hass, mqtt_mock, False)
    bus.async_publish_event(["seq"], {"n": 1}, ttl=5)
    bus.async_publish_event(["seq"], {"n": 2}, ttl=60)
    bus.async_publish_event(["seq"], {"n": 3}, ttl=5)
    bus.async_publish_event(["seq"], {"n": 4}, ttl=60)
    freezer.tick(timedelta(seconds=10))

    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m[1]["n"] for m in events(mqtt_mock)] == [2, 4]
    assert bus.statistics.messages_dropped_expired == 2


async def test_events_published_during_a_flush_keep_their_place(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    bus = bus_of(setup_entry)
    set_mqtt_connected(hass, mqtt_mock, False)
    for n in range(3):
        bus.async_publish_event(["seq"], {"n": n})
    set_mqtt_connected(hass, mqtt_mock, True)
    bus.async_publish_event(["seq"], {"n": 3})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m[1]["n"] for m in events(mqtt_mock)] == [0, 1, 2, 3]


async def test_publish_error_while_connected_is_counted_and_dropped(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = bus_of(setup_entry)
    with patch(
        "homeassistant.components.mqtt.async_publish",
        side_effect=HomeAssistantError("broker said no"),
    ):
        bus.async_publish_event(["seq"], {"n": 1})
        await hass.async_block_till_done(wait_background_tasks=True)
    assert bus.statistics.publish_errors == 1
    assert bus.queued_messages == 0
    assert "Publishing to ha-ai/seq failed: broker said no" in caplog.text
    bus.async_publish_event(["seq"], {"n": 2})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m[1]["n"] for m in events(mqtt_mock)] == [2]


async def test_publish_error_from_a_lost_link_is_sent_after_reconnect(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    bus = bus_of(setup_entry)

    async def link_lost(*args: object) -> None:
        mqtt_mock.connected = False
        raise HomeAssistantError("not connected")

    with patch("homeassistant.components.mqtt.async_publish", side_effect=link_lost):
        bus.async_publish_event(["seq"], {"n": 1})
        bus.async_publish_event(["seq"], {"n": 2})
        await hass.async_block_till_done(wait_background_tasks=True)
    assert bus.queued_messages == 2
    set_mqtt_connected(hass, mqtt_mock, False)
    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m[1]["n"] for m in events(mqtt_mock)] == [1, 2]


async def test_status_is_republished_on_reconnect_and_birth(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    mqtt_mock.async_publish.reset_mock()
    set_mqtt_connected(hass, mqtt_mock, False)
    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert published(mqtt_mock, "ha-ai") == [("ha-ai/status", "online", 1, True)]

    mqtt_mock.async_publish.reset_mock()
    async_fire_mqtt_message(hass, "homeassistant/status", "offline")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert published(mqtt_mock, "ha-ai") == []
    async_fire_mqtt_message(hass, "homeassistant/status", "online")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert published(mqtt_mock, "ha-ai") == [("ha-ai/status", "online", 1, True)]


async def test_other_retained_state_is_republished_on_birth(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    bus = bus_of(setup_entry)
    bus.async_set_retained(bus.topic("bridge"), "up")
    await hass.async_block_till_done(wait_background_tasks=True)
    mqtt_mock.async_publish.reset_mock()
    async_fire_mqtt_message(hass, "homeassistant/status", "online")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert sorted(published(mqtt_mock, "ha-ai")) == [
        ("ha-ai/bridge", "up", 1, True),
        ("ha-ai/status", "online", 1, True),
    ]


@pytest.mark.parametrize(
    "mqtt_config_entry_options",
    [
        {
            "birth_message": {
                "topic": "hass/birth",
                "payload": "online",
                "qos": 0,
                "retain": False,
            }
        }
    ],
)
async def test_birth_topic_follows_the_mqtt_settings(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    mqtt_mock.async_publish.reset_mock()
    async_fire_mqtt_message(hass, "hass/birth", "online")
    await hass.async_block_till_done()
    assert ("ha-ai/status", "online", 1, True) in published(mqtt_mock, "ha-ai")


async def subscribe_json(
    hass: HomeAssistant, entry: MockConfigEntry, topic: str
) -> list[tuple[str, dict[str, Any]]]:
    received: list[tuple[str, dict[str, Any]]] = []
    await bus_of(entry).async_subscribe_json(
        topic, lambda topic, data: received.append((topic, data))
    )
    return received


async def test_inbound_json_reaches_the_handler(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    received = await subscribe_json(hass, setup_entry, "ha-ai/commands/#")
    async_fire_mqtt_message(hass, "ha-ai/commands/automation/deploy", '{"id": "a"}')
    await hass.async_block_till_done(wait_background_tasks=True)
    assert received == [("ha-ai/commands/automation/deploy", {"id": "a"})]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ("{not json", "not valid JSON"),
        (b"\xff\xfe\x00", "not valid JSON"),
        ("[1, 2, 3]", "not an object"),
        ("42", "not an object"),
        ('{"expires_at": "2000-01-01T00:00:00+00:00"}', "expired"),
        ('{"expires_at": "tomorrow"}', "invalid expires_at"),
        ("x" * (MAX_INBOUND_PAYLOAD_BYTES + 1), "exceeds"),
    ],
)
async def test_invalid_inbound_json_is_dropped_with_a_debug_line(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    payload: str | bytes,
    reason: str,
) -> None:
    received = await subscribe_json(hass, setup_entry, "ha-ai/commands/#")
    with caplog.at_level(logging.DEBUG, logger="custom_components.ha_ai"):
        async_fire_mqtt_message(hass, "ha-ai/commands/automation/deploy", payload)
        await hass.async_block_till_done(wait_background_tasks=True)
    assert received == []
    assert "Dropped a message on ha-ai/commands/automation/deploy" in caplog.text
    assert reason in caplog.text
    assert bus_of(setup_entry).statistics.messages_rejected == 1


async def test_inbound_text(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    received: list[str] = []
    await bus_of(setup_entry).async_subscribe_text(
        "tests/plain", lambda _topic, text: received.append(text)
    )
    async_fire_mqtt_message(hass, "tests/plain", "online")
    async_fire_mqtt_message(hass, "tests/plain", b"\xff")
    async_fire_mqtt_message(hass, "tests/plain", "x" * (MAX_INBOUND_PAYLOAD_BYTES + 1))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert received == ["online"]
    assert bus_of(setup_entry).statistics.messages_rejected == 2


async def test_listeners_are_told_about_changes(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    bus = bus_of(setup_entry)
    calls: list[int] = []
    remove = bus.async_add_listener(lambda: calls.append(1))
    set_mqtt_connected(hass, mqtt_mock, False)
    assert calls
    remove()
    remove()
    calls.clear()
    set_mqtt_connected(hass, mqtt_mock, True)
    assert calls == []
