"""Plain data describing Zigbee2MQTT devices and the capabilities they expose.

The shapes follow Zigbee2MQTT's `bridge/devices` payload closely, so that anything
the bridge says survives: a field this code does not know is kept in `extra`, and an
expose type it does not know becomes a capability of that type rather than vanishing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntFlag, StrEnum
from typing import Any, Final

# Zigbee2MQTT names every device by its 64-bit IEEE address, written `0x` and 16
# hex digits. The address becomes a topic segment, a device identifier and part
# of unique ids, so nothing else may pass for one.
_IEEE_ADDRESS: Final = re.compile(r"0x[0-9a-fA-F]{16}")


def ieee_address(value: object) -> str | None:
    """Return `value` as an IEEE address in lower case, or None when it is not one."""
    if isinstance(value, str) and _IEEE_ADDRESS.fullmatch(value):
        return value.lower()
    return None


class Access(IntFlag):
    """Zigbee2MQTT's `access` bits."""

    PUBLISHED = 1  # reported in the device's state message
    SETTABLE = 2  # can be written with `<device>/set`
    GETTABLE = 4  # can be read with `<device>/get`


class Category(StrEnum):
    """Zigbee2MQTT's expose categories; None means a primary capability."""

    CONFIG = "config"
    DIAGNOSTIC = "diagnostic"


class InterviewState(StrEnum):
    """Where the bridge is with a device's interview."""

    SUCCESSFUL = "successful"
    IN_PROGRESS = "in_progress"
    PENDING = "pending"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class Capability:
    """One leaf of a device's exposes: something it reports or can be told to do.

    `key` is unique within a device and stable across re-publications of the device
    list: it is built from the path of parents and the property. `property_name` is
    Zigbee2MQTT's `property`: the key of the value in the device's state message.
    """

    key: str
    property_name: str
    name: str
    type: str
    access: int
    category: str | None = None
    endpoint: str | None = None
    parent_type: str | None = None
    label: str | None = None
    description: str | None = None
    unit: str | None = None
    value_min: float | None = None
    value_max: float | None = None
    value_step: float | None = None
    values: tuple[str, ...] = ()
    presets: tuple[str, ...] = ()
    value_on: Any = None
    value_off: Any = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def published(self) -> bool:
        """Return whether the device reports this capability in its state."""
        # Plain int arithmetic: IntFlag operators cost a lot in tight loops.
        return bool(self.access & 1)

    @property
    def settable(self) -> bool:
        """Return whether the capability can be set."""
        return bool(self.access & 2)

    @property
    def gettable(self) -> bool:
        """Return whether the capability can be read on demand."""
        return bool(self.access & 4)

    @property
    def is_config(self) -> bool:
        """Return whether this is a setting of the device."""
        return self.category == Category.CONFIG

    @property
    def is_diagnostic(self) -> bool:
        """Return whether this is a read-only detail of the device."""
        return self.category == Category.DIAGNOSTIC


@dataclass(frozen=True, slots=True, kw_only=True)
class ZigbeeDevice:
    """One entry of `bridge/devices`, with its capabilities parsed."""

    ieee_address: str
    friendly_name: str
    device_type: str
    model: str | None = None
    vendor: str | None = None
    description: str | None = None
    model_id: str | None = None
    manufacturer: str | None = None
    power_source: str | None = None
    software_build_id: str | None = None
    date_code: str | None = None
    supported: bool = True
    disabled: bool = False
    interview_state: str = InterviewState.SUCCESSFUL
    capabilities: tuple[Capability, ...] = ()

    @property
    def is_coordinator(self) -> bool:
        """Return whether this is the network's coordinator (no capabilities)."""
        return self.device_type == "Coordinator"

    @property
    def display_model(self) -> str:
        """Return vendor and model the way a user reads them on the box."""
        parts = [part for part in (self.vendor, self.model) if part]
        return " ".join(parts) or self.model_id or "Zigbee device"

    def capability_signature(self) -> tuple[tuple[str, str, int], ...]:
        """Return what identifies the capability set, to notice re-interviews."""
        return tuple(
            sorted((cap.key, cap.type, cap.access) for cap in self.capabilities)
        )
