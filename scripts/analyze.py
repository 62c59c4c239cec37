"""Analyze exported data offline with HA AI's engine, without Home Assistant.

Usage:
  scripts/analyze --history FILE [--history FILE ...] [--automations FILE]
                  [--timezone TZ] [--all-domains] [--devices FILE] [--json]

--history reads state changes and mines them for habits with the same engine as
the integration: routines at a time of day, and things used together. Two formats
are read, told apart by their content (or, failing that, the file's extension):
the CSV that Home Assistant's History panel downloads (header
`entity_id,state,last_changed`, times in UTC), and JSON Lines, one object per line
with `entity_id`, `state`, `last_changed` and optionally `context_parent_id` and
`context_user_id`. Rows without a parent context count as changes made by hand;
the first row of each entity, and changes from or to unavailable/unknown, as the
system's. Bad rows are counted and reported, never fatal. As in the integration,
only the domains it logs are mined (lights, switches, covers, binary sensors,
people...); --all-domains mines every one. Times in the report are local to
--timezone (default UTC).

--automations reads an `automations.yaml`, so that patterns an automation already
covers (a timed automation acting on the entity, or one triggered by the pair's
first entity acting on the second) are marked as automated.

--devices reads a Zigbee2MQTT `bridge/devices` dump (the retained payload of
`zigbee2mqtt/bridge/devices`, for example saved with
`mosquitto_sub -t zigbee2mqtt/bridge/devices -C 1 > devices.json`). The report lists
the devices and the capabilities they expose.

`-` reads an input from standard input (once). The report is text for people, or
with --json one JSON object. A missing, unreadable or unrecognizable input exits
with status 2.

Only the engine is imported (as the top-level package `engine`), never Home Assistant.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
import yaml

sys.path.insert(
    0, str(Path(__file__).resolve().parents[1] / "custom_components" / "ha_ai")
)

from engine.habits.mining import mine_habits
from engine.habits.model import (
    LOGGED_DOMAINS,
    AutomationCoverage,
    ChangeTable,
    MiningSettings,
    Origin,
    Pattern,
    StateChange,
    classify_origin,
)
from engine.habits.serialize import pattern_summary
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
STDIN = "-"

# History files
CSV_FORMAT = "csv"
JSONL_FORMAT = "jsonl"
EMPTY_FORMAT = "empty"
FORMAT_NAMES = {CSV_FORMAT: "CSV", JSONL_FORMAT: "JSON Lines", EMPTY_FORMAT: "empty"}
JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})
CSV_COLUMNS = ("entity_id", "state", "last_changed")
# Lines looked at for a JSON object when the first line does not tell the format.
SNIFF_LINES = 20
# A longer line is not a state change; it is skipped without being held in memory.
MAX_LINE_BYTES = 1024 * 1024
# Bad rows: how many line numbers a file's report gives.
BAD_LINES_SHOWN = 5
ENTITY_ID = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
# A change up to a day ahead of this computer's clock is still taken.
FUTURE_MARGIN = 86_400
# automations.yaml
TIMED_TRIGGERS = frozenset({"time", "time_pattern", "sun", "calendar"})
STATE_TRIGGERS = frozenset({"state", "device"})
# Keys whose values are conditions or triggers inside actions: what they name is
# looked at, not acted on.
NOT_ACTED_ON = frozenset({"conditions", "if", "while", "until", "wait_for_trigger"})
UNRESOLVED_TARGETS = ("area_id", "device_id", "floor_id", "label_id")


class InputError(Exception):
    """An input file that cannot be analyzed; the message says why."""


# Input


def describe(path: Path, what: str) -> str:
    """Return how messages name an input file."""
    if str(path) == STDIN:
        return f"the {what} input (standard input)"
    return f"the {what} file {path}"


def read_input(path: Path, what: str) -> bytes:
    """Return the bytes of an input file (`-` is standard input)."""
    try:
        if str(path) == STDIN:
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with path.open("rb") as file:
                data = file.read(MAX_INPUT_BYTES + 1)
    except OSError as err:
        raise InputError(f"cannot read {describe(path, what)}: {reason(err)}") from err
    if len(data) > MAX_INPUT_BYTES:
        limit = MAX_INPUT_BYTES // (1024 * 1024)
        raise InputError(f"{describe(path, what)} is larger than {limit} MB")
    return data


def reason(err: OSError) -> str:
    """Return why an operation on a file failed, in a few words."""
    return err.strerror or str(err)


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


# History


@dataclass(slots=True)
class HistoryFile:
    """What was read from one history file."""

    name: str
    format: str = EMPTY_FORMAT
    rows: int = 0  # data rows, bad ones included (not the header, not blank lines)
    bad_rows: int = 0
    bad_lines: list[int] = field(default_factory=list)  # the first few
    reasons: Counter[str] = field(default_factory=Counter)

    def bad(self, line: int, why: str) -> None:
        """Count a row that cannot be used, and why."""
        self.rows += 1
        self.bad_rows += 1
        self.reasons[why] += 1
        if len(self.bad_lines) < BAD_LINES_SHOWN:
            self.bad_lines.append(line)


# One row: UTC seconds, order of reading, state, the context's parent id.
type HistoryRow = tuple[float, int, str, str | None]


@dataclass(slots=True)
class HistoryRows:
    """The good rows of all history files, by entity."""

    all_domains: bool = False
    by_entity: dict[str, list[HistoryRow]] = field(default_factory=dict)
    count: int = 0
    ignored: Counter[str] = field(default_factory=Counter)  # rows per domain
    # Later changes are clock errors; one would stretch the analysis to its date.
    latest: float = field(default_factory=lambda: time.time() + FUTURE_MARGIN)

    def add(self, entity_id: str, state: str, when: float, parent: str | None) -> None:
        """Keep one row."""
        rows = self.by_entity.get(entity_id)
        if rows is None:
            rows = self.by_entity[entity_id] = []
        rows.append((when, self.count, sys.intern(state), parent or None))
        self.count += 1


@dataclass(slots=True)
class History:
    """The state changes of the history files, and how they were read."""

    files: list[HistoryFile]
    table: ChangeTable
    ignored: Counter[str]  # good rows of other domains, per domain
    repeated: int  # rows with the state the entity already had, skipped
    origins: dict[str, int]  # changes per origin name


class Lines:
    """The decoded lines of a binary stream, numbered from 1.

    Lines that are not UTF-8, or too long to be a state change, are counted as bad
    rows of the file and skipped. The first lines can be looked at before reading.
    """

    def __init__(self, stream: IO[bytes], file: HistoryFile) -> None:
        """Read `stream`, counting its bad lines in `file`."""
        self._stream = stream
        self._file = file
        self._read_number = 0
        self._peeked: list[tuple[int, str]] = []
        self.number = 0  # the number of the line last returned

    def _next(self) -> tuple[int, str] | None:
        while True:
            raw = self._stream.readline(MAX_LINE_BYTES)
            if not raw:
                return None
            self._read_number += 1
            number = self._read_number
            if len(raw) == MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (rest := self._stream.readline(MAX_LINE_BYTES)) and not (
                    rest.endswith(b"\n")
                ):
                    pass
                self._file.bad(number, "line too long")
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                self._file.bad(number, "not UTF-8")
                continue
            if number == 1:
                text = text.removeprefix("\ufeff")
            return number, text

    def peek(self, count: int) -> list[str]:
        """Return up to `count` non-blank lines ahead, without consuming them."""
        while sum(1 for _, text in self._peeked if text.strip()) < count:
            line = self._next()
            if line is None:
                break
            self._peeked.append(line)
        return [text for _, text in self._peeked if text.strip()][:count]

    def __iter__(self) -> Iterator[str]:
        """Yield the lines, setting `number` to each one's."""
        while True:
            if self._peeked:
                self.number, text = self._peeked.pop(0)
            elif (line := self._next()) is not None:
                self.number, text = line
            else:
                return
            yield text


@contextmanager
def open_binary(path: Path, what: str) -> Iterator[IO[bytes]]:
    """Open an input file for reading in binary (`-` is standard input)."""
    if str(path) == STDIN:
        yield sys.stdin.buffer
        return
    try:
        file = path.open("rb")
    except OSError as err:
        raise InputError(f"cannot read {describe(path, what)}: {reason(err)}") from err
    with file:
        yield file


def csv_header(line: str) -> list[str] | None:
    """Return the column names if `line` is a History CSV header, else None."""
    cells = next(csv.reader([line]), [])
    names = [cell.strip().lower() for cell in cells]
    return names if set(CSV_COLUMNS) <= set(names) else None


def detect_format(lines: Lines, path: Path, file: HistoryFile) -> str:
    """Return the format of a history file, from its first lines or its name."""
    first = lines.peek(1)
    if not first and file.bad_rows:
        raise InputError(f"{describe(path, 'history')} is not UTF-8 text")
    if not first:
        return EMPTY_FORMAT
    line = first[0].strip()
    if line.startswith("{"):
        return JSONL_FORMAT
    if csv_header(line) is not None:
        return CSV_FORMAT
    suffix = path.suffix.lower() if str(path) != STDIN else ""
    if suffix in JSONL_SUFFIXES:
        return JSONL_FORMAT
    if suffix == ".csv":
        raise InputError(
            f"{describe(path, 'history')} has no CSV header "
            f"{','.join(CSV_COLUMNS)} on its first line"
        )
    if any(text.lstrip().startswith("{") for text in lines.peek(SNIFF_LINES)):
        return JSONL_FORMAT
    raise InputError(
        f"{describe(path, 'history')} is neither a History panel CSV export "
        f"(header {','.join(CSV_COLUMNS)}) nor JSON Lines"
    )


def parse_time(value: object) -> float | None:
    """Return UTC seconds of an ISO 8601 time (UTC when it has no offset)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)  # JSON Lines may give epoch seconds
        return seconds if math.isfinite(seconds) else None
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def add_row(  # noqa: PLR0913
    rows: HistoryRows,
    file: HistoryFile,
    line: int,
    entity_id: object,
    state: object,
    last_changed: object,
    parent: object,
) -> None:
    """Check one row's fields; keep it, or count it as bad."""
    if not isinstance(entity_id, str) or not entity_id.strip():
        file.bad(line, "no entity_id")
        return
    if entity_id not in rows.by_entity:  # else it was checked before
        entity_id = entity_id.strip()
        if not ENTITY_ID.fullmatch(entity_id):
            file.bad(line, "entity_id is not an entity id")
            return
        domain = entity_id.partition(".")[0]
        if not rows.all_domains and domain not in LOGGED_DOMAINS:
            file.rows += 1
            rows.ignored[domain] += 1
            return
    if state is None:
        file.bad(line, "no state")
        return
    if not isinstance(state, str):
        file.bad(line, "state is not a string")
        return
    if last_changed is None or last_changed == "":
        file.bad(line, "no last_changed")
        return
    when = parse_time(last_changed)
    if when is None:
        file.bad(line, "last_changed is not an ISO time")
        return
    if not 0 <= when <= rows.latest:
        file.bad(line, "last_changed is before 1970 or in the future")
        return
    file.rows += 1
    rows.add(entity_id, state, when, parent if isinstance(parent, str) else None)


def csv_records(lines: Lines, file: HistoryFile) -> Iterator[list[str]]:
    """Yield the CSV rows that are not blank; rows the reader rejects are bad."""
    reader = csv.reader(lines)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            file.bad(lines.number, "not a CSV row")
            continue
        if any(cell.strip() for cell in cells):
            yield cells


def pick(cells: list[str], column: Mapping[str, int], name: str) -> str | None:
    """Return the cell of a named column, or None if the row has no such cell."""
    index = column.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def read_csv(lines: Lines, rows: HistoryRows, file: HistoryFile) -> None:
    """Read a History panel CSV export: a header, then one row per state."""
    records = csv_records(lines, file)
    header = next(records, None)
    if header is None:
        return
    names = [cell.strip().lower() for cell in header]
    column = {name: index for index, name in reversed(list(enumerate(names)))}
    needed = max(column.get(name, len(names)) for name in CSV_COLUMNS) + 1
    # The panel writes states as they are: one with a comma makes more cells.
    plain = names == list(CSV_COLUMNS)
    for cells in records:
        if len(cells) < needed:
            file.bad(lines.number, "too few fields")
            continue
        if plain:
            state = ",".join(cells[1:-1]) if len(cells) > len(names) else cells[1]
            add_row(rows, file, lines.number, cells[0], state, cells[-1], None)
            continue
        last_changed = pick(cells, column, "last_changed")
        if not last_changed:
            last_changed = pick(cells, column, "last_updated")
        add_row(
            rows,
            file,
            lines.number,
            pick(cells, column, "entity_id"),
            pick(cells, column, "state"),
            last_changed,
            pick(cells, column, "context_parent_id"),
        )


def read_jsonl(lines: Lines, rows: HistoryRows, file: HistoryFile) -> None:
    """Read JSON Lines: one object per line, with a state change's fields."""
    for text in lines:
        if not text.strip():
            continue
        try:
            item = orjson.loads(text)
        except orjson.JSONDecodeError:
            file.bad(lines.number, "not valid JSON")
            continue
        if not isinstance(item, dict):
            file.bad(lines.number, "not a JSON object")
            continue
        parent = item.get("context_parent_id")
        context = item.get("context")
        if parent is None and isinstance(context, dict):
            parent = context.get("parent_id")
        last_changed = item.get("last_changed")
        if last_changed is None:
            last_changed = item.get("last_updated")
        add_row(
            rows,
            file,
            lines.number,
            item.get("entity_id"),
            item.get("state"),
            last_changed,
            parent,
        )


def read_history_file(path: Path, rows: HistoryRows) -> HistoryFile:
    """Read one history file into `rows`; return what was read."""
    file = HistoryFile(name=str(path))
    with open_binary(path, "history") as stream:
        lines = Lines(stream, file)
        try:
            file.format = detect_format(lines, path, file)
            if file.format == CSV_FORMAT:
                read_csv(lines, rows, file)
            elif file.format == JSONL_FORMAT:
                read_jsonl(lines, rows, file)
        except OSError as err:
            raise InputError(
                f"cannot read {describe(path, 'history')}: {reason(err)}"
            ) from err
    return file


def build_history(rows: HistoryRows, files: list[HistoryFile]) -> History:
    """Return the state changes of the rows, each entity's in time order.

    A row whose state is the one its entity already had is not a change. The
    previous row of the entity gives the old state: the first row has none (a
    system change, like a restore), and a row with a parent context was caused by
    an automation or a script.
    """
    changes: list[StateChange] = []
    repeated = 0
    for entity_id in sorted(rows.by_entity):
        entity_rows = rows.by_entity[entity_id]
        entity_rows.sort(key=lambda row: (row[0], row[1]))
        previous: str | None = None
        for when, _, state, parent in entity_rows:
            if state == previous:
                repeated += 1
                continue
            origin = classify_origin(previous, state, context_parent_id=parent)
            changes.append(
                StateChange(
                    entity_id=entity_id,
                    state=state,
                    when=datetime.fromtimestamp(when, UTC),
                    origin=origin,
                )
            )
            previous = state
    origins = Counter(change.origin for change in changes)
    return History(
        files=files,
        table=ChangeTable.from_changes(changes),
        ignored=rows.ignored,
        repeated=repeated,
        origins={origin.name.lower(): origins[origin] for origin in Origin},
    )


def load_history(paths: Sequence[Path], *, all_domains: bool) -> History:
    """Return the state changes of all history files."""
    rows = HistoryRows(all_domains=all_domains)
    files = [read_history_file(path, rows) for path in paths]
    return build_history(rows, files)


# Automations


@dataclass(frozen=True, slots=True)
class Tagged:
    """A value under a tag that is not followed offline (!include, !secret, ...)."""

    tag: str
    value: object

    def __str__(self) -> str:
        """Return the tag as it is written, with its value when it is a name."""
        if isinstance(self.value, str) and self.value:
            return f"{self.tag} {self.value}"
        return self.tag


def _construct_tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Tagged:
    if isinstance(node, yaml.MappingNode):
        value: object = loader.construct_mapping(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node)
    else:
        value = loader.construct_scalar(node)
    return Tagged(tag=f"!{suffix}", value=value)


# Home Assistant's own tags (!include, !secret, !input, !env_var, ...) become
# Tagged values instead of errors.
AutomationsLoader: Any = type("AutomationsLoader", (yaml.SafeLoader,), {})
AutomationsLoader.add_multi_constructor("!", _construct_tagged)


@dataclass(slots=True)
class Automations:
    """What an automations.yaml already automates, and what could not be read."""

    name: str
    count: int = 0
    timed_targets: set[str] = field(default_factory=set)
    state_triggered: set[tuple[str, str]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def coverage(self) -> AutomationCoverage:
        """Return the coverage the engine takes."""
        return AutomationCoverage(
            timed_targets=frozenset(self.timed_targets),
            state_triggered=frozenset(self.state_triggered),
        )


def entity_ids(value: object) -> tuple[list[str], int]:
    """Return the entity ids an `entity_id` value names, and how many others.

    Others are templates, registry ids of device actions, or anything else that
    cannot be resolved without Home Assistant.
    """
    items: list[object]
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, list):
        items = list(value)
    else:
        return [], 1
    found = [
        item for item in items if isinstance(item, str) and ENTITY_ID.fullmatch(item)
    ]
    return found, len(items) - len(found)


@dataclass(slots=True)
class Targets:
    """The entities an automation's actions act on."""

    entities: set[str] = field(default_factory=set)
    unresolved: int = 0  # targets by area, device, label, template, ...
    tags: list[str] = field(default_factory=list)  # parts not read offline


def action_targets(actions: object) -> Targets:
    """Return every entity named by an `entity_id` in the actions, at any depth.

    Conditions (a step with `condition`, or under `conditions`, `if`, `while`,
    `until`) and `wait_for_trigger` only look at entities; they are left out, and
    so are disabled steps. Shared or recursive YAML (anchors) is walked once.
    """
    targets = Targets()
    stack: list[object] = [actions]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if isinstance(node, Tagged):
            targets.tags.append(str(node))
            continue
        if not isinstance(node, dict | list) or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, list):
            stack.extend(reversed(node))
            continue
        if "condition" in node or node.get("enabled") is False:
            continue
        for key, value in node.items():
            if key == "entity_id":
                found, unresolved = entity_ids(value)
                targets.entities.update(found)
                targets.unresolved += unresolved
            elif key in UNRESOLVED_TARGETS:
                targets.unresolved += 1
            elif key not in NOT_ACTED_ON:
                stack.append(value)
    return targets


def as_list(value: object) -> list[object]:
    """Return a list of triggers or actions: YAML allows a single one."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def automation_name(automation: Mapping[Any, Any], index: int) -> str:
    """Return how messages name an automation: its alias, id or position."""
    for key in ("alias", "id"):
        value = automation.get(key)
        if isinstance(value, str | int) and str(value).strip():
            return f"automation {clean(str(value).strip())!r}"
    return f"automation #{index + 1}"


@dataclass(slots=True)
class Triggers:
    """What an automation's triggers are: timed, or watching entities."""

    timed: bool = False
    watched: set[str] = field(default_factory=set)
    tags: list[str] = field(default_factory=list)  # parts not read offline


def read_triggers(triggers: object) -> Triggers:
    """Return whether the triggers are timed and which entities state ones watch."""
    result = Triggers()
    for trigger in as_list(triggers):
        if isinstance(trigger, Tagged):
            result.tags.append(str(trigger))
            continue
        if not isinstance(trigger, dict) or trigger.get("enabled") is False:
            continue
        kind = trigger.get("trigger", trigger.get("platform"))
        if kind in TIMED_TRIGGERS:
            result.timed = True
        elif kind in STATE_TRIGGERS:
            result.watched.update(entity_ids(trigger.get("entity_id"))[0])
    return result


def add_automation(result: Automations, automation: object, index: int) -> None:
    """Add what one automation covers to `result`."""
    if isinstance(automation, Tagged):
        result.problems.append(
            f"automation #{index + 1}: {automation} is not followed offline"
        )
        return
    if not isinstance(automation, dict):
        result.problems.append(
            f"automation #{index + 1} is a {type(automation).__name__}, not a mapping"
        )
        return
    result.count += 1
    name = automation_name(automation, index)
    if "use_blueprint" in automation:
        result.problems.append(f"{name} uses a blueprint, which is not read offline")
        return
    raw_triggers = automation.get("triggers", automation.get("trigger"))
    if not as_list(raw_triggers):
        result.problems.append(f"{name} has no trigger")
    triggers = read_triggers(raw_triggers)
    targets = action_targets(automation.get("actions", automation.get("action")))
    tags = sorted({*triggers.tags, *targets.tags})
    if tags:
        result.problems.append(f"{name}: {', '.join(tags)} is not followed offline")
    if (triggers.timed or triggers.watched) and not targets.entities:
        result.problems.append(
            f"{name} acts on no entity named in it (areas, devices and templates"
            " cannot be resolved offline)"
        )
    elif (triggers.timed or triggers.watched) and targets.unresolved:
        result.problems.append(
            f"{name} also acts on {plural(targets.unresolved, 'target')} by area,"
            " device or template, which cannot be resolved offline"
        )
    if triggers.timed:
        result.timed_targets.update(targets.entities)
    result.state_triggered.update(
        (source, target)
        for source in triggers.watched
        for target in targets.entities
        if target != source
    )


def automation_list(data: object, result: Automations) -> list[object]:
    """Return the automations of the file: a list, or a single automation."""
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and ("triggers" in data or "trigger" in data):
        return [data]
    if isinstance(data, Tagged):
        result.problems.append(f"the automations are in {data}, not followed offline")
        return []
    result.problems.append(
        f"the file holds a {type(data).__name__}, not a list of automations"
    )
    return []


def load_automations(path: Path) -> Automations:
    """Return what the automations of an automations.yaml cover."""
    data = read_input(path, "automations")
    try:
        document = yaml.load(data, Loader=AutomationsLoader)  # noqa: S506
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise InputError(
            f"{describe(path, 'automations')} is not valid YAML{where}: {problem}"
        ) from err
    except RecursionError as err:
        raise InputError(f"{describe(path, 'automations')} nests too deeply") from err
    result = Automations(name=str(path))
    for index, automation in enumerate(automation_list(document, result)):
        add_automation(result, automation, index)
    return result


# Mining


def mine(
    history: History, timezone: ZoneInfo, automations: Automations | None
) -> list[Pattern]:
    """Return the habits in the history, as the integration would find them.

    The analysis ends at the history's last change rather than now, so an old
    export gives what its own days show.
    """
    table = history.table
    if len(table) == 0:
        return []
    return mine_habits(
        table,
        timezone=timezone,
        end=datetime.fromtimestamp(int(table.when.max()) + 1, UTC),
        settings=MiningSettings(),
        coverage=automations.coverage() if automations is not None else None,
    )


# Report data


def local_time(seconds: int, timezone: ZoneInfo) -> str:
    """Return a time as local ISO 8601, to the second."""
    return datetime.fromtimestamp(seconds, timezone).isoformat()


def label(name: str) -> str:
    """Return how the text names an input file."""
    return "standard input" if name == STDIN else name


def file_problem(file: HistoryFile) -> str | None:
    """Return what went wrong with a history file, if anything."""
    if file.rows == 0:
        return f"{label(file.name)}: no rows"
    if not file.bad_rows:
        return None
    lines = ", ".join(map(str, file.bad_lines))
    if file.bad_rows > len(file.bad_lines):
        lines += ", …"
    why = ", ".join(f"{text} ({count})" for text, count in file.reasons.most_common())
    where = "lines" if file.bad_rows > 1 else "line"
    return (
        f"{label(file.name)}: {plural(file.bad_rows, 'bad row')} skipped"
        f" ({where} {lines}): {why}"
    )


def history_data(history: History, timezone: ZoneInfo) -> dict[str, Any]:
    """Return what the report says about the history that was read."""
    table = history.table
    problems = [text for file in history.files if (text := file_problem(file))]
    if len(table) and not history.origins["manual"]:
        problems.append("no change was made by hand: there is nothing to learn from")
    return {
        "files": [
            {
                "file": file.name,
                "format": file.format,
                "rows": file.rows,
                "bad_rows": file.bad_rows,
                "bad_lines": file.bad_lines,
                "bad_reasons": dict(file.reasons.most_common()),
            }
            for file in history.files
        ],
        "rows": sum(file.rows for file in history.files),
        "bad_rows": sum(file.bad_rows for file in history.files),
        "ignored_rows": history.ignored.total(),
        "ignored_domains": dict(sorted(history.ignored.items())),
        "changes": len(table),
        "repeated_states": history.repeated,
        **history.origins,
        "entities": len(table.entity_ids),
        "first_change": local_time(int(table.when[0]), timezone)
        if len(table)
        else None,
        "last_change": local_time(int(table.when[-1]), timezone)
        if len(table)
        else None,
        "problems": problems,
    }


def automations_data(automations: Automations) -> dict[str, Any]:
    """Return what the report says about the automations that were read."""
    return {
        "file": automations.name,
        "automations": automations.count,
        "timed_targets": sorted(automations.timed_targets),
        "state_triggered": [list(pair) for pair in sorted(automations.state_triggered)],
        "problems": automations.problems,
    }


def habits_report(
    history: History,
    patterns: list[Pattern],
    automations: Automations | None,
    timezone: ZoneInfo,
) -> dict[str, Any]:
    """Return the habits part of the report as JSON-ready data."""
    report: dict[str, Any] = {
        "timezone": timezone.key,
        "patterns": [pattern_summary(pattern) for pattern in patterns],
        "history": history_data(history, timezone),
    }
    if automations is not None:
        report["automations"] = automations_data(automations)
    return report


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


def table_lines(rows: list[list[str]], indent: str = "  ") -> list[str]:
    """Return rows of cells as lines, each column as wide as its widest cell."""
    if not rows:
        return []
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        indent
        + "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in rows
    ]


def plural(count: int, word: str, words: str | None = None) -> str:
    """Return `count word`, the word in the plural unless the count is 1."""
    return f"{count} {word if count == 1 else (words or word + 's')}"


def render_history(history: Mapping[str, Any], timezone: str) -> list[str]:
    """Return the lines about the history files that were read."""
    files = history["files"]
    lines = [
        f"History: {plural(len(files), 'file')}, {plural(history['rows'], 'row')}"
        f" ({history['bad_rows']} bad), {plural(history['changes'], 'change')}"
        f" of {plural(history['entities'], 'entity', 'entities')}:"
        f" {history['manual']} by hand, {history['automated']} automated,"
        f" {history['system']} by the system"
    ]
    if history["first_change"] is not None:
        first = history["first_change"][:16].replace("T", " ")
        last = history["last_change"][:16].replace("T", " ")
        lines.append(f"  from {first} to {last} ({clean(timezone)})")
    if history["ignored_rows"]:
        domains = ", ".join(map(clean, history["ignored_domains"]))
        lines.append(
            f"  {plural(history['ignored_rows'], 'row')} of domains the integration"
            f" does not mine left out ({domains}; --all-domains keeps them)"
        )
    lines.extend(
        f"  {clean(label(file['file']))} ({FORMAT_NAMES[file['format']]}):"
        f" {plural(file['rows'], 'row')}, {file['bad_rows']} bad"
        for file in files
    )
    return lines


def render_automations(automations: Mapping[str, Any]) -> list[str]:
    """Return the line about the automations that were read."""
    timed = plural(len(automations["timed_targets"]), "entity", "entities")
    return [
        f"Automations: {clean(label(automations['file']))}:"
        f" {plural(automations['automations'], 'automation')};"
        f" timed ones act on {timed},"
        f" {plural(len(automations['state_triggered']), 'entity pair')} triggered"
        " by a state"
    ]


def pattern_marks(pattern: Mapping[str, Any]) -> str:
    """Return what a reader must know beside the figures of a pattern.

    `automated`: an automation already covers it; `forming`: real but young, not
    proposed yet; `reverse only`: B nearly always comes after A, but A alone is a
    poor trigger for B.
    """
    marks = []
    if pattern["automated"]:
        marks.append("automated")
    if pattern.get("level") == "forming":
        marks.append("forming")
    if pattern.get("reverse_only"):
        marks.append("reverse only")
    return ", ".join(marks)


def render_patterns(patterns: list[Mapping[str, Any]]) -> list[str]:
    """Return the lines about the routines and the pairs that were found."""
    routines = [p for p in patterns if p["pattern_type"] == "time_of_day"]
    pairs = [p for p in patterns if p["pattern_type"] == "used_together"]
    lines = ["", f"Routines ({len(routines)}):"]
    if not routines:
        lines.append("  none found")
    lines.extend(
        table_lines(
            [
                [
                    p["time"],
                    p["day_class"],
                    f"{clean(p['entity_id'])} → {clean(p['state'])}",
                    f"{p['support_days']}/{p['observed_days']} days",
                    f"confidence {p['confidence']:.2f}",
                    f"window {p['window_minutes']} min",
                    pattern_marks(p),
                ]
                for p in sorted(routines, key=lambda p: (p["time"], p["entity_id"]))
            ]
        )
    )
    lines.extend(["", f"Used together ({len(pairs)}):"])
    if not pairs:
        lines.append("  none found")
    lines.extend(
        table_lines(
            [
                [
                    f"{clean(p['trigger_entity_id'])} → {clean(p['trigger_state'])}",
                    f"then {clean(p['entity_id'])} → {clean(p['state'])}",
                    plural(p["count"], "time"),
                    f"confidence {p['confidence']:.2f}",
                    f"lift {p['lift']:.1f}",
                    f"median delay {p['median_delay_seconds']:.0f} s",
                    pattern_marks(p),
                ]
                for p in pairs
            ]
        )
    )
    return lines


def render_habits(report: Mapping[str, Any]) -> str:
    """Return the habits part of the report as text for people."""
    lines = render_history(report["history"], report["timezone"])
    problems = list(report["history"]["problems"])
    if "automations" in report:
        lines.extend(render_automations(report["automations"]))
        problems.extend(report["automations"]["problems"])
    lines.extend(render_patterns(report["patterns"]))
    if problems:
        lines.extend(["", f"Problems ({len(problems)}):"])
        lines.extend(f"  - {clean(problem)}" for problem in problems)
    return "\n".join(lines) + "\n"


# Command line


def time_zone(name: str) -> ZoneInfo:
    """Return the time zone named on the command line."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as err:
        raise argparse.ArgumentTypeError(f"unknown time zone {name!r}") from err


def build_parser() -> argparse.ArgumentParser:
    """Return the command line: one flag per input, and output flags."""
    parser = argparse.ArgumentParser(
        prog="scripts/analyze",
        description="Analyze exported data offline with HA AI's engine.",
    )
    inputs = parser.add_argument_group("inputs")
    inputs.add_argument(
        "--history",
        type=Path,
        action="append",
        metavar="FILE",
        help="state changes to mine for habits: a History panel CSV export"
        " (entity_id,state,last_changed) or JSON Lines; repeat for more files"
        " ('-' reads standard input)",
    )
    inputs.add_argument(
        "--automations",
        type=Path,
        metavar="FILE",
        help="an automations.yaml: patterns it already covers are marked automated",
    )
    inputs.add_argument(
        "--devices",
        type=Path,
        metavar="FILE",
        help="a Zigbee2MQTT bridge/devices JSON dump ('-' reads standard input)",
    )
    analysis = parser.add_argument_group("analysis")
    analysis.add_argument(
        "--all-domains",
        action="store_true",
        help="mine every domain, not only those the integration logs (lights,"
        " switches, covers, binary sensors, people...)",
    )
    analysis.add_argument(
        "--timezone",
        type=time_zone,
        default=ZoneInfo("UTC"),
        metavar="TZ",
        help="the house's time zone, for days and times of day (default: UTC)",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--json", action="store_true", help="print one JSON object instead of text"
    )
    return parser


def check_inputs(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Stop with a usage error when the inputs given cannot be analyzed together."""
    if args.automations is not None and not args.history:
        parser.error("--automations marks the patterns of a history: give --history")
    if not args.history and args.devices is None:
        parser.error("nothing to analyze: give --history FILE or --devices FILE")
    paths = [*(args.history or []), args.automations, args.devices]
    if sum(1 for path in paths if path is not None and str(path) == STDIN) > 1:
        parser.error("standard input ('-') can be read by one input only")


def analyze(args: argparse.Namespace) -> str:
    """Return the report of the inputs, as text or JSON; raise InputError."""
    device_list = load_devices(args.devices) if args.devices is not None else None
    automations = (
        load_automations(args.automations) if args.automations is not None else None
    )
    report: dict[str, Any] = {}
    if args.history:
        history = load_history(args.history, all_domains=args.all_domains)
        patterns = mine(history, args.timezone, automations)
        report.update(habits_report(history, patterns, automations, args.timezone))
    if device_list is not None:
        report.update(build_report(device_list))
    if args.json:
        return orjson.dumps(report, option=orjson.OPT_INDENT_2).decode() + "\n"
    parts = []
    if args.history:
        parts.append(render_habits(report))
    if device_list is not None:
        parts.append(render_text(report))
    return "\n".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the analysis; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_inputs(parser, args)
    try:
        text = analyze(args)
    except InputError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return EXIT_INPUT_ERROR
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
