"""Turn devices into JSON-ready dicts and back, for the integration's store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any

from .model import Capability, ZigbeeDevice

_CAPABILITY_DEFAULTS = {
    f.name: f.default for f in fields(Capability) if f.default is not f.default_factory
}


def device_to_dict(device: ZigbeeDevice) -> dict[str, Any]:
    """Return the device as JSON-ready data, leaving out capability defaults."""
    data = asdict(device)
    data["capabilities"] = [
        {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in asdict(capability).items()
            if name not in _CAPABILITY_DEFAULTS or value != _CAPABILITY_DEFAULTS[name]
        }
        for capability in device.capabilities
    ]
    return data


def device_from_dict(data: Mapping[str, Any]) -> ZigbeeDevice:
    """Return the device stored by `device_to_dict`.

    Raises KeyError or TypeError when the data is not such a device.
    """
    capabilities = tuple(
        Capability(
            **{
                **item,
                "values": tuple(item.get("values", ())),
                "presets": tuple(item.get("presets", ())),
                "extra": dict(item.get("extra", {})),
            }
        )
        for item in data["capabilities"]
    )
    return ZigbeeDevice(**{**data, "capabilities": capabilities})
