"""Analyze exported data offline with HA AI's engine, without Home Assistant.

Usage: scripts/analyze --devices FILE [--json]

--devices reads a Zigbee2MQTT `bridge/devices` dump (the retained payload of
`zigbee2mqtt/bridge/devices`, for example saved with
`mosquitto_sub -t zigbee2mqtt/bridge/devices -C 1 > devices.json`; `-` reads it from
standard input). The report lists the devices and the capabilities they expose; with
--json it is one JSON object. Unreadable or invalid input exits with status 2.

Only the engine is imported (as the top-level package `engine`), never Home Assistant.
"""

from __future__ import annotations

import argparse
import os
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(
    0, str(Path(__file__).resolve().parents[1] / "custom_components" / "ha_ai")
)

from engine.zigbee.devices import (
    DeviceList,
    DeviceListError,
    parse_device_list,
)
from engine.zigbee.model import Access, Capability, ZigbeeDevice

EXIT_INPUT_ERROR = 2
MAX_INPUT_BYTES = 256 * 1024 * 1024
ACCESS_LETTERS = (
    (Access.PUBLISHED, "r"),
    (Access.SETTABLE, "s"),
    (Access.GETTABLE, "g"),
)
MAX_KEY_WIDTH = 48
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


class InputError(Exception):
    """An input file that cannot be analyzed; the message says why."""


# Input


def describe(path: Path, what: str) -> str:
    """Return how messages name an input file."""
    if str(path) == "-":
        return f"the {what} input (standard input)"
    return f"the {what} file {path}"


def read_input(path: Path, what: str) -> bytes:
    """Return the bytes of an input file (`-` is standard input)."""
    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with path.open("rb") as file:
                data = file.read(MAX_INPUT_BYTES + 1)
    except OSError as err:
        reason = err.strerror or str(err)
        raise InputError(f"cannot read {describe(path, what)}: {reason}") from err
    if len(data) > MAX_INPUT_BYTES:
        limit = MAX_INPUT_BYTES // (1024 * 1024)
        raise InputError(f"{describe(path, what)} is larger than {limit} MB")
    return data


def load_json(path: Path, what: str) -> object:
    """Return the decoded JSON of an input file."""
    data = read_input(path, what)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as err:
        raise InputError(f"{describe(path, what)} is not valid JSON: {err}") from err


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


# Report data


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


# Text output


def clean(text: object) -> str:
    """Return text safe to print: control and format characters are escaped."""
    return "".join(
        ascii(char)[1:-1] if unicodedata.category(char) in UNSAFE_CATEGORIES else char
        for char in str(text)
    )


def shorten(text: str, width: int) -> str:
    """Return `text` cut to `width` characters, marking the cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


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


# Command line


def build_parser() -> argparse.ArgumentParser:
    """Return the command line: one flag per input, and output flags."""
    parser = argparse.ArgumentParser(
        prog="scripts/analyze",
        description="Analyze exported data offline with HA AI's engine.",
    )
    inputs = parser.add_argument_group("inputs")
    inputs.add_argument(
        "--devices",
        type=Path,
        metavar="FILE",
        help="a Zigbee2MQTT bridge/devices JSON dump ('-' reads standard input)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--json", action="store_true", help="print one JSON object instead of text"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the analysis; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.devices is None:
        parser.error("nothing to analyze: give --devices FILE")
    try:
        device_list = load_devices(args.devices)
    except InputError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    report = build_report(device_list)
    if args.json:
        text = orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n"
    else:
        text = render_text(report)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader (`| head`) went away: not an error of the analysis. Point
        # stdout at /dev/null so that the flush at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
