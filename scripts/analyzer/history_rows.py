"""What was read from the history files: good rows by entity, bad ones per file."""

from __future__ import annotations

import sys
import time
from collections import Counter
from dataclasses import dataclass, field

# History files
CSV_FORMAT = "csv"
JSONL_FORMAT = "jsonl"
EMPTY_FORMAT = "empty"
FORMAT_NAMES = {CSV_FORMAT: "CSV", JSONL_FORMAT: "JSON Lines", EMPTY_FORMAT: "empty"}

# Bad rows: how many line numbers a file's report gives.
BAD_LINES_SHOWN = 5

# A change up to a day ahead of this computer's clock is still taken.
FUTURE_MARGIN = 86_400


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
