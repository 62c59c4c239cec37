"""Devices to JSON-ready data and back."""

from __future__ import annotations

import gc
import json
from pathlib import Path
from typing import Any

import orjson
import pytest

from custom_components.ha_ai.engine.stored import UnreadableStoreError
from custom_components.ha_ai.engine.zigbee.anomalies import AnomalySettings
from custom_components.ha_ai.engine.zigbee.devices import parse_device_list
from custom_components.ha_ai.engine.zigbee.model import (
    Capability,
    InterviewState,
    ZigbeeDevice,
)
from custom_components.ha_ai.engine.zigbee.serialize import (
    device_from_dict,
    device_to_dict,
    devices_to_store,
    restore_insights_store,
    restore_zigbee_store,
)


def devices_from_store(stored: object) -> tuple[dict[str, ZigbeeDevice], int]:
    """Return the devices of a store's `devices` section, and how many were dropped."""
    restored = restore_zigbee_store({"devices": stored}, AnomalySettings())
    return restored.value.devices, restored.drops.dropped_count


FIXTURES = Path(__file__).parents[2] / "fixtures" / "zigbee"


def fixture_devices() -> list[ZigbeeDevice]:
    devices: list[ZigbeeDevice] = []
    for file in ("bridge_devices_z2m1.json", "bridge_devices_z2m2.json"):
        payload = json.loads((FIXTURES / file).read_text())
        devices.extend(parse_device_list(payload).devices.values())
    return devices


@pytest.mark.parametrize(
    "device", fixture_devices(), ids=lambda device: device.friendly_name
)
def test_round_trip_through_json(device: ZigbeeDevice) -> None:
    stored = json.loads(json.dumps(device_to_dict(device)))
    assert device_from_dict(stored) == device
    stored = orjson.loads(orjson.dumps(device_to_dict(device)))
    assert device_from_dict(stored) == device


def test_round_trip_keeps_types() -> None:
    device = next(
        d for d in fixture_devices() if d.friendly_name == "Living room strip"
    )
    restored = device_from_dict(json.loads(json.dumps(device_to_dict(device))))
    assert isinstance(restored.capabilities, tuple)
    color_temp = next(c for c in restored.capabilities if c.key == "light/color_temp")
    assert color_temp.presets == ("coolest", "neutral", "warmest")
    assert isinstance(color_temp.presets, tuple)
    assert restored.interview_state == InterviewState.SUCCESSFUL


def test_defaults_are_left_out_and_extra_is_kept() -> None:
    device = ZigbeeDevice(
        ieee_address="0x01",
        friendly_name="Lamp",
        device_type="Router",
        interview_state=InterviewState.IN_PROGRESS,
        capabilities=(
            Capability(
                key="light/state",
                property_name="state",
                name="state",
                type="binary",
                access=7,
                parent_type="light",
                value_on="ON",
                value_off="OFF",
                values=(),
                extra={"value_toggle": "TOGGLE"},
            ),
            Capability(key="p", property_name="p", name="p", type="numeric", access=0),
        ),
    )
    data = device_to_dict(device)
    assert data["capabilities"] == [
        {
            "key": "light/state",
            "property_name": "state",
            "name": "state",
            "type": "binary",
            "access": 7,
            "parent_type": "light",
            "value_on": "ON",
            "value_off": "OFF",
            "extra": {"value_toggle": "TOGGLE"},
        },
        {
            "key": "p",
            "property_name": "p",
            "name": "p",
            "type": "numeric",
            "access": 0,
        },
    ]
    assert data["interview_state"] == "in_progress"
    assert data["friendly_name"] == "Lamp"
    assert json.loads(json.dumps(data)) == data
    assert device_from_dict(data) == device


def test_values_are_stored_as_lists() -> None:
    device = ZigbeeDevice(
        ieee_address="0x01",
        friendly_name="Switch",
        device_type="Router",
        capabilities=(
            Capability(
                key="mode",
                property_name="mode",
                name="mode",
                type="enum",
                access=7,
                values=("a", "b"),
                presets=("p",),
                value_min=0.0,
            ),
        ),
    )
    (capability,) = device_to_dict(device)["capabilities"]
    assert capability["values"] == ["a", "b"]
    assert capability["presets"] == ["p"]
    assert capability["value_min"] == 0.0


def test_hostile_text_survives_the_round_trip() -> None:
    name = "lamp/#+\x00\n\x1b[31m" + "x" * 900
    payload = [
        {
            "ieee_address": "0x0000000000000001",
            "friendly_name": name,
            "definition": {
                "exposes": [
                    {"type": "numeric", "property": "a/b#c", "weird": {"type": "\n"}}
                ]
            },
        }
    ]
    device = parse_device_list(payload).devices["0x0000000000000001"]
    assert (
        device_from_dict(orjson.loads(orjson.dumps(device_to_dict(device)))) == device
    )


def test_non_finite_numbers_never_reach_the_stored_data() -> None:
    payload = json.loads(
        '[{"ieee_address": "0x0000000000000001",'
        ' "definition": {"exposes": [{"type": "numeric",'
        ' "property": "p", "value_min": NaN, "value_max": Infinity,'
        ' "value_on": -Infinity}]}}]'
    )
    device = parse_device_list(payload).devices["0x0000000000000001"]
    text = json.dumps(device_to_dict(device), allow_nan=False)
    assert device_from_dict(json.loads(text)) == device


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({}, KeyError),
        ({"ieee_address": "0x01", "friendly_name": "x", "device_type": "R"}, KeyError),
        (
            {
                "ieee_address": "0x01",
                "friendly_name": "x",
                "device_type": "R",
                "capabilities": 3,
            },
            TypeError,
        ),
        (
            {
                "ieee_address": "0x01",
                "friendly_name": "x",
                "device_type": "R",
                "capabilities": ["not a mapping"],
            },
            TypeError,
        ),
        (
            {
                "ieee_address": "0x01",
                "friendly_name": "x",
                "device_type": "R",
                "capabilities": [{"key": "p"}],
            },
            TypeError,
        ),
        (
            {
                "ieee_address": "0x01",
                "friendly_name": "x",
                "device_type": "R",
                "capabilities": [],
                "colour": "red",
            },
            TypeError,
        ),
    ],
)
def test_data_that_is_not_a_device(
    data: dict[str, Any], error: type[Exception]
) -> None:
    with pytest.raises(error):
        device_from_dict(data)


def test_store_keeps_each_definition_once_and_restores_shared_tuples() -> None:
    entry = {
        "ieee_address": "0x0000000000000001",
        "friendly_name": "Plug 1",
        "type": "Router",
        "definition": {
            "model": "ZNCZ04LM",
            "vendor": "Aqara",
            "exposes": [
                {"type": "numeric", "name": "power", "property": "power", "access": 1}
            ],
        },
    }
    second = {**entry, "ieee_address": "0x0000000000000002", "friendly_name": "Plug 2"}
    devices = parse_device_list([entry, second]).devices
    assert (
        devices["0x0000000000000001"].capabilities
        is devices["0x0000000000000002"].capabilities
    )

    stored = orjson.loads(orjson.dumps(devices_to_store(devices)))
    assert len(stored["definitions"]) == 1
    assert stored["devices"]["0x0000000000000002"]["definition"] == 0
    restored, dropped = devices_from_store(stored)
    assert dropped == 0
    assert restored == devices
    assert (
        restored["0x0000000000000001"].capabilities
        is restored["0x0000000000000002"].capabilities
    )


def test_stored_devices_are_plain_data_the_garbage_collector_skips() -> None:
    # The store form of a large house stays in memory: one dict per device, each
    # of plain values (the interview state as a string, not an enum member).
    devices = {device.ieee_address: device for device in fixture_devices()}
    stored = devices_to_store(devices)["devices"]
    assert not any(gc.is_tracked(entry) for entry in stored.values())
    assert {type(entry["interview_state"]) for entry in stored.values()} == {str}


def test_damaged_store_drops_only_what_is_damaged() -> None:
    devices = parse_device_list(
        [
            {
                "ieee_address": "0x0000000000000001",
                "friendly_name": "A",
                "type": "Router",
            },
            {
                "ieee_address": "0x0000000000000002",
                "friendly_name": "B",
                "type": "Router",
            },
        ]
    ).devices
    stored = devices_to_store(devices)
    stored["definitions"].append([{"key": "x"}])  # a capability without fields
    stored["devices"]["0x0000000000000002"]["definition"] = 1
    stored["devices"]["0x0000000000000003"] = {"definition": 9}
    stored["devices"]["0x0000000000000004"] = {"definition": 0, "unknown_field": 1}
    restored, dropped = devices_from_store(stored)
    # The capability without fields is left out of its definition (device …02
    # keeps the rest of it); …03 points nowhere, …04 has no name.
    assert list(restored) == ["0x0000000000000001", "0x0000000000000002"]
    assert restored["0x0000000000000002"].capabilities == ()
    assert dropped == 3
    assert devices_from_store(None) == ({}, 0)
    with pytest.raises(UnreadableStoreError):
        devices_from_store({"devices": []})


def house_store() -> dict[str, Any]:
    devices = parse_device_list(
        [
            {
                "ieee_address": "0x0000000000000001",
                "friendly_name": "A",
                "type": "Router",
            },
            {
                "ieee_address": "0x0000000000000002",
                "friendly_name": "B",
                "type": "Router",
            },
        ]
    ).devices
    return orjson.loads(orjson.dumps({"devices": devices_to_store(devices)}))


def test_a_device_filed_under_another_address_is_dropped() -> None:
    stored = house_store()
    stored["devices"]["devices"]["0x0000000000000002"]["ieee_address"] = (
        "0x0000000000000001"
    )
    restored = restore_zigbee_store(stored, AnomalySettings())
    assert list(restored.value.devices) == ["0x0000000000000001"]
    assert restored.drops.dropped == {"device: ieee_address differs from its key": 1}


def test_a_definition_that_is_not_a_list_drops_its_devices() -> None:
    stored = house_store()
    stored["devices"]["definitions"] = ["garbage"]
    restored = restore_zigbee_store(stored, AnomalySettings())
    assert restored.value.devices == {}
    assert restored.drops.dropped == {
        "definition: definition 0 is not a list": 1,
        "device: its definition was dropped": 2,
    }


def test_wrong_typed_optional_parts_of_the_bridge_store_fall_back() -> None:
    stored = house_store()
    stored["devices"]["definitions"][0] = [
        {
            "key": "power",
            "property_name": "power",
            "name": "power",
            "type": "numeric",
            "access": 1,
            "extra": ["x"],
            "value_max": "high",
        }
    ]
    stored["devices"]["devices"]["0x0000000000000001"]["interview_state"] = 3
    stored["devices"]["devices"]["0x0000000000000001"]["supported"] = "yes"
    stored["bridge_info"] = ["2.1.3"]
    stored["last_devices_received"] = "yesterday"
    stored["changes"] = {"at": "now"}
    stored["anomalies"] = {"version": 9, "devices": {}}
    stored["settings"] = "all"
    restored = restore_zigbee_store(stored, AnomalySettings())
    device = restored.value.devices["0x0000000000000001"]
    assert device.interview_state == InterviewState.SUCCESSFUL
    assert device.supported is True
    [capability] = device.capabilities
    assert capability.extra == {}
    assert capability.value_max is None
    assert restored.value.bridge_info == {}
    assert restored.value.last_devices_received is None
    assert restored.value.changes == []
    assert restored.drops.dropped_count == 0
    assert set(restored.drops.reset) == {
        "capability.extra",
        "capability.value_max",
        "device.interview_state",
        "device.supported",
        "bridge.bridge_info",
        "bridge.last_devices_received",
        "bridge.changes",
        "bridge.anomalies",
        "bridge.settings",
    }


def test_bridge_info_and_changes_are_checked_field_by_field() -> None:
    change = {
        "at": "2026-11-20T12:00:00+00:00",
        "ieee_address": "0x0000000000000001",
        "friendly_name": "A",
        "capabilities_added": ["power"],
        "capabilities_removed": [],
        "software_build_id": [None, "1.2"],
    }
    stored = {
        **house_store(),
        "bridge_info": {"version": 2, "commit": "abc", "permit_join": "on"},
        "changes": [
            change,
            {**change, "software_build_id": "1.2"},
            {**change, "capabilities_added": [1]},
            {**change, "friendly_name": None},
            "x",
        ],
    }
    restored = restore_zigbee_store(stored, AnomalySettings())
    assert restored.value.bridge_info == {
        "version": None,
        "commit": "abc",
        "coordinator_type": None,
        "last_seen": None,
        "permit_join": False,
    }
    assert restored.value.changes == [change]
    assert restored.drops.dropped_count == 4
    empty = restore_zigbee_store({"bridge_info": {}}, AnomalySettings())
    assert empty.value.bridge_info == {}
    assert empty.drops.reset_count == 0


def test_published_ids_of_the_insights_store() -> None:
    restored = restore_insights_store({"published": ["a", "", 3, "b"]})
    assert restored.value == {"a", "b"}
    assert restored.drops.dropped == {"published opportunity: not an id": 2}
    assert restore_insights_store({}).value == set()
    with pytest.raises(UnreadableStoreError):
        restore_insights_store({"published": "a"})
