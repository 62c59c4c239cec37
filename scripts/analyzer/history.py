"""History files read into one table of state changes, as the integration logs."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from custom_components.ha_ai.engine.habits.model import (
    ChangeTable,
    Origin,
    StateChange,
    classify_origin,
)

from .history_files import read_history_file
from .history_rows import HistoryFile, HistoryRows


@dataclass(slots=True)
class History:
    """The state changes of the history files, and how they were read."""

    files: list[HistoryFile]
    table: ChangeTable
    ignored: Counter[str]  # good rows of other domains, per domain
    repeated: int  # rows with the state the entity already had, skipped
    origins: dict[str, int]  # changes per origin name


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
