"""Episodes: an entity's changes close together are one use, counted once.

Real devices change in bursts: a cupboard opened five times while cooking, a
microwave started, stopped and reopened, a motion sensor flickering while someone
is in the room. Counted change by change, one use would weigh as many independent
chances, so chance would be overestimated for routines and one afternoon's burst
would make a pair. An episode is a run of an entity's changes (of the origins
asked) each within `gap` of the one before; within an episode, only the first
change to each state is kept, and it remembers how many raw changes to that state
the episode held (for display).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .model import ChangeTable

type IntArray = npt.NDArray[np.int64]
type BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Episodes:
    """The changes that open an (entity, state) within their entity's episode.

    `index` holds positions in the table (in time order); `raw[i]` the number of
    changes to the same state in the same episode as `index[i]`, itself included;
    `episode[i]` the episode's number (episodes are numbered per table, so two
    changes share an episode exactly when their numbers are equal).
    """

    index: IntArray
    raw: IntArray
    episode: IntArray

    def __len__(self) -> int:
        """Return how many episode starts there are."""
        return int(self.index.shape[0])


def find_episodes(table: ChangeTable, keep: BoolArray, gap_seconds: int) -> Episodes:
    """Return the episode starts among the table's changes where `keep` is true.

    Two kept changes of one entity belong to one episode when every kept change of
    that entity between them is within `gap_seconds` of the one before it. A gap of
    0 makes every change its own episode (only same-second repeats merge).
    """
    chosen = np.flatnonzero(keep).astype(np.int64)
    if chosen.shape[0] == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Episodes(index=empty, raw=empty, episode=empty)
    # By entity, then time (the table is in time order, the sort is stable).
    entities = table.entity[chosen]
    if len(table.entity_ids) <= np.iinfo(np.uint16).max:
        entities = entities.astype(np.uint16)  # sorted by radix, in linear time
    order = chosen[np.argsort(entities, kind="stable")]
    entity = table.entity[order]
    when = table.when[order]
    opens = np.ones(order.shape[0], dtype=np.bool_)
    opens[1:] = (entity[1:] != entity[:-1]) | (when[1:] - when[:-1] > gap_seconds)
    episode = np.cumsum(opens, dtype=np.int64) - 1
    key = episode * max(1, len(table.states)) + table.state[order]
    # np.unique's first index is the earliest change of each (episode, state).
    _, first, raw = np.unique(key, return_index=True, return_counts=True)
    starts = order[first]
    # Back to time order: starts are distinct table positions, so placing each
    # at its position and reading the table through sorts them in one pass.
    slot = np.full(len(table), -1, dtype=np.int64)
    slot[starts] = np.arange(starts.shape[0])
    by_time = slot[slot >= 0]
    return Episodes(
        index=starts[by_time],
        raw=raw[by_time].astype(np.int64),
        episode=episode[first][by_time],
    )
