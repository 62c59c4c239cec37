"""Turn a smart-home recording (WSU CASAS text format) into a History panel CSV.

Usage:
  .venv/bin/python scripts/real_history.py RAW --output HOUSE.csv [--timezone TZ]
  .venv/bin/python scripts/real_history.py --all DIR --output-dir DIR [--timezone TZ]

`--all` converts every `DIR/<house>/data` (or the single file in the folder) into
`<output-dir>/<house>.csv`. The recordings themselves are never part of this
repository: their terms forbid redistribution, so this reads a local copy.

The output is what Home Assistant's History panel downloads: a header
`entity_id,state,last_changed`, then one row per state, `last_changed` in UTC
(ISO 8601), so `scripts/analyze --history` and the evaluation read it as they
would a real export.

Input: one event per line, `DATE TIME SENSOR... VALUE [annotation...]`, fields
separated by spaces, tabs or commas. The sensor is every field between the time
and the first field that is a value, so the raw form (`M003 ON`), the translated
form (`Kitchen KitchenLight ON Cook`) and the named form (`KitchenASink ON`) all
read. Times are the house's local wall clock (CASAS homes: America/Los_Angeles).

Sensors map to Home Assistant domains as follows (the domain decides whether the
miner may propose acting on it):

- a value OPEN/CLOSE (CASAS `D###`, door contacts): `binary_sensor.<name>_door`,
  on/off;
- a value PRESENT/ABSENT (CASAS `I###`, item and cupboard sensors):
  `binary_sensor.<name>_item`, on while the item is taken (ABSENT);
- a value ON/OFF from a light switch (CASAS `L###`/`LL###`, or a name holding
  "light" that is not a light-level sensor): `light.<name>`, on/off;
- a value ON/OFF from an item sensor (`I###`): `binary_sensor.<name>_item`;
  from a door sensor (`D###`): `binary_sensor.<name>_door`;
- any other ON/OFF (CASAS `M###`/`MA###` motion and area sensors, translated
  places, bed and chair sensors): `binary_sensor.<name>_motion`, on/off;
- numbers (temperature `T###`, light level `LS###`, battery, power, analog
  `AD###`) and other words (radio `OK`...) are left out: those domains (sensor)
  are not habit domains.

A binary sensor that only ever reports ON (some excerpts keep motion onsets only)
gets an `off` `--hold` seconds after its last ON of a burst, as a motion sensor
with that hold time would report it.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_TIMEZONE = "America/Los_Angeles"
DEFAULT_HOLD_SECONDS = 60.0
SEPARATORS = re.compile(r"[\s,]+")
NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
ON_OFF = {"ON": "on", "OFF": "off"}
DOOR = {"OPEN": "on", "CLOSE": "off", "CLOSED": "off"}
ITEM = {"ABSENT": "on", "PRESENT": "off"}
WORDS = {**ON_OFF, **DOOR, **ITEM, "OK": "", "START": "", "STOP": ""}
LIGHT_SWITCH = re.compile(r"L{1,2}\d+")
ITEM_SENSOR = re.compile(r"I\d+")
DOOR_SENSOR = re.compile(r"D\d+")
LIGHT_LEVEL = re.compile(r"(LS\d+|.*lightsensor.*|.*light_?level.*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Reading:
    """One line of a recording: when, which sensor, what it said."""

    when: datetime  # aware, UTC
    sensor: str
    value: str


@dataclass(slots=True)
class Conversion:
    """What a conversion read, wrote and left out."""

    rows: list[tuple[str, str, datetime]] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    entities: dict[str, str] = field(default_factory=dict)  # entity_id -> sensor


def parse_line(line: str, timezone: ZoneInfo) -> Reading | None:
    """Return the reading of one line, or None when it is not one."""
    fields = [part for part in SEPARATORS.split(line.strip()) if part]
    if len(fields) < 4 or not DATE.fullmatch(fields[0]):  # noqa: PLR2004
        return None
    try:
        local = datetime.fromisoformat(f"{fields[0]} {fields[1]}")
    except ValueError:
        return None
    for index in range(2, len(fields)):
        word = fields[index]
        if word.upper() in WORDS or NUMBER.fullmatch(word):
            if index == 2:  # noqa: PLR2004
                return None
            sensor = "_".join(fields[2:index])
            when = local.replace(tzinfo=timezone).astimezone(UTC)
            return Reading(when=when, sensor=sensor, value=word.upper())
    return None


def slug(name: str) -> str:
    """Return a Home Assistant object id made of a sensor's name."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    text = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return re.sub(r"_+", "_", text) or "sensor"


def entity_and_state(sensor: str, value: str) -> tuple[str, str] | None:
    """Return the entity id and state a reading maps to, or None if left out."""
    name = slug(sensor)
    if value in DOOR:
        return binary(name, "door"), DOOR[value]
    if value in ITEM:
        return binary(name, "item"), ITEM[value]
    if value not in ON_OFF:
        return None
    state = ON_OFF[value]
    if LIGHT_LEVEL.fullmatch(sensor):
        return None
    if LIGHT_SWITCH.fullmatch(sensor) or "light" in sensor.lower():
        return f"light.{name}", state
    if ITEM_SENSOR.fullmatch(sensor):
        return binary(name, "item"), state
    if DOOR_SENSOR.fullmatch(sensor):
        return binary(name, "door"), state
    return binary(name, "motion"), state


def binary(name: str, kind: str) -> str:
    """Return a binary sensor's entity id, its kind as the last word."""
    object_id = name if name.endswith(kind) else f"{name}_{kind}"
    return f"binary_sensor.{object_id}"


def convert(lines: Iterable[str], *, timezone: ZoneInfo, hold: timedelta) -> Conversion:
    """Return the History rows of a recording's lines, in time order."""
    result = Conversion()
    by_entity: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for line in lines:
        reading = parse_line(line, timezone)
        if reading is None:
            if line.strip():
                result.skipped["not a reading"] += 1
            continue
        mapped = entity_and_state(reading.sensor, reading.value)
        if mapped is None:
            result.skipped[reading.sensor] += 1
            continue
        entity_id, state = mapped
        result.entities.setdefault(entity_id, reading.sensor)
        by_entity[entity_id].append((reading.when, state))
    for entity_id, readings in by_entity.items():
        readings.sort(key=lambda item: item[0])
        on_only = entity_id.startswith("binary_sensor.") and all(
            state == "on" for _, state in readings
        )
        kept = with_hold(readings, hold) if on_only else readings
        result.rows.extend((entity_id, state, when) for when, state in kept)
    result.rows.sort(key=lambda row: (row[2], row[0]))
    return result


def with_hold(
    readings: list[tuple[datetime, str]], hold: timedelta
) -> list[tuple[datetime, str]]:
    """Return ON-only readings with an off after each burst's last ON + hold."""
    out: list[tuple[datetime, str]] = []
    for index, (when, state) in enumerate(readings):
        out.append((when, state))
        following = readings[index + 1][0] if index + 1 < len(readings) else None
        if following is None or following - when > hold:
            out.append((when + hold, "off"))
    return out


def format_time(when: datetime) -> str:
    """Return a UTC time as the History panel writes it."""
    return (
        when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def write_csv(rows: Iterable[tuple[str, str, datetime]], path: Path) -> None:
    """Write History panel rows to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(("entity_id", "state", "last_changed"))
        for entity_id, state, when in rows:
            writer.writerow((entity_id, state, format_time(when)))


def read_lines(path: Path) -> Iterator[str]:
    """Yield a recording's lines (bytes that are not UTF-8 are replaced)."""
    with path.open(encoding="utf-8", errors="replace") as stream:
        yield from stream


def summary(name: str, conversion: Conversion, timezone: ZoneInfo) -> str:
    """Return one line saying what a converted house holds."""
    rows = conversion.rows
    if not rows:
        return f"{name}: no rows"
    days = {when.astimezone(timezone).date() for _, _, when in rows}
    domains = Counter(entity.partition(".")[0] for entity in conversion.entities)
    kinds = Counter(
        entity.rpartition("_")[2]
        for entity in conversion.entities
        if entity.startswith("binary_sensor.")
    )
    first = min(days).isoformat()
    last = max(days).isoformat()
    return (
        f"{name}: {len(days)} days ({first}..{last}), "
        f"{len(conversion.entities)} entities "
        f"({', '.join(f'{k} {v}' for k, v in sorted(domains.items()))}; "
        f"binary sensors: {', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), "
        f"{len(rows)} rows; left out: {sum(conversion.skipped.values())} readings"
    )


def house_input(folder: Path) -> Path | None:
    """Return a house folder's recording: `data`, else its only file."""
    preferred = folder / "data"
    if preferred.is_file():
        return preferred
    files = [path for path in folder.iterdir() if path.is_file()]
    return files[0] if len(files) == 1 else None


def main(argv: list[str]) -> int:
    """Convert one recording, or every house of a folder."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("raw", nargs="?", type=Path, help="a recording to convert")
    parser.add_argument("--output", type=Path, help="the CSV to write")
    parser.add_argument("--all", type=Path, help="a folder of <house>/ folders")
    parser.add_argument("--output-dir", type=Path, help="where --all writes")
    parser.add_argument("--timezone", default=DEFAULT_TIMEZONE)
    parser.add_argument(
        "--hold",
        type=float,
        default=DEFAULT_HOLD_SECONDS,
        help="seconds an ON-only sensor stays on (default 60)",
    )
    args = parser.parse_args(argv)
    timezone = ZoneInfo(args.timezone)
    hold = timedelta(seconds=args.hold)
    jobs: list[tuple[str, Path, Path]] = []
    if args.all is not None:
        if args.output_dir is None:
            parser.error("--all needs --output-dir")
        for folder in sorted(p for p in args.all.iterdir() if p.is_dir()):
            raw = house_input(folder)
            if raw is not None:
                jobs.append((folder.name, raw, args.output_dir / f"{folder.name}.csv"))
    elif args.raw is not None and args.output is not None:
        jobs.append((args.raw.stem, args.raw, args.output))
    else:
        parser.error("give RAW and --output, or --all and --output-dir")
    for name, raw, output in jobs:
        conversion = convert(read_lines(raw), timezone=timezone, hold=hold)
        write_csv(conversion.rows, output)
        sys.stderr.write(summary(name, conversion, timezone) + f" -> {output}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
