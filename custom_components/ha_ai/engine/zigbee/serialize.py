"""Turn devices into JSON-ready data and back, for the integration's store.

The store keeps each distinct capability list once (`definitions`) and has each
device point to its list, because a house has many devices of the same model: a
5,000-device store stays small, and restoring it shares the tuples again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..stored import (
    BadRecordError,
    Drops,
    Restored,
    UnreadableStoreError,
    aware_time,
    flag,
    mapping_or_unreadable,
    optional_number,
    optional_text,
    record,
    required_int,
    required_text,
    required_time,
    section,
    text_tuple,
)
from .anomalies import STORE_VERSION as ANOMALIES_VERSION
from .anomalies import AnomalySettings, AnomalyTracker
from .model import Capability, InterviewState, ZigbeeDevice
from .settings_usage import SettingsTracker
from .steps import Steps, run_to_end

# The bridge records this many device changes; a store holds no more.
MAX_STORED_CHANGES = 100

_CAPABILITY_FIELDS = tuple(field.name for field in fields(Capability))
_CAPABILITY_DEFAULTS = {
    f.name: f.default for f in fields(Capability) if f.default is not f.default_factory
}
_DEVICE_FIELDS = tuple(
    field.name for field in fields(ZigbeeDevice) if field.name != "capabilities"
)


def capabilities_to_list(capabilities: Iterable[Capability]) -> list[dict[str, Any]]:
    """Return capabilities as JSON-ready dicts, leaving out default values."""
    items = []
    for capability in capabilities:
        item: dict[str, Any] = {}
        for name in _CAPABILITY_FIELDS:
            value = getattr(capability, name)
            if name in _CAPABILITY_DEFAULTS and value == _CAPABILITY_DEFAULTS[name]:
                continue
            if name == "extra":
                if not value:
                    continue
                value = dict(value)
            elif isinstance(value, tuple):
                value = list(value)
            item[name] = value
        items.append(item)
    return items


def capabilities_from_list(
    items: Iterable[Mapping[str, Any]],
) -> tuple[Capability, ...]:
    """Return the capabilities stored by `capabilities_to_list`.

    Raises KeyError, TypeError or ValueError when an item is not such a capability.
    """
    return tuple(
        Capability(
            **{
                **item,
                "values": tuple(item.get("values", ())),
                "presets": tuple(item.get("presets", ())),
                "extra": dict(item.get("extra", {})),
            }
        )
        for item in items
    )


def _plain(value: object) -> object:
    """Return an enum member as its plain string, anything else as it is.

    A dict of plain values is one the garbage collector does not track, and the
    store keeps one such dict per device.
    """
    return str(value) if isinstance(value, StrEnum) else value


def _device_fields(device: ZigbeeDevice) -> dict[str, Any]:
    return {name: _plain(getattr(device, name)) for name in _DEVICE_FIELDS}


def device_to_dict(device: ZigbeeDevice) -> dict[str, Any]:
    """Return one device, with its capabilities, as JSON-ready data."""
    data = _device_fields(device)
    data["capabilities"] = capabilities_to_list(device.capabilities)
    return data


def device_from_dict(data: Mapping[str, Any]) -> ZigbeeDevice:
    """Return the device stored by `device_to_dict`.

    Raises KeyError, TypeError or ValueError when the data is not such a device.
    """
    capabilities = capabilities_from_list(data["capabilities"])
    return ZigbeeDevice(**{**data, "capabilities": capabilities})


def devices_to_store(devices: Mapping[str, ZigbeeDevice]) -> dict[str, Any]:
    """Return all devices as JSON-ready data, each capability list stored once."""
    return run_to_end(store_steps(devices))


def store_steps(devices: Mapping[str, ZigbeeDevice]) -> Steps[dict[str, Any]]:
    """Do `devices_to_store` one step per device, for `steps.Slices`."""
    definitions: list[list[dict[str, Any]]] = []
    # Devices parsed from one list share their capability tuples: identity is the
    # cheap, exact test (capabilities hold dicts, so they cannot be hashed).
    index_of: dict[int, int] = {}
    stored: dict[str, dict[str, Any]] = {}
    for ieee, device in devices.items():
        index = index_of.get(id(device.capabilities))
        if index is None:
            index = index_of[id(device.capabilities)] = len(definitions)
            definitions.append(capabilities_to_list(device.capabilities))
        stored[ieee] = {**_device_fields(device), "definition": index}
        yield
    return {"definitions": definitions, "devices": stored}


def restore_zigbee_store(
    data: object, anomaly_settings: AnomalySettings
) -> Restored[StoredBridge]:
    """Return what the bridge stored, each record checked field by field.

    Never raises for a damaged record: a device or capability whose needed field
    is wrong is left out and counted in the result's `drops`, an optional field of
    the wrong type falls back to its default. Raises `UnreadableStoreError` when
    the store as a whole is not in this version's shape (not an object, or its
    device sections are not a list and an object).
    """
    stored = mapping_or_unreadable(data, "the Zigbee store")
    raw_devices = stored.get("devices")
    raw_devices = mapping_or_unreadable(
        {} if raw_devices is None else raw_devices, "the Zigbee store's `devices`"
    )
    drops = Drops()
    devices = _restore_devices(raw_devices, drops)
    received = stored.get("last_devices_received")
    last_received = aware_time(received)
    if received is not None and last_received is None:
        drops.reset_field("bridge", "last_devices_received")
    anomalies = stored.get("anomalies")
    if anomalies is not None and (
        not isinstance(anomalies, Mapping)
        or anomalies.get("version") != ANOMALIES_VERSION
    ):
        drops.reset_field("bridge", "anomalies")
    settings = stored.get("settings")
    if settings is not None and not isinstance(settings, Mapping):
        drops.reset_field("bridge", "settings")
    return Restored(
        StoredBridge(
            devices=devices,
            stored_devices=devices_to_store(devices),
            bridge_info=_restore_bridge_info(stored.get("bridge_info"), drops),
            last_devices_received=last_received,
            changes=_restore_changes(stored.get("changes"), drops),
            anomalies=AnomalyTracker.from_dict(
                stored.get("anomalies"), anomaly_settings
            ),
            settings=SettingsTracker.from_dict(stored.get("settings")),
        ),
        drops,
    )


@dataclass(frozen=True, slots=True)
class StoredBridge:
    """What the Zigbee store holds, checked: see `restore_zigbee_store`."""

    devices: dict[str, ZigbeeDevice]
    stored_devices: dict[str, Any]  # the store form of `devices`, as saved next
    bridge_info: dict[str, Any]
    last_devices_received: datetime | None
    changes: list[dict[str, Any]]
    anomalies: AnomalyTracker
    settings: SettingsTracker


def _restore_devices(
    raw_devices: Mapping[str, object], drops: Drops
) -> dict[str, ZigbeeDevice]:
    definitions_data = raw_devices.get("definitions")
    entries = raw_devices.get("devices")
    if definitions_data is None and entries is None:
        return {}
    if not isinstance(definitions_data, list) or not isinstance(entries, Mapping):
        raise UnreadableStoreError("the stored devices are not in a known format")
    definitions = [
        _restore_definition(items, number, drops)
        for number, items in enumerate(definitions_data)
    ]
    devices: dict[str, ZigbeeDevice] = {}
    for ieee, entry in entries.items():
        try:
            device = _restore_device(entry, definitions, drops)
            if device.ieee_address != ieee:
                raise BadRecordError("ieee_address differs from its key")  # noqa: TRY301
        except BadRecordError as err:
            drops.drop("device", str(err))
            continue
        devices[device.ieee_address] = device
    return devices


def _restore_definition(
    items: object, number: int, drops: Drops
) -> tuple[Capability, ...] | None:
    """Return one stored capability list; a damaged capability is left out."""
    if not isinstance(items, list):
        drops.drop("definition", f"definition {number} is not a list")
        return None
    capabilities = []
    for item in items:
        try:
            capabilities.append(_restore_capability(record(item), drops))
        except BadRecordError as err:
            drops.drop("capability", str(err))
    return tuple(capabilities)


def _restore_capability(item: Mapping[str, object], drops: Drops) -> Capability:
    kind = "capability"
    extra = item.get("extra")
    if extra is not None and not isinstance(extra, dict):
        drops.reset_field(kind, "extra")
    return Capability(
        key=required_text(item, "key"),
        property_name=required_text(item, "property_name"),
        name=required_text(item, "name"),
        type=required_text(item, "type"),
        access=required_int(item, "access"),
        category=optional_text(item, "category", drops, kind),
        endpoint=optional_text(item, "endpoint", drops, kind),
        parent_type=optional_text(item, "parent_type", drops, kind),
        label=optional_text(item, "label", drops, kind),
        description=optional_text(item, "description", drops, kind),
        unit=optional_text(item, "unit", drops, kind),
        value_min=optional_number(item, "value_min", drops, kind),
        value_max=optional_number(item, "value_max", drops, kind),
        value_step=optional_number(item, "value_step", drops, kind),
        values=text_tuple(item, "values", drops, kind),
        presets=text_tuple(item, "presets", drops, kind),
        value_on=item.get("value_on"),
        value_off=item.get("value_off"),
        extra=dict(extra) if isinstance(extra, dict) else {},
    )


def _restore_device(
    entry: object,
    definitions: list[tuple[Capability, ...] | None],
    drops: Drops,
) -> ZigbeeDevice:
    item = record(entry)
    kind = "device"
    number = item.get("definition")
    if (
        isinstance(number, bool)
        or not isinstance(number, int)
        or not 0 <= number < len(definitions)
    ):
        raise BadRecordError("definition is not a stored definition")
    capabilities = definitions[number]
    if capabilities is None:
        raise BadRecordError("its definition was dropped")
    interview = item.get("interview_state", InterviewState.SUCCESSFUL)
    if not isinstance(interview, str):
        drops.reset_field(kind, "interview_state")
        interview = InterviewState.SUCCESSFUL
    return ZigbeeDevice(
        ieee_address=required_text(item, "ieee_address"),
        friendly_name=required_text(item, "friendly_name"),
        device_type=required_text(item, "device_type"),
        model=optional_text(item, "model", drops, kind),
        vendor=optional_text(item, "vendor", drops, kind),
        description=optional_text(item, "description", drops, kind),
        model_id=optional_text(item, "model_id", drops, kind),
        manufacturer=optional_text(item, "manufacturer", drops, kind),
        power_source=optional_text(item, "power_source", drops, kind),
        software_build_id=optional_text(item, "software_build_id", drops, kind),
        date_code=optional_text(item, "date_code", drops, kind),
        supported=flag(item, "supported", True, drops, kind),  # noqa: FBT003
        disabled=flag(item, "disabled", False, drops, kind),  # noqa: FBT003
        interview_state=str(interview),
        capabilities=capabilities,
    )


_BRIDGE_INFO_TEXTS = ("version", "commit", "coordinator_type", "last_seen")


def _restore_bridge_info(info: object, drops: Drops) -> dict[str, Any]:
    """Return the stored bridge info: its known fields, each of the right type."""
    if info is None:
        return {}
    if not isinstance(info, Mapping):
        drops.reset_field("bridge", "bridge_info")
        return {}
    if not info:
        return {}
    restored: dict[str, Any] = {
        key: optional_text(info, key, drops, "bridge_info")
        for key in _BRIDGE_INFO_TEXTS
    }
    restored["permit_join"] = flag(info, "permit_join", False, drops, "bridge_info")  # noqa: FBT003
    return restored


def _restore_changes(changes: object, drops: Drops) -> list[dict[str, Any]]:
    """Return the recorded device changes that have the shape the bridge writes."""
    if changes is None:
        return []
    if not isinstance(changes, list):
        drops.reset_field("bridge", "changes")
        return []
    restored = []
    for change in changes[-MAX_STORED_CHANGES:]:
        try:
            restored.append(_restore_change(change))
        except BadRecordError as err:
            drops.drop("device change", str(err))
    return restored


def _restore_change(change: object) -> dict[str, Any]:
    item = record(change)
    builds = item.get("software_build_id")
    if (
        not isinstance(builds, list)
        or len(builds) != 2  # noqa: PLR2004
        or not all(build is None or isinstance(build, str) for build in builds)
    ):
        raise BadRecordError("software_build_id is not a pair of texts")
    lists = {}
    for key in ("capabilities_added", "capabilities_removed"):
        keys = item.get(key)
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise BadRecordError(f"{key} is not a list of texts")
        lists[key] = list(keys)
    return {
        "at": required_time(item, "at").isoformat(),
        "ieee_address": required_text(item, "ieee_address"),
        "friendly_name": required_text(item, "friendly_name"),
        **lists,
        "software_build_id": list(builds),
    }


def restore_insights_store(data: object) -> Restored[set[str]]:
    """Return the ids of the opportunities already published, counting the others.

    Raises `UnreadableStoreError` when the store is not an object or its
    `published` is not a list.
    """
    stored = mapping_or_unreadable(data, "the insights store")
    drops = Drops()
    items = section(stored, "published", list, "the insights store")
    published = {item for item in items if isinstance(item, str) and item}
    left_out = sum(1 for item in items if not isinstance(item, str) or not item)
    if left_out:
        drops.drop("published opportunity", "not an id", left_out)
    return Restored(published, drops)
