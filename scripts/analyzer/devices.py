"""A Zigbee2MQTT bridge/devices dump, and the report about its devices."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from custom_components.ha_ai.engine.zigbee.devices import (
    DeviceList,
    DeviceListError,
    parse_device_list,
)
from custom_components.ha_ai.engine.zigbee.model import Access, Capability, ZigbeeDevice

from .inputs import InputError, describe, load_json
from .text import clean, shorten

ACCESS_LETTERS = (
    (Access.PUBLISHED, "r"),
    (Access.SETTABLE, "s"),
    (Access.GETTABLE, "g"),
)
MAX_KEY_WIDTH = 48


def load_devices(path: Path) -> DeviceList:
    """Return the devices of a Zigbee2MQTT `bridge/devices` dump."""
    payload = load_json(path, "devices")
    try:
        return parse_device_list(payload)
    except DeviceListError as err:
        raise InputError(
            f"{describe(path, 'devices')} is not a Zigbee2MQTT bridge/devices dump:"
            f" {err}"
        ) from err


def access_flags(access: int) -> str:
    """Return the access bits as letters: r (in state), s (/set), g (/get)."""
    return "".join(letter if access & bit else "-" for bit, letter in ACCESS_LETTERS)


def capability_data(capability: Capability) -> dict[str, Any]:
    """Return what the report says about one capability."""
    return {
        "key": capability.key,
        "property": capability.property_name,
        "name": capability.name,
        "type": capability.type,
        "access": capability.access,
        "access_flags": access_flags(capability.access),
        "category": capability.category,
        "unit": capability.unit,
        "endpoint": capability.endpoint,
        "parent_type": capability.parent_type,
    }


def device_data(device: ZigbeeDevice) -> dict[str, Any]:
    """Return what the report says about one device."""
    return {
        "friendly_name": device.friendly_name,
        "ieee_address": device.ieee_address,
        "model": device.model,
        "vendor": device.vendor,
        "model_id": device.model_id,
        "display_model": device.display_model,
        "device_type": device.device_type,
        "interview_state": str(device.interview_state),
        "supported": device.supported,
        "disabled": device.disabled,
        "power_source": device.power_source,
        "software_build_id": device.software_build_id,
        "capability_count": len(device.capabilities),
        "capabilities": [capability_data(cap) for cap in device.capabilities],
    }


def build_report(device_list: DeviceList) -> dict[str, Any]:
    """Return the report as JSON-ready data.

    Offline there is no Home Assistant registry to link capabilities to entities,
    so every capability is listed as unlinked.
    """
    devices = list(device_list.devices.values())
    return {
        "devices": [device_data(device) for device in devices],
        "capabilities_total": sum(len(device.capabilities) for device in devices),
        "problems": list(device_list.problems),
        "unlinked_capabilities": [
            {
                "ieee_address": device.ieee_address,
                "friendly_name": device.friendly_name,
                "capability_key": capability.key,
                "property": capability.property_name,
                "type": capability.type,
            }
            for device in devices
            for capability in device.capabilities
        ],
    }


def render_device(device: Mapping[str, Any]) -> list[str]:
    """Return the lines about one device and its capabilities."""
    count = device["capability_count"]
    has_model = device["model"] or device["vendor"] or device["model_id"]
    facts = [
        device["ieee_address"],
        device["display_model"] if has_model else "no definition",
        device["device_type"],
        f"interview {device['interview_state']}",
        f"{count} {'capability' if count == 1 else 'capabilities'}",
    ]
    if not device["supported"]:
        facts.append("unsupported")
    if device["disabled"]:
        facts.append("disabled")
    lines = [clean(device["friendly_name"]), "  " + " | ".join(map(clean, facts))]
    rows = [
        (
            shorten(clean(cap["key"]), MAX_KEY_WIDTH),
            clean(cap["type"]),
            cap["access_flags"],
            clean(cap["category"] or ""),
            clean(cap["unit"] or ""),
        )
        for cap in device["capabilities"]
    ]
    if rows:
        widths = [max(len(row[column]) for row in rows) for column in range(5)]
        lines.extend(
            "    "
            + "  ".join(
                cell.ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
            for row in rows
        )
    return lines


def render_text(report: Mapping[str, Any]) -> str:
    """Return the report as text for people."""
    devices = report["devices"]
    problems = report["problems"]
    total = report["capabilities_total"]
    lines = [
        f"Zigbee devices: {len(devices)}, capabilities: {total}, "
        f"problems: {len(problems)}",
        "Access: r = reported in the state, s = settable (/set), g = gettable (/get)",
    ]
    for device in devices:
        lines.append("")
        lines.extend(render_device(device))
    if problems:
        lines.extend(["", f"Problems ({len(problems)}):"])
        lines.extend(f"  - {clean(problem)}" for problem in problems)
    unlinked = len(report["unlinked_capabilities"])
    lines.extend(
        [
            "",
            f"Unlinked capabilities: {unlinked} (offline there is no Home Assistant "
            "registry, so no capability is linked to an entity)",
        ]
    )
    return "\n".join(lines) + "\n"
