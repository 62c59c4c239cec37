"""Zigbee2MQTT device lists of any size, cloned from real-shaped definitions.

The definitions come from the real payloads in ../shared/data/z2m when they are
there (they are never committed), and from the test fixtures otherwise; each clone
gets its own IEEE address and name. Plain Python: the benchmarks in Home Assistant's
test harness and the scripts against a real instance share it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SOURCES = [
    REPO.parent / "shared" / "data" / "z2m" / "bridge_devices_35.json",
    *sorted((REPO / "tests" / "fixtures" / "zigbee").glob("*.json")),
    REPO / "tests" / "fixtures" / "house" / "devices.json",
]
FIRST_ADDRESS = 0x00158D0000000000


def _entries(*, real: bool = True) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for source in SOURCES if real else SOURCES[1:]:
        if source.exists():
            payload = json.loads(source.read_text())
            if isinstance(payload, list):
                entries.extend(entry for entry in payload if isinstance(entry, dict))
    return entries


def definitions(*, real: bool = True) -> list[dict[str, Any]]:
    """Return real-shaped device entries with a definition, from every source.

    `real=False` leaves the real payloads out: their definitions are about twice
    the fixtures' size, so a 20,000-device list of them passes the bridge's limit
    on a device list's size (and is refused, as it should be).
    """
    return [
        entry
        for entry in _entries(real=real)
        if isinstance(entry.get("definition"), dict)
        and entry.get("type") != "Coordinator"
    ]


def coordinator() -> dict[str, Any]:
    """Return a coordinator entry (Zigbee2MQTT always lists its coordinator)."""
    for entry in _entries():
        if entry.get("type") == "Coordinator":
            return dict(entry)
    return {
        "ieee_address": "0x00124b0000000000",
        "type": "Coordinator",
        "friendly_name": "Coordinator",
        "definition": None,
        "interview_completed": True,
        "supported": True,
        "disabled": False,
    }


def device_list(count: int, *, real: bool = True) -> list[dict[str, Any]]:
    """Return a device list of `count` devices, cycling through the definitions."""
    models = definitions(real=real)
    devices = []
    for index in range(count):
        entry = dict(models[index % len(models)])
        entry["ieee_address"] = f"0x{FIRST_ADDRESS + index:016x}"
        entry["friendly_name"] = f"Room {index // 8}/Device {index}"
        entry["disabled"] = False
        devices.append(entry)
    return devices
