"""Turn devices into JSON-ready data and back, for the integration's store.

The store keeps each distinct capability list once (`definitions`) and has each
device point to its list, because a house has many devices of the same model: a
5,000-device store stays small, and restoring it shares the tuples again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from enum import StrEnum
from typing import Any

from .model import Capability, ZigbeeDevice
from .steps import Steps, run_to_end

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


def devices_from_store(data: object) -> tuple[dict[str, ZigbeeDevice], list[str]]:
    """Return the devices stored by `devices_to_store`, and what had to be dropped.

    Entries that no longer fit (a store written by another version, or damaged)
    are skipped with a problem line each; anything else gives no devices.
    """
    problems: list[str] = []
    if not isinstance(data, Mapping):
        return {}, problems
    raw_definitions = data.get("definitions")
    raw_devices = data.get("devices")
    if not isinstance(raw_definitions, list) or not isinstance(raw_devices, Mapping):
        return {}, ["the stored devices are not in a known format"]
    definitions: list[tuple[Capability, ...] | None] = []
    for number, items in enumerate(raw_definitions):
        try:
            definitions.append(capabilities_from_list(items))
        except (KeyError, TypeError, ValueError) as err:
            definitions.append(None)
            problems.append(f"stored definition {number} dropped ({err!r})")
    devices: dict[str, ZigbeeDevice] = {}
    for ieee, entry in raw_devices.items():
        try:
            capabilities = definitions[entry["definition"]]
            if capabilities is None:
                raise ValueError("its definition was dropped")  # noqa: TRY301
            fields_only = {k: v for k, v in entry.items() if k != "definition"}
            devices[ieee] = ZigbeeDevice(**fields_only, capabilities=capabilities)
        except (KeyError, TypeError, ValueError, IndexError) as err:
            problems.append(f"stored device {ieee} dropped ({err!r})")
    return devices, problems
