"""One history file, a History panel CSV or JSON Lines, read row by row."""

from __future__ import annotations

import csv
import math
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import orjson

from custom_components.ha_ai.engine.habits.model import (
    LOGGED_DOMAINS,
)

from .history_rows import (
    CSV_FORMAT,
    EMPTY_FORMAT,
    JSONL_FORMAT,
    HistoryFile,
    HistoryRows,
)
from .inputs import STDIN, InputError, describe, reason

JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})
CSV_COLUMNS = ("entity_id", "state", "last_changed")

# Lines looked at for a JSON object when the first line does not tell the format.
SNIFF_LINES = 20

# A longer line is not a state change; it is skipped without being held in memory.
MAX_LINE_BYTES = 1024 * 1024
ENTITY_ID = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")


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
