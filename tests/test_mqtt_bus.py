"""The MQTT bus: envelope, QoS, topics, queues, stalls, inbound checks, birth."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.bus.mqtt_bus import MqttBus
from custom_components.ha_ai.const import (
    BIRTH_REPUBLISH_COOLDOWN,
    CONF_MESSAGE_TTL,
    CONF_QOS,
    CONF_QUEUE_SIZE,
    DEFAULT_OPTIONS,
    MAX_INBOUND_PAYLOAD_BYTES,
    PUBLISH_ACK_TIMEOUT,
    PUBLISH_WINDOW,
)

from .conftest import published, set_mqtt_connected


def bus_of(entry: MockConfigEntry) -> MqttBus:
    bus: MqttBus = entry.runtime_data.bus
    return bus


def events(mqtt_mock: MqttMockHAClient) -> list[tuple[str, Any, int, bool]]:
    return [m for m in published(mqtt_mock, "ha-ai/") if m[0] != "ha-ai/status"]


def drop_summaries(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.getMessage().startswith("Dropped ")
        and record.levelno == logging.WARNING
    ]


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


async def test_publish_error_while_connected_is_counted_dropped_and_summarised(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = bus_of(setup_entry)
    with patch(
        "homeassistant.components.mqtt.async_publish",
        side_effect=HomeAssistantError("broker said no\nERROR fake line"),
    ):
        bus.async_publish_event(["seq"], {"n": 1})
        await hass.async_block_till_done(wait_background_tasks=True)
    assert bus.statistics.publish_errors == 1
    assert bus.queued_messages == 0
    bus.async_publish_event(["seq"], {"n": 2})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m[1]["n"] for m in events(mqtt_mock)] == [2]

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    [summary] = drop_summaries(caplog)
    assert "Dropped 1 MQTT events: 1 refused by the MQTT client" in summary
    assert "(last error: broker said no\\nERROR fake line); on ha-ai/seq (1)" in summary


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


async def test_a_newline_in_a_topic_cannot_forge_a_log_line(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    received = await subscribe_json(hass, setup_entry, "ha-ai/commands/#")
    forged = "x\n2026-12-01 06:07:00 ERROR (MainThread) [homeassistant.core] boom"
    with caplog.at_level(logging.DEBUG, logger="custom_components.ha_ai"):
        async_fire_mqtt_message(hass, f"ha-ai/commands/{forged}", "{not json")
        await hass.async_block_till_done(wait_background_tasks=True)
    assert received == []
    [line] = [
        record.getMessage()
        for record in caplog.records
        if record.getMessage().startswith("Dropped a message on")
    ]
    assert "\n" not in line
    assert "ha-ai/commands/x\\n2026-12-01" in line


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
    # Entities listen with callbacks, which the dispatcher runs at once.
    remove = bus.async_add_listener(callback(lambda: calls.append(1)))
    set_mqtt_connected(hass, mqtt_mock, False)
    assert calls
    remove()
    remove()
    calls.clear()
    set_mqtt_connected(hass, mqtt_mock, True)
    assert calls == []


# Delivery under load, outages and a frozen broker (issue 10, points 12, 13 and 16)


def seq_numbers(mqtt_mock: MqttMockHAClient) -> list[int]:
    return [m[1]["n"] for m in events(mqtt_mock) if m[0] == "ha-ai/seq"]


async def test_twenty_thousand_events_at_once_while_connected_all_go_out_in_order(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The outage queue holds 100 events; a burst while connected is no outage.
    # A client that acknowledges at once keeps the test fast.
    bus = bus_of(setup_entry)
    sent: list[int] = []

    async def acknowledged(
        hass: HomeAssistant, topic: str, payload: str, *_: Any
    ) -> None:
        if topic == "ha-ai/probe":
            return  # the write check's, should the burst take seconds
        sent.append(json.loads(payload)["n"])
        await asyncio.sleep(0)  # the acknowledgement comes on a later loop turn

    # asyncio's debug mode records a stack for every callback: 20,000 events would
    # take minutes. A long time to live keeps a slow machine from expiring them.
    hass.loop.set_debug(False)
    try:
        with patch(
            "homeassistant.components.mqtt.async_publish", side_effect=acknowledged
        ):
            results = [
                bus.async_publish_event(["seq"], {"n": n}, ttl=3600)
                for n in range(20_000)
            ]
            await hass.async_block_till_done(wait_background_tasks=True)
    finally:
        hass.loop.set_debug(True)
    assert not any(result.queued for result in results)
    assert sent == list(range(20_000))
    assert bus.statistics.messages_published == 1 + 20_000  # with the status
    assert bus.statistics.messages_dropped_overflow == 0
    assert bus.statistics.messages_dropped_expired == 0
    assert bus.queued_messages == 0
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    assert drop_summaries(caplog) == []


@pytest.mark.parametrize("entry_options", [{**DEFAULT_OPTIONS, CONF_QUEUE_SIZE: 3}])
async def test_outage_bound_still_applies_and_drops_are_logged_once_as_a_summary(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = bus_of(setup_entry)
    set_mqtt_connected(hass, mqtt_mock, False)
    for n in range(50):
        bus.async_publish_event(["seq"], {"n": n})
    bus.async_publish_event(["other"], {"n": 50})
    assert bus.queued_messages == 3
    assert bus.statistics.messages_dropped_overflow == 48
    assert drop_summaries(caplog) == []  # a summary, not a line per event

    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    assert drop_summaries(caplog) == [
        "Dropped 48 MQTT events: 48 pushed out of the full queue (oldest first); "
        "on ha-ai/seq (48)"
    ]
    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [m[1]["n"] for m in events(mqtt_mock)] == [48, 49, 50]
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=30))
    assert len(drop_summaries(caplog)) == 1


async def test_drop_summary_names_the_most_affected_topics(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = bus_of(setup_entry)
    set_mqtt_connected(hass, mqtt_mock, False)
    for n in range(8):
        bus.async_publish_event(["device", f"d{n}"], {"n": n}, ttl=1)
    freezer.tick(timedelta(seconds=2))
    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert bus.statistics.messages_dropped_expired == 8
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    [summary] = drop_summaries(caplog)
    assert summary.startswith(
        "Dropped 8 MQTT events: 8 expired before the broker took them; on "
        "ha-ai/device/d0 (1), "
    )
    assert summary.endswith("and 3 more topics")


async def test_link_lost_mid_burst_keeps_the_newest_within_the_outage_bound(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = bus_of(setup_entry)
    handed: list[str] = []
    never = asyncio.Event()

    async def unanswered(
        hass: HomeAssistant, topic: str, payload: str, *_: Any
    ) -> None:
        handed.append(payload)
        await never.wait()

    with patch("homeassistant.components.mqtt.async_publish", side_effect=unanswered):
        for n in range(200):
            bus.async_publish_event(["seq"], {"n": n})
        await hass.async_block_till_done()
        assert len(handed) == PUBLISH_WINDOW  # the rest waits in order
        assert bus.queued_messages == 200
        set_mqtt_connected(hass, mqtt_mock, False)
    assert bus.queued_messages == 100
    assert bus.statistics.messages_dropped_overflow == 100
    never.set()  # the old link's publishes end (Home Assistant gives up on them)
    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert seq_numbers(mqtt_mock) == list(range(100, 200))
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    assert drop_summaries(caplog) == [
        "Dropped 100 MQTT events: 100 pushed out of the full queue (oldest first); "
        "on ha-ai/seq (100)"
    ]


class FrozenBroker:
    """Stands in for `mqtt.async_publish` while the broker is frozen, then thawed.

    Frozen, a publish is handed to the client but never acknowledged; thawed, the
    waiting ones and every later one are acknowledged.
    """

    def __init__(self) -> None:
        self.handed: list[tuple[str, str]] = []
        self.thawed = asyncio.Event()

    async def publish(
        self, hass: HomeAssistant, topic: str, payload: str, *_: Any
    ) -> None:
        self.handed.append((topic, payload))
        await self.thawed.wait()

    def events(self) -> list[int]:
        return [json.loads(p)["n"] for t, p in self.handed if t == "ha-ai/seq"]

    def probes(self) -> int:
        return sum(1 for t, p in self.handed if (t, p) == ("ha-ai/status", "online"))


async def let_time_pass(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let the clock run second by second, as the event loop sees it when free."""
    for _ in range(int(seconds)):
        freezer.tick(timedelta(seconds=1))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()


async def test_busy_event_loop_is_not_taken_for_a_stalled_broker(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    bus = bus_of(setup_entry)
    broker = FrozenBroker()
    with patch(
        "homeassistant.components.mqtt.async_publish", side_effect=broker.publish
    ):
        bus.async_publish_event(["seq"], {"n": 1})
        await hass.async_block_till_done()
        # The loop was blocked past the deadline (the acknowledgement waits behind
        # it): the late check does not count the broker stalled.
        freezer.tick(timedelta(seconds=PUBLISH_ACK_TIMEOUT + 2))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        assert not bus.stalled
        broker.thawed.set()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert broker.events() == [1]
    assert bus.statistics.stalls == 0
    assert bus.queued_messages == 0


async def test_unacknowledged_publish_stalls_the_bus_and_no_expired_event_goes_out(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = bus_of(setup_entry)
    broker = FrozenBroker()
    with patch(
        "homeassistant.components.mqtt.async_publish", side_effect=broker.publish
    ):
        bus.async_publish_event(["seq"], {"n": 1}, ttl=60)
        await hass.async_block_till_done()
        assert broker.events() == [1]
        assert not bus.stalled

        await let_time_pass(hass, freezer, PUBLISH_ACK_TIMEOUT)
        assert bus.stalled
        assert bus.statistics.stalls == 1
        assert broker.probes() == 1
        short = bus.async_publish_event(["seq"], {"n": 2}, ttl=5)
        bus.async_publish_event(["seq"], {"n": 3}, ttl=60)
        await hass.async_block_till_done()
        assert short.queued
        assert broker.events() == [1]  # nothing more is handed to a frozen broker
        assert bus.queued_messages == 3

        await let_time_pass(hass, freezer, PUBLISH_ACK_TIMEOUT)  # n=2 expires
        broker.thawed.set()
        await hass.async_block_till_done(wait_background_tasks=True)

    assert not bus.stalled
    # n=1 went out again (at least once: receivers dedupe by event_id); n=2, expired
    # while the broker was frozen, never went out; n=3 did.
    assert broker.events() == [1, 1, 3]
    assert bus.statistics.messages_dropped_expired == 1
    assert bus.queued_messages == 0
    stall_lines = [r for r in caplog.records if "looks stalled" in r.getMessage()]
    assert len(stall_lines) == 1
    assert "ha-ai/seq" in stall_lines[0].getMessage()
    assert "acknowledges again" in caplog.text
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=11))
    assert drop_summaries(caplog) == [
        "Dropped 1 MQTT events: 1 expired before the broker took them; on ha-ai/seq (1)"
    ]
    bus.async_publish_event(["seq"], {"n": 4})
    await hass.async_block_till_done(wait_background_tasks=True)
    assert seq_numbers(mqtt_mock) == [4]


async def test_probe_refused_by_the_client_waits_before_the_next_one(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    bus = bus_of(setup_entry)
    broker = FrozenBroker()
    with patch(
        "homeassistant.components.mqtt.async_publish", side_effect=broker.publish
    ):
        bus.async_publish_event(["seq"], {"n": 1})
        await hass.async_block_till_done()
        with patch(
            "homeassistant.components.mqtt.async_publish",
            side_effect=HomeAssistantError("client queue full"),
        ):
            await let_time_pass(hass, freezer, PUBLISH_ACK_TIMEOUT)
            assert bus.stalled
            assert bus.statistics.publish_errors == 1
            await hass.async_block_till_done()
            assert bus.statistics.publish_errors == 1  # no second probe yet
        await let_time_pass(hass, freezer, PUBLISH_ACK_TIMEOUT)
        assert broker.probes() == 1
        broker.thawed.set()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert not bus.stalled
    assert broker.events() == [1, 1]


async def test_stall_ends_when_the_link_drops_and_the_queue_keeps_its_order(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    bus = bus_of(setup_entry)
    broker = FrozenBroker()
    with patch(
        "homeassistant.components.mqtt.async_publish", side_effect=broker.publish
    ):
        bus.async_publish_event(["seq"], {"n": 1})
        await hass.async_block_till_done()
        await let_time_pass(hass, freezer, PUBLISH_ACK_TIMEOUT)
        bus.async_publish_event(["seq"], {"n": 2})
        assert bus.stalled
        set_mqtt_connected(hass, mqtt_mock, False)
        assert not bus.stalled
        broker.thawed.set()
        await hass.async_block_till_done(wait_background_tasks=True)
    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert seq_numbers(mqtt_mock) == [1, 2]


async def test_events_waiting_at_unload_are_logged_as_dropped(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = bus_of(setup_entry)
    set_mqtt_connected(hass, mqtt_mock, False)
    bus.async_publish_event(["seq"], {"n": 1})
    bus.async_publish_event(["seq"], {"n": 2})
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    assert drop_summaries(caplog) == [
        "Dropped 2 MQTT events: 2 still waiting when HA AI stopped; on ha-ai/seq (2)"
    ]
    # A late event from a part still shutting down is dropped and said so.
    bus.async_publish_event(["late"], {"n": 3})
    assert drop_summaries(caplog)[-1] == (
        "Dropped 1 MQTT events: 1 still waiting when HA AI stopped; on ha-ai/late (1)"
    )


async def test_events_handed_to_the_client_at_unload_are_not_called_dropped(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # An options change reloads the entry right after an analysis published:
    # its events are with the client, which delivers them; only what had not
    # been handed over yet is dropped, and only that is said.
    bus = bus_of(setup_entry)
    broker = FrozenBroker()
    with patch(
        "homeassistant.components.mqtt.async_publish", side_effect=broker.publish
    ):
        for n in range(PUBLISH_WINDOW + 2):
            bus.async_publish_event(["seq"], {"n": n})
        await hass.async_block_till_done()
        assert broker.events() == list(range(PUBLISH_WINDOW))
        unload = hass.async_create_task(
            hass.config_entries.async_unload(setup_entry.entry_id)
        )
        async with asyncio.timeout(5):
            while ("ha-ai/status", "offline") not in broker.handed:
                await asyncio.sleep(0)
        broker.thawed.set()
        assert await unload
    assert drop_summaries(caplog) == [
        "Dropped 2 MQTT events: 2 still waiting when HA AI stopped; on ha-ai/seq (2)"
    ]
    assert broker.events() == list(range(PUBLISH_WINDOW))
    assert bus.statistics.publish_errors == 0


async def test_unload_does_not_wait_long_for_a_frozen_broker(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    broker = FrozenBroker()
    with (
        patch(
            "homeassistant.components.mqtt.async_publish", side_effect=broker.publish
        ),
        patch("custom_components.ha_ai.bus.mqtt_bus.STATUS_PUBLISH_TIMEOUT", 0),
    ):
        assert await hass.config_entries.async_unload(setup_entry.entry_id)
        assert ("ha-ai/status", "offline") in broker.handed
        broker.thawed.set()
        await hass.async_block_till_done(wait_background_tasks=True)
    assert "The broker did not take the offline status in time" in caplog.text


async def test_thousand_birth_messages_give_a_bounded_number_of_republishes(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    mqtt_mock.async_publish.reset_mock()
    for _ in range(1_000):
        async_fire_mqtt_message(hass, "homeassistant/status", "online")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(published(mqtt_mock, "ha-ai/status")) == 1
    async_fire_time_changed(
        hass, dt_util.utcnow() + timedelta(seconds=BIRTH_REPUBLISH_COOLDOWN + 1)
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(published(mqtt_mock, "ha-ai/status")) == 2
    async_fire_time_changed(
        hass, dt_util.utcnow() + timedelta(seconds=3 * BIRTH_REPUBLISH_COOLDOWN)
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(published(mqtt_mock, "ha-ai/status")) == 2


async def test_birth_republish_pending_at_unload_is_cancelled(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    for _ in range(3):
        async_fire_mqtt_message(hass, "homeassistant/status", "online")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    mqtt_mock.async_publish.reset_mock()
    async_fire_time_changed(
        hass, dt_util.utcnow() + timedelta(seconds=BIRTH_REPUBLISH_COOLDOWN + 1)
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert published(mqtt_mock, "ha-ai/") == []


async def test_link_drop_resends_only_what_was_not_acknowledged(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    bus = bus_of(setup_entry)
    first_unanswered = asyncio.Event()
    handed: list[int] = []

    async def only_later_ones_acknowledged(
        hass: HomeAssistant, topic: str, payload: str, *_: Any
    ) -> None:
        if topic == "ha-ai/probe":
            return  # the write check's, should the machine be slow
        handed.append(json.loads(payload)["n"])
        if len(handed) == 1:
            await first_unanswered.wait()

    with patch(
        "homeassistant.components.mqtt.async_publish",
        side_effect=only_later_ones_acknowledged,
    ):
        for n in range(3):
            bus.async_publish_event(["seq"], {"n": n})
        await hass.async_block_till_done()
        assert handed == [0, 1, 2]
        set_mqtt_connected(hass, mqtt_mock, False)
        assert bus.queued_messages == 1  # n=1 and n=2 were acknowledged
        first_unanswered.set()
        await hass.async_block_till_done(wait_background_tasks=True)
    set_mqtt_connected(hass, mqtt_mock, True)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert seq_numbers(mqtt_mock) == [0]


async def test_retained_publish_refused_is_logged(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = bus_of(setup_entry)
    with patch(
        "homeassistant.components.mqtt.async_publish",
        side_effect=HomeAssistantError("no"),
    ):
        bus.async_set_retained(bus.topic("bridge"), "up")
        await hass.async_block_till_done(wait_background_tasks=True)
    assert "Publishing to ha-ai/bridge failed: no" in caplog.text
    assert bus.statistics.publish_errors == 1
