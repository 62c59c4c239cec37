"""HA AI's own compact log of state changes, one CSV file per UTC day.

Home Assistant keeps ten days of history by default and routines need weeks, so
HA AI keeps the few columns it needs itself: time, origin, entity, state. One file
a day makes the retention a matter of deleting old files, bounds each day, and
limits what a crash can damage to the last lines of one file, which reading skips
(and counts, with any other line or file it cannot use).
These functions do file I/O: call them from an executor job.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

from ..stored import Drops
from .model import ChangeTable, Origin

SUFFIX = ".csv"
type LogRow = tuple[int, int, str, str]  # epoch seconds, origin, entity_id, state


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What an append wrote, and what it had to leave out."""

    written: int
    dropped: int


def day_of(epoch: int) -> date:
    """Return the UTC day of an epoch time."""
    return datetime.fromtimestamp(epoch, UTC).date()


def day_file(directory: Path, day: date) -> Path:
    """Return the file that holds the changes of `day` (UTC)."""
    return directory / f"{day.isoformat()}{SUFFIX}"


def format_row(row: LogRow) -> str:
    """Return one row as a CSV line (entity ids and states are quoted if needed)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row)
    return buffer.getvalue()


def append_rows(
    directory: Path, rows: Iterable[LogRow], *, max_day_bytes: int
) -> AppendResult:
    """Append rows to their day files; rows that would pass a day's limit are left.

    The limit bounds the log on disk whatever happens (a device that flaps every
    second, say): the day keeps its first rows, which are enough for habits.
    """
    by_day: dict[date, list[LogRow]] = {}
    for row in rows:
        by_day.setdefault(day_of(row[0]), []).append(row)
    directory.mkdir(parents=True, exist_ok=True)
    written = dropped = 0
    for day, day_rows in sorted(by_day.items()):
        path = day_file(directory, day)
        size = path.stat().st_size if path.exists() else 0
        lines = []
        for row in day_rows:
            line = format_row(row)
            size += len(line.encode())
            if size > max_day_bytes:
                dropped += 1
                continue
            lines.append(line)
        if lines:
            with path.open("a", encoding="utf-8", newline="") as file:
                file.writelines(lines)
        written += len(lines)
    return AppendResult(written=written, dropped=dropped)


def iter_rows(
    directory: Path, *, since: date, drops: Drops | None = None
) -> Iterator[LogRow]:
    """Yield the rows of the day files from `since` on, skipping damaged lines.

    A damaged line (a crash's tail, an edit, a line too long for the CSV reader)
    and a day file that cannot be opened are left out and counted in `drops`.
    """
    drops = drops if drops is not None else Drops()
    for day, path in day_files(directory):
        if day < since:
            continue
        try:
            with path.open(encoding="utf-8", errors="replace", newline="") as file:
                yield from _rows_of(file, path.name, drops)
        except OSError as err:
            drops.drop("day file", f"{path.name} cannot be read ({err.strerror})")


def _rows_of(file: TextIO, name: str, drops: Drops) -> Iterator[LogRow]:
    reader = csv.reader(file)
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error:
            drops.drop("log line", f"{name}: not a line of the log")
            continue
        row = _row(fields)
        if row is None:
            drops.drop("log line", f"{name}: not a logged change")
        else:
            yield row


def day_files(directory: Path) -> list[tuple[date, Path]]:
    """Return the day files of the log, oldest first; other files are left alone."""
    if not directory.is_dir():
        return []
    files = []
    for path in directory.glob(f"*{SUFFIX}"):
        try:
            day = date.fromisoformat(path.stem)
        except ValueError:
            continue
        files.append((day, path))
    return sorted(files)


def first_day(directory: Path) -> date | None:
    """Return the first day the log holds, or None when it holds none."""
    files = day_files(directory)
    return files[0][0] if files else None


def _row(fields: list[str]) -> LogRow | None:
    """Return a row from CSV fields, or None for a damaged line (a crash's tail)."""
    if len(fields) != 4:  # noqa: PLR2004
        return None
    try:
        epoch = int(fields[0])
        origin = Origin(int(fields[1]))
    except ValueError:
        return None
    if not fields[2] or "." not in fields[2]:
        return None
    return epoch, int(origin), fields[2], fields[3]


def read_table(
    directory: Path, *, since: date, drops: Drops | None = None
) -> ChangeTable:
    """Return the logged changes from `since` on as a table, sorted by time.

    What had to be left out is counted in `drops` (see `iter_rows`).
    """
    return ChangeTable.from_rows(iter_rows(directory, since=since, drops=drops))


def prune(directory: Path, *, keep_days: int, today: date) -> list[Path]:
    """Delete day files older than `keep_days` before `today`; return them.

    A file that cannot be deleted stays (it is tried again at the next prune).
    """
    oldest = today - timedelta(days=keep_days)
    removed = []
    for day, path in day_files(directory):
        if day >= oldest:
            continue
        try:
            path.unlink(missing_ok=True)
        except OSError:
            continue
        removed.append(path)
    return removed


def size_on_disk(directory: Path) -> int:
    """Return the bytes the log takes."""
    if not directory.is_dir():
        return 0
    return sum(path.stat().st_size for path in directory.glob(f"*{SUFFIX}"))
