"""Parse the `bridge/devices` list, and compare one list with the previous one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from .exposes import ExposesParser, _text
from .model import Capability, InterviewState, ZigbeeDevice, ieee_address
from .steps import Steps, run_to_end

MAX_DEVICES = 20_000


class DeviceListError(ValueError):
    """The payload is not a device list at all; the last good list stays."""


@dataclass(frozen=True, slots=True)
class DeviceList:
    """The devices of one `bridge/devices` payload, by IEEE address."""

    devices: dict[str, ZigbeeDevice]
    problems: list[str] = field(default_factory=list)
    entries: int = 0  # how many entries the list had, devices or not
    skipped: int = 0  # entries that could not be devices

    @property
    def has_coordinator(self) -> bool:
        """Return whether the list names its coordinator, as Zigbee2MQTT's always do."""
        return any(device.is_coordinator for device in self.devices.values())


@dataclass(frozen=True, slots=True)
class DeviceListDiff:
    """What changed between two device lists."""

    added: list[ZigbeeDevice]
    removed: list[ZigbeeDevice]
    changed: list[tuple[ZigbeeDevice, ZigbeeDevice]]

    def __bool__(self) -> bool:
        """Return whether anything changed."""
        return bool(self.added or self.removed or self.changed)


def _interview_state(entry: Mapping[str, Any]) -> str:
    """Return the interview state from Zigbee2MQTT 2.x or 1.x fields."""
    state = entry.get("interview_state")
    if isinstance(state, str) and state.lower() in set(InterviewState):
        return InterviewState(state.lower())
    if entry.get("interviewing") is True:
        return InterviewState.IN_PROGRESS
    if entry.get("interview_completed") is False:
        return InterviewState.PENDING
    return InterviewState.SUCCESSFUL


type DefinitionCache = dict[bytes, tuple[tuple[Capability, ...], tuple[str, ...]]]


def _capabilities(
    device_name: str,
    exposes: object,
    problems: list[str],
    definitions: DefinitionCache | None,
) -> tuple[Capability, ...]:
    """Return the capabilities of `exposes`, parsing each distinct list only once.

    A house has many devices of the same model, with identical exposes: their
    capabilities are equal, immutable values, so the devices can share one tuple.
    """
    if definitions is None or not isinstance(exposes, list):
        return ExposesParser(device_name, problems).parse(exposes)
    try:
        key = orjson.dumps(exposes, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return ExposesParser(device_name, problems).parse(exposes)
    if key not in definitions:
        found: list[str] = []
        definitions[key] = (ExposesParser(None, found).parse(exposes), tuple(found))
    capabilities, definition_problems = definitions[key]
    problems.extend(f"{device_name}: {problem}" for problem in definition_problems)
    return capabilities


def parse_device(
    entry: object,
    problems: list[str],
    definitions: DefinitionCache | None = None,
) -> ZigbeeDevice | None:
    """Return one device, or None (with a problem line) when it cannot be one.

    `definitions` lets the devices of one list share the parsing of their exposes.
    """
    if not isinstance(entry, Mapping):
        problems.append(f"a device entry is a {type(entry).__name__}, not an object")
        return None
    raw_ieee = entry.get("ieee_address")
    ieee = ieee_address(raw_ieee)
    if ieee is None:
        name = _text(entry.get("friendly_name")) or "a device"
        if raw_ieee is None or raw_ieee == "":
            problems.append(f"{name}: no ieee_address; the device is ignored")
        else:
            shown = repr(raw_ieee)[:60] if isinstance(raw_ieee, str) else "not text"
            problems.append(
                f"{name}: ieee_address {shown} is not 0x and 16 hex digits;"
                " the device is ignored"
            )
        return None
    friendly_name = _text(entry.get("friendly_name")) or ieee
    definition = entry.get("definition")
    if definition is not None and not isinstance(definition, Mapping):
        problems.append(f"{friendly_name}: definition is not an object")
        definition = None
    definition = definition or {}
    capabilities = _capabilities(
        friendly_name, definition.get("exposes"), problems, definitions
    )
    return ZigbeeDevice(
        ieee_address=ieee,
        friendly_name=friendly_name,
        device_type=_text(entry.get("type")) or "Unknown",
        model=_text(definition.get("model")),
        vendor=_text(definition.get("vendor")),
        description=_text(definition.get("description")),
        model_id=_text(entry.get("model_id")),
        manufacturer=_text(entry.get("manufacturer")),
        power_source=_text(entry.get("power_source")),
        software_build_id=_text(entry.get("software_build_id")),
        date_code=_text(entry.get("date_code")),
        supported=entry.get("supported") is not False,
        disabled=entry.get("disabled") is True,
        interview_state=_interview_state(entry),
        capabilities=capabilities,
    )


def parse_device_list(payload: object) -> DeviceList:
    """Return the devices of a `bridge/devices` payload (already JSON-decoded).

    Raises DeviceListError when the payload is not a list: the caller keeps the last
    good list. Entries that cannot be devices are skipped with a problem line each.
    """
    if not isinstance(payload, list):
        kind = type(payload).__name__
        raise DeviceListError(f"the device list is a {kind}, not a list")
    return parse_device_entries(payload)


def parse_device_entries(entries: Iterable[object]) -> DeviceList:
    """Return the devices of a list's entries, taken one at a time.

    With entries decoded on the fly (see `inbound.iter_json_array`), each raw entry
    is dropped as soon as its device is parsed.
    """
    return run_to_end(device_entry_steps(entries))


def device_entry_steps(entries: Iterable[object]) -> Steps[DeviceList]:
    """Parse a list's entries one step per entry, for `steps.Slices`."""
    problems: list[str] = []
    devices: dict[str, ZigbeeDevice] = {}
    definitions: DefinitionCache = {}
    count = 0
    skipped = 0
    for count, entry in enumerate(entries, start=1):
        if count > MAX_DEVICES:
            problems.append(f"more than {MAX_DEVICES} devices; the rest is ignored")
            break
        device = parse_device(entry, problems, definitions)
        yield
        if device is None:
            skipped += 1
            continue
        if device.ieee_address in devices:
            problems.append(f"{device.ieee_address} appears twice; the last one counts")
        devices[device.ieee_address] = device
    return DeviceList(
        devices=devices, problems=problems, entries=count, skipped=skipped
    )


def diff_device_lists(
    old: Mapping[str, ZigbeeDevice], new: Mapping[str, ZigbeeDevice]
) -> DeviceListDiff:
    """Return the devices added, removed, and changed (capabilities or firmware)."""
    added = [device for ieee, device in new.items() if ieee not in old]
    removed = [device for ieee, device in old.items() if ieee not in new]
    changed = [
        (old[ieee], device)
        for ieee, device in new.items()
        if ieee in old
        and (
            old[ieee].capability_signature() != device.capability_signature()
            or old[ieee].software_build_id != device.software_build_id
        )
    ]
    return DeviceListDiff(added=added, removed=removed, changed=changed)
