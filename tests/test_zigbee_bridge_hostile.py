"""Attacks on the Zigbee2MQTT topics HA AI follows, each reproduced over MQTT.

Every hostile message must give a counted, logged rejection or a sane state:
never a traceback, never a device that is not one, never a forged log line, and
never a flood of events.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import orjson
import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import DOMAIN
from custom_components.ha_ai.engine.inbound import Rejection
from custom_components.ha_ai.engine.zigbee.bursts import MAX_INDIVIDUAL_EVENTS
from custom_components.ha_ai.zigbee import bridge as zigbee_bridge
from custom_components.ha_ai.zigbee.bridge import (
    EXECUTOR_PARSE_BYTES,
    ParsedDeviceList,
    parse_device_payload,
)

from .test_zigbee_bridge import VERSION, bridge_of, device_events, settle
from .zigbee_helpers import LIGHT, PLUG, VIBRATION, house_devices, send

COORDINATOR = "0x00124b0012345678"
FORGED = "\n2026-12-01 06:07:00.000 ERROR (MainThread) [homeassistant.core] boom"


def rejected(entry: MockConfigEntry) -> int:
    count: int = entry.runtime_data.bus.statistics.messages_rejected
    return count


def clones(count: int, start: int = 0x100) -> list[dict[str, Any]]:
    """Copies of the house's vibration sensor with addresses of their own."""
    template = house_devices()[1]
    devices = []
    for number in range(start, start + count):
        clone = orjson.loads(orjson.dumps(template))
        clone["ieee_address"] = f"0x00158d00{number:08x}"
        clone["friendly_name"] = f"Sensor {number}"
        devices.append(clone)
    return devices


def membership_events(mqtt_mock: MqttMockHAClient) -> list[tuple[str, Any]]:
    """Paired and removed events, one by one or summarised."""
    return [
        (topic, payload)
        for topic, payload in device_events(mqtt_mock)
        if topic.endswith(("/paired", "/removed"))
    ]


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(
        record.levelno == logging.WARNING and text in record.getMessage()
        for record in caplog.records
    )


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text


# --- 7: nesting -------------------------------------------------------------------


async def test_large_device_list_with_a_deeply_nested_element_is_rejected(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await settle(hass)
    devices = orjson.dumps([*house_devices(), *clones(400)])
    payload = devices[:-1] + b"," + b"[" * 100_000 + b"]" * 100_000 + b"]"
    assert len(payload) > EXECUTOR_PARSE_BYTES
    before = rejected(setup_entry)
    send(hass, "bridge/devices", payload)
    await settle(hass)
    bridge = bridge_of(setup_entry)
    assert len(bridge.zigbee_devices) == 4
    assert rejected(setup_entry) == before + 1
    assert bridge.counters["device_lists_rejected"] == 1
    assert warnings_about(caplog, "nests 100001 levels deep (the limit is 64)") == 1
    assert device_events(mqtt_mock) == []
    assert_no_traceback(caplog)


async def test_small_device_list_nested_too_deep_is_rejected(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await settle(hass)
    devices = house_devices()
    devices[1]["definition"]["exposes"].append({"x": "PLACEHOLDER"})
    payload = orjson.dumps(devices).replace(
        b'"PLACEHOLDER"', b"[" * 3_000 + b"]" * 3_000
    )
    send(hass, "bridge/devices", payload)
    await settle(hass)
    assert len(bridge_of(setup_entry).zigbee_devices) == 4
    assert warnings_about(caplog, "levels deep") == 1
    assert_no_traceback(caplog)


async def test_deeply_nested_messages_on_other_topics_are_counted(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    send(hass, "bridge/devices", house_devices())
    send(hass, "bridge/info", {"version": "2.1.3"})
    await settle(hass)
    deep = b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    before = rejected(setup_entry)
    for subtopic in ("bridge/state", "bridge/info", "bridge/event", "Hall vibration"):
        send(hass, subtopic, deep)
    send(hass, "Hall vibration/availability", deep)
    await settle(hass)
    assert rejected(setup_entry) == before + 5
    assert hass.states.get(VERSION).state == "2.1.3"
    assert_no_traceback(caplog)


# --- 8: lists and info that would wipe what is known ------------------------------


async def test_empty_device_list_keeps_every_device_and_warns_once(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await settle(hass)
    before = rejected(setup_entry)
    send(hass, "bridge/devices", "[]")
    send(hass, "bridge/devices", "[]")
    await settle(hass)
    bridge = bridge_of(setup_entry)
    assert len(bridge.zigbee_devices) == 4
    assert device_events(mqtt_mock) == []
    assert rejected(setup_entry) == before + 2
    assert bridge.counters["device_lists_rejected"] == 2
    text = "the device list is empty (Zigbee2MQTT always lists its coordinator)"
    assert warnings_about(caplog, text) == 1
    # A good list ends the occurrence: the next empty one is warned about again.
    send(hass, "bridge/devices", house_devices())
    send(hass, "bridge/devices", "[]")
    await settle(hass)
    assert warnings_about(caplog, text) == 2
    assert device_events(mqtt_mock) == []


async def test_device_list_without_its_coordinator_keeps_the_last_good_one(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await settle(hass)
    send(hass, "bridge/devices", house_devices()[2:3])
    await settle(hass)
    assert len(bridge_of(setup_entry).zigbee_devices) == 4
    assert device_events(mqtt_mock) == []
    assert warnings_about(caplog, "has no coordinator") == 1


async def test_first_device_list_without_a_coordinator_is_not_believed(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    send(hass, "bridge/devices", house_devices()[1:])
    await settle(hass)
    assert bridge_of(setup_entry).devices == {}


@pytest.mark.parametrize(
    "payload",
    ["{}", '{"version": null}', '{"version": ""}', '{"version": 2}', '{"x": 1}'],
)
async def test_bridge_info_without_a_version_keeps_the_known_one(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    payload: str,
) -> None:
    send(
        hass,
        "bridge/info",
        {"version": "2.1.3", "coordinator": {"type": "EmberZNet"}, "permit_join": 0},
    )
    await settle(hass)
    before = rejected(setup_entry)
    send(hass, "bridge/info", payload)
    send(hass, "bridge/info", payload)
    await settle(hass)
    bridge = bridge_of(setup_entry)
    assert hass.states.get(VERSION).state == "2.1.3"
    assert bridge.bridge_info["coordinator_type"] == "EmberZNet"
    assert bridge.bridge_info["permit_join"] is False
    assert rejected(setup_entry) == before + 2
    assert bridge.counters["bridge_info_rejected"] == 2
    assert warnings_about(caplog, "it has no version; the known one stays") == 1


async def test_oversized_bridge_info_is_refused(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    send(hass, "bridge/info", {"version": "2.1.3"})
    huge = {"version": "9.9.9", "config": "x" * zigbee_bridge.MAX_BRIDGE_INFO_BYTES}
    send(hass, "bridge/info", huge)
    await settle(hass)
    assert hass.states.get(VERSION).state == "2.1.3"
    assert warnings_about(caplog, "byte limit") == 1


# --- 9: IEEE addresses -------------------------------------------------------------


async def test_topic_path_as_ieee_address_is_never_published(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    devices = house_devices()
    send(hass, "bridge/devices", [d for d in devices if d["ieee_address"] != LIGHT])
    await settle(hass)
    hostile = [
        dict(devices[1], ieee_address=f"{VIBRATION}/../+/#", friendly_name="Fake"),
        dict(devices[1], ieee_address=f"{PLUG}/availability", friendly_name="Fake 2"),
        dict(devices[1], ieee_address="0xa4c138363dff5c1q", friendly_name="Fake 3"),
        dict(devices[1], ieee_address=["0x00158d0001a2b3c4"], friendly_name="Fake 4"),
    ]
    send(hass, "bridge/devices", [*devices, *hostile])
    await settle(hass)
    bridge = bridge_of(setup_entry)
    assert [topic for topic, _ in device_events(mqtt_mock)] == [
        f"ha-ai/events/device/{LIGHT}/paired"
    ]
    assert sorted(bridge.devices) == sorted(d["ieee_address"] for d in devices)
    assert bridge.devices[VIBRATION].friendly_name == "Hall vibration"
    assert bridge.counters["device_entries_skipped"] == 4
    assert warnings_about(caplog, "Skipped 4 entries") == 1
    assert "Fake: ieee_address '0x00158d0001a2b3c4/../+/#' is not 0x and 16" in (
        caplog.text
    )
    assert bridge.as_diagnostics()["inbound_counters"]["device_entries_skipped"] == 4


async def test_bridge_event_with_a_hostile_ieee_is_counted_not_published(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    send(hass, "bridge/devices", house_devices())
    await settle(hass)
    before = rejected(setup_entry)
    for ieee in (f"{VIBRATION}/../+/#", "0x1", 7, None, ""):
        send(
            hass,
            "bridge/event",
            {"type": "device_joined", "data": {"ieee_address": ieee}},
        )
    send(hass, "bridge/event", {"type": "device_leave", "data": ["x"]})
    send(hass, "bridge/event", {"type": "device_leave"})
    await settle(hass)
    assert device_events(mqtt_mock) == []
    assert rejected(setup_entry) == before + 7
    assert bridge_of(setup_entry).counters["bridge_events_rejected"] == 7


async def test_device_restored_with_a_bad_address_is_never_published(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    send(hass, "bridge/devices", house_devices())
    await settle(hass)
    assert await hass.config_entries.async_unload(setup_entry.entry_id)
    # A store written before addresses were checked holds one that is not one.
    stored = hass_storage[f"{DOMAIN}.zigbee"]["data"]["devices"]["devices"]
    bad = f"{VIBRATION}/+"
    stored[bad] = {**stored.pop(VIBRATION), "ieee_address": bad}
    assert await hass.config_entries.async_setup(setup_entry.entry_id)
    await settle(hass)
    assert bad in bridge_of(setup_entry).devices
    send(
        hass,
        "bridge/devices",
        [d for d in house_devices() if d["ieee_address"] != VIBRATION],
    )
    await settle(hass)
    assert bad not in bridge_of(setup_entry).devices
    assert device_events(mqtt_mock) == []


# --- 11: log injection -------------------------------------------------------------


async def test_friendly_name_with_a_newline_cannot_forge_a_log_line(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.ha_ai")
    devices = house_devices()
    devices[1]["friendly_name"] = f"Hall{FORGED}"
    send(hass, "bridge/devices", devices)
    send(hass, "bridge/state", "online")
    await settle(hass)
    changed = house_devices()
    changed[1]["friendly_name"] = f"Hall{FORGED}"
    changed[1]["software_build_id"] = f"9{FORGED}"
    changed[1]["definition"]["exposes"].append(
        {"type": "numeric", "name": f"n{FORGED}", "property": f"p{FORGED}"}
    )
    changed[2]["definition"] = f"not an object{FORGED}"
    changed.append(dict(changed[3], ieee_address=f"0x1{FORGED}", friendly_name=FORGED))
    send(hass, "bridge/devices", changed)
    send(hass, f"Hall{FORGED}", {"battery": 3})
    send(hass, f"Hall{FORGED}/availability", f"maybe{FORGED}")
    send(hass, f"Hall{FORGED}", f"[not an object{FORGED}]")
    send(
        hass,
        "bridge/event",
        {"type": "device_joined", "data": {"ieee_address": FORGED}},
    )
    send(hass, "bridge/devices", f"not json{FORGED}")
    send(hass, "bridge/info", {"version": ["x"], "commit": FORGED})
    await settle(hass)
    freezer.tick(timedelta(minutes=31))
    async_fire_time_changed(hass)
    await settle(hass)
    ours = [r for r in caplog.records if r.name.startswith("custom_components.ha_ai")]
    messages = [record.getMessage() for record in ours]
    assert any("Hall\\n2026-12-01" in message for message in messages)
    assert any("anomaly" in m or "battery_low" in m for m in messages)
    for message in messages:
        assert "\n" not in message, message
    assert_no_traceback(caplog)


# --- 12: bursts of device events ----------------------------------------------------


async def test_thousands_of_devices_added_at_once_are_summarised(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="custom_components.ha_ai")
    send(hass, "bridge/devices", house_devices())
    await settle(hass)
    added = clones(1_500)
    send(hass, "bridge/devices", [*house_devices(), *added])
    await settle(hass)
    events = device_events(mqtt_mock)
    paired = [t for t, _ in events if t.endswith("/paired") and "/bulk/" not in t]
    assert len(paired) == MAX_INDIVIDUAL_EVENTS
    [(topic, summary)] = [(t, p) for t, p in events if "/bulk/" in t]
    assert topic == "ha-ai/events/device/bulk/paired"
    assert summary["event"] == "paired"
    assert summary["count"] == 1_500 - MAX_INDIVIDUAL_EVENTS
    assert len(summary["device_ids"]) == 20
    assert summary["device_ids"][0] == added[MAX_INDIVIDUAL_EVENTS]["ieee_address"]
    assert "1490 more Zigbee device paired events are published as one summary" in (
        caplog.text
    )
    bridge = bridge_of(setup_entry)
    assert bridge.counters["device_events_summarised"] == 1_490

    # They all leave again, within the same minute: the budget is spent.
    send(hass, "bridge/devices", house_devices())
    await settle(hass)
    removed = [t for t, _ in device_events(mqtt_mock)[len(events) :]]
    assert removed == [
        *[f"ha-ai/events/device/{d['ieee_address']}/removed" for d in added[:10]],
        "ha-ai/events/device/bulk/removed",
    ]


async def test_a_list_changing_hundreds_of_devices_logs_a_summary(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="custom_components.ha_ai")
    sensors = clones(150)
    send(hass, "bridge/devices", [*house_devices(), *sensors])
    await settle(hass)
    for device in sensors:
        device["software_build_id"] = "9.9.9"
        device["definition"]["exposes"].append("not an expose")
    send(hass, "bridge/devices", [*house_devices(), *sensors])
    await settle(hass)
    changed_lines = [m for m in caplog.messages if m.startswith("Zigbee device ")]
    assert len(changed_lines) == 10
    assert "140 more Zigbee devices changed (the last 100 are in the diagnostics)" in (
        caplog.messages
    )
    assert "Zigbee2MQTT device list: 130 more problems (see the diagnostics)" in (
        caplog.messages
    )
    changes = bridge_of(setup_entry).changes
    assert len(changes) == 100
    assert changes[-1]["ieee_address"] == sensors[-1]["ieee_address"]
    assert changes[0]["ieee_address"] == sensors[50]["ieee_address"]


async def test_a_pairing_flood_of_bridge_events_is_summarised_each_minute(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await settle(hass)
    joining = clones(300)
    for device in joining:
        send(
            hass,
            "bridge/event",
            {"type": "device_joined", "data": {"ieee_address": device["ieee_address"]}},
        )
    await settle(hass)
    assert len(membership_events(mqtt_mock)) == MAX_INDIVIDUAL_EVENTS
    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await settle(hass)
    events = membership_events(mqtt_mock)
    assert events[-1][0] == "ha-ai/events/device/bulk/paired"
    assert events[-1][1]["count"] == 300 - MAX_INDIVIDUAL_EVENTS
    # The device list that confirms them announces none of them again.
    send(hass, "bridge/devices", [*house_devices(), *joining])
    await settle(hass)
    assert len(membership_events(mqtt_mock)) == len(events)
    # A new minute gives single events again.
    freezer.tick(timedelta(minutes=1))
    async_fire_time_changed(hass)
    await settle(hass)
    send(hass, "bridge/devices", [*house_devices(), *joining[:-1]])
    await settle(hass)
    assert membership_events(mqtt_mock)[-1][0] == (
        f"ha-ai/events/device/{joining[-1]['ieee_address']}/removed"
    )


async def test_announced_joins_that_never_come_are_bounded(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    send(hass, "bridge/devices", house_devices())
    await settle(hass)
    joining = clones(8)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(zigbee_bridge, "MAX_DEVICES", 5)
        for device in joining:
            send(
                hass,
                "bridge/event",
                {
                    "type": "device_joined",
                    "data": {"ieee_address": device["ieee_address"]},
                },
            )
        await settle(hass)
        assert len(membership_events(mqtt_mock)) == len(joining)
        # A new minute, so that no event of the list is summarised.
        freezer.tick(timedelta(minutes=1))
        async_fire_time_changed(hass)
        await settle(hass)
        send(hass, "bridge/devices", [*house_devices(), *joining])
        await settle(hass)
    # Only the last five announcements were remembered: the list announces the
    # three oldest again, as devices it has not heard of.
    again = [topic for topic, _ in membership_events(mqtt_mock)[len(joining) :]]
    assert again == [
        f"ha-ai/events/device/{device['ieee_address']}/paired" for device in joining[:3]
    ]


# --- every other topic, hostile payloads -----------------------------------------

HOSTILE_PAYLOADS: list[tuple[str, object]] = [
    ("bridge/state", {"state": ["online"]}),
    ("bridge/state", {"state": None, "extra": "x" * 100_000}),
    ("bridge/state", "x" * 200_000),
    ("bridge/state", 42),
    ("bridge/event", {"type": ["device_joined"], "data": {}}),
    ("bridge/event", {"type": "device_joined", "data": {"ieee_address": {"a": 1}}}),
    ("bridge/event", {"type": None}),
    ("bridge/event", [1, 2]),
    ("bridge/event", "x" * 200_000),
    ("bridge/info", {"version": "2.0", "coordinator": [], "config": {"advanced": 3}}),
    ("bridge/info", {"version": "x" * 10_000, "permit_join": "yes"}),
    ("bridge/info", {"version": "2.0", "commit": {"a": 1}, "unknown": [None]}),
    ("bridge/logging", {"message": "whatever\nERROR"}),
    ("bridge/groups", []),
    (
        "bridge/devices",
        [
            {"ieee_address": COORDINATOR, "type": "Coordinator", "definition": None},
            {"ieee_address": VIBRATION, "definition": {"exposes": "wrong"}},
            {"ieee_address": PLUG, "definition": {"exposes": [1, None, [], {}]}},
            {"ieee_address": LIGHT, "definition": {"exposes": [{"features": 7}]}},
            {"ieee_address": "0x00158d0002b3c4d5", "type": {"x": 1}, "disabled": "yes"},
        ],
    ),
    ("Hall vibration", {"battery": "low", "last_seen": ["x"], "battery_low": "yes"}),
    ("Hall vibration", {"battery": 1e308, "last_seen": -1, "sensitivity": {"a": 1}}),
    ("Hall vibration", '{"battery": NaN, "last_seen": "x"}'),
    ("Hall vibration", {"battery": 50, "last_seen": "x" * 60_000}),
    ("Hall vibration", "x" * 100_000),
    ("Hall vibration", [{"battery": 5}]),
    ("Hall vibration/availability", {"state": {"online": True}}),
    ("Hall vibration/availability", "x" * 100_000),
    ("Hall vibration/availability", b"\xff\xfe"),
    ("Hall vibration/set", {"state": "ON"}),
]


@pytest.mark.parametrize(("subtopic", "payload"), HOSTILE_PAYLOADS)
async def test_hostile_payloads_on_every_zigbee_topic_never_raise(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
    subtopic: str,
    payload: object,
) -> None:
    send(hass, "bridge/devices", house_devices())
    send(hass, "bridge/state", "online")
    await settle(hass)
    send(hass, subtopic, payload)
    await settle(hass)
    bridge = bridge_of(setup_entry)
    # The house is still known and the bridge still understood.
    assert VIBRATION in bridge.devices
    assert bridge.as_diagnostics()["devices"] >= 1
    send(hass, "bridge/state", "online")
    await settle(hass)
    assert bridge.bridge_state == "online"
    assert_no_traceback(caplog)


# --- property-based: any payload on the device list topic -----------------------

json_leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.text(max_size=12)
)
json_documents = st.recursive(
    json_leaves,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=16,
)


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
    max_examples=60,
)
@given(
    st.lists(json_documents, max_size=5),
    st.integers(min_value=0, max_value=3_000),
    st.binary(max_size=20),
)
def test_any_device_list_payload_parses_or_is_rejected(
    entries: list[Any], depth: int, garbage: bytes
) -> None:
    body = orjson.dumps(entries)
    nested = b"[" * depth + b"]" * depth
    for payload in (
        body,
        body[:-1] + b"," + nested + b"]" if entries else nested,
        garbage,
    ):
        result = parse_device_payload(payload)
        assert isinstance(result, ParsedDeviceList | Rejection)
        if isinstance(result, ParsedDeviceList):
            assert all(len(ieee) == 18 for ieee in result.devices)
            assert any(device.is_coordinator for device in result.devices.values())


async def test_rejected_messages_name_their_topic_on_one_line(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.ha_ai")
    devices = house_devices()
    devices[1]["friendly_name"] = f"Hall{FORGED}"
    send(hass, "bridge/devices", devices)
    await settle(hass)
    send(hass, f"Hall{FORGED}", "{broken")
    send(hass, f"Hall{FORGED}/availability", f"maybe{FORGED}")
    send(hass, "bridge/state", f"maybe{FORGED}")
    await settle(hass)
    dropped = [m for m in caplog.messages if m.startswith("Dropped a message on")]
    assert len(dropped) == 3
    assert any("Hall\\n2026-12-01" in message for message in dropped)
    for message in dropped:
        assert "\n" not in message
