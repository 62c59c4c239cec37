"""Which device settings the user has changed."""

from __future__ import annotations

from typing import Any

from custom_components.ha_ai.engine.zigbee.devices import parse_device
from custom_components.ha_ai.engine.zigbee.model import ZigbeeDevice
from custom_components.ha_ai.engine.zigbee.settings_usage import (
    NOTHING_CHANGED,
    SettingsTracker,
)

SWITCH: dict[str, Any] = {
    "ieee_address": "0x54ef441000a1b2c3",
    "friendly_name": "Hall switch",
    "type": "Router",
    "definition": {
        "model": "DLKZMK11LM",
        "vendor": "Aqara",
        "exposes": [
            {
                "type": "switch",
                "features": [
                    {
                        "type": "binary",
                        "name": "state",
                        "property": "state",
                        "access": 7,
                    }
                ],
            },
            {
                "type": "binary",
                "name": "led_disabled_night",
                "property": "led_disabled_night",
                "access": 7,
                "category": "config",
            },
            {
                "type": "enum",
                "name": "switch_type",
                "property": "switch_type",
                "access": 7,
                "category": "config",
                "values": ["toggle", "momentary"],
            },
            {
                "type": "lock",
                "features": [
                    {
                        "type": "binary",
                        "name": "child_lock",
                        "property": "child_lock",
                        "access": 7,
                        "category": "config",
                    }
                ],
            },
            {
                "type": "composite",
                "name": "schedule",
                "property": "schedule",
                "access": 2,
                "category": "config",
                "features": [
                    {
                        "type": "numeric",
                        "name": "hour",
                        "property": "hour",
                        "access": 2,
                        "category": "config",
                    }
                ],
            },
        ],
    },
}


def device() -> ZigbeeDevice:
    parsed = parse_device(SWITCH, [])
    assert parsed is not None
    return parsed


def test_known_default_kept_is_not_a_change() -> None:
    tracker = SettingsTracker()
    tracker.observe(device(), {"state": "ON", "led_disabled_night": False})
    assert tracker.changed_settings(device()) == frozenset()
    # Devices with nothing changed share one empty set.
    assert tracker.changed_settings(device()) is NOTHING_CHANGED


def test_value_other_than_the_known_default_is_a_change() -> None:
    tracker = SettingsTracker()
    tracker.observe(device(), {"led_disabled_night": True, "child_lock": "LOCK"})
    assert tracker.changed_settings(device()) == {
        "led_disabled_night",
        "lock/child_lock",
    }


def test_setting_without_known_default_counts_when_it_changes() -> None:
    tracker = SettingsTracker()
    tracker.observe(device(), {"switch_type": "toggle"})
    assert tracker.changed_settings(device()) == frozenset()
    tracker.observe(device(), {"switch_type": "momentary"})
    assert tracker.changed_settings(device()) == {"switch_type"}


def test_composite_leaves_and_non_settings_are_ignored() -> None:
    tracker = SettingsTracker()
    tracker.observe(device(), {"state": "OFF", "hour": 5, "schedule": {"hour": 5}})
    tracker.observe(device(), {"state": "ON", "hour": 6, "schedule": {"hour": 6}})
    assert tracker.changed_settings(device()) == frozenset()


def test_odd_values_are_ignored() -> None:
    tracker = SettingsTracker()
    tracker.observe(device(), {"switch_type": ["toggle"], "led_disabled_night": None})
    assert tracker.changed_settings(device()) == frozenset()


def test_round_trip_and_forget() -> None:
    tracker = SettingsTracker()
    tracker.observe(device(), {"switch_type": "toggle"})
    tracker.observe(device(), {"switch_type": "momentary"})
    restored = SettingsTracker.from_dict(tracker.to_dict())
    assert restored.changed_settings(device()) == {"switch_type"}
    restored.forget(device().ieee_address)
    assert restored.changed_settings(device()) == frozenset()


def test_garbage_gives_a_fresh_tracker() -> None:
    for garbage in (None, [], "x", {"first": [], "latest": {"0x1": "nope", 3: {}}}):
        assert SettingsTracker.from_dict(garbage).changed_settings(device()) == set()
    # A latest value without a first one becomes its own first: not a change.
    partial = SettingsTracker.from_dict(
        {"latest": {"0x54ef441000a1b2c3": {"switch_type": "momentary", "x": [1]}}}
    )
    assert partial.changed_settings(device()) == frozenset()
