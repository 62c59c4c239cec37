"""Which device settings (`config` capabilities) the user has changed.

Zigbee2MQTT does not publish a setting's factory default. A setting counts as
changed when its value differs from a default known here, or from the first value
HA AI saw for it: either way the user has made it their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .exposes import SPECIFIC_TYPES
from .model import Capability, ZigbeeDevice

# Defaults documented by Zigbee2MQTT's device pages, by property name.
KNOWN_DEFAULTS: Mapping[str, object] = {
    "child_lock": "UNLOCK",
    "do_not_disturb": False,
    "interlock": False,
    "led_disabled_night": False,
    "motor_reversal": "OFF",
}
_SIMPLE_VALUES = (str, int, float, bool)
# Most devices have no changed setting: they share this one empty set rather than
# each judgement making thousands of equal ones for the garbage collector to track.
NOTHING_CHANGED: frozenset[str] = frozenset()


def _at_top_of_state(capability: Capability) -> bool:
    """Tell whether the value sits at the top level of the state message.

    Features of a light, switch or lock do; leaves of a composite nest under the
    composite's property and are not settings this tracker can follow.
    """
    path = capability.key.split("#")[0].split("/")
    if len(path) == 1:
        return True
    return len(path) == 2 and capability.parent_type in SPECIFIC_TYPES  # noqa: PLR2004


class SettingsTracker:
    """Remembers the first and the latest value of each device setting."""

    def __init__(self) -> None:
        """Start knowing nothing."""
        self._first: dict[str, dict[str, object]] = {}
        self._latest: dict[str, dict[str, object]] = {}

    def observe(self, device: ZigbeeDevice, state: Mapping[str, Any]) -> None:
        """Record the device's settings found in one of its state messages."""
        first = self._first.setdefault(device.ieee_address, {})
        latest = self._latest.setdefault(device.ieee_address, {})
        for capability in device.capabilities:
            if not capability.is_config or not _at_top_of_state(capability):
                continue
            value = state.get(capability.property_name)
            if not isinstance(value, _SIMPLE_VALUES):
                continue
            first.setdefault(capability.key, value)
            latest[capability.key] = value

    def changed_settings(self, device: ZigbeeDevice) -> frozenset[str]:
        """Return the keys of the device's settings the user has changed."""
        first = self._first.get(device.ieee_address, {})
        latest = self._latest.get(device.ieee_address, {})
        if not latest:
            return NOTHING_CHANGED  # every device is asked at each judgement
        changed = set()
        for capability in device.capabilities:
            if capability.key not in latest:
                continue
            value = latest[capability.key]
            default = KNOWN_DEFAULTS.get(
                capability.property_name, first[capability.key]
            )
            if value != default or value != first[capability.key]:
                changed.add(capability.key)
        return frozenset(changed) if changed else NOTHING_CHANGED

    def forget(self, ieee_address: str) -> None:
        """Drop what is known of a removed device."""
        self._first.pop(ieee_address, None)
        self._latest.pop(ieee_address, None)

    def to_dict(self) -> dict[str, Any]:
        """Return JSON-ready data for the store."""
        return {"first": self._first, "latest": self._latest}

    @classmethod
    def from_dict(cls, data: object) -> SettingsTracker:
        """Return the tracker stored by `to_dict`; anything else gives a fresh one."""
        tracker = cls()
        if not isinstance(data, Mapping):
            return tracker
        for name, target in (("first", tracker._first), ("latest", tracker._latest)):
            section = data.get(name)
            if not isinstance(section, Mapping):
                continue
            for ieee, values in section.items():
                if isinstance(ieee, str) and isinstance(values, Mapping):
                    target[ieee] = {
                        str(key): value
                        for key, value in values.items()
                        if isinstance(value, _SIMPLE_VALUES)
                    }
        # A latest value without a first one cannot be judged.
        for ieee, values in tracker._latest.items():
            first = tracker._first.setdefault(ieee, {})
            for key, value in values.items():
                first.setdefault(key, value)
        return tracker
