"""Count how often one group's changes follow another's within a delay.

Two passes, because a house has up to millions of (leader, follower) group
combinations and only a handful are pairs:

- `count_couples` counts, for every combination at once, the couples (a leader's
  change, a follower's change strictly later and at most `delay` after it). It is
  an upper bound on both how many leader changes were followed and how many
  follower changes were preceded, so what it cannot make significant is left out
  without further work. Leaders go by blocks of LEADS_AT_ONCE; within a block
  they are ordered by how many followers their window holds, so the k-th
  follower of every leader that has one is read at once (slices, no index
  arrays per couple), and the keys are tallied by chunks of about CHUNK_PAIRS.
- `follow_up` gives the exact figures of one combination: which leader changes
  were followed, after which delay, and which follower changes were preceded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# Leader changes handled at once, and couple keys tallied at once.
LEADS_AT_ONCE = 262_144
CHUNK_PAIRS = 2_000_000
# Couple counts are kept in a dense table up to this many combinations, in a
# sorted list of the combinations seen above it.
DENSE_KEYS = 4_000_000
# Dense counts are read back this many at a time.
KEYS_AT_ONCE = 1 << 18

type IntArray = npt.NDArray[np.int64]
type BoolArray = npt.NDArray[np.bool_]


def count_couples(  # noqa: PLR0913
    lead_time: IntArray,
    lead_key: IntArray,
    follow_time: IntArray,
    follow_group: IntArray,
    delay: int,
    keys: int,
    least: Callable[[IntArray], IntArray],
) -> tuple[IntArray, IntArray]:
    """Return the keys with at least `least(keys)` couples, and their couples.

    Leaders and followers are in time order; a couple (i, j) has
    `lead_time[i] < follow_time[j] <= lead_time[i] + delay` and the key
    `lead_key[i] + follow_group[j]`, below `keys`.
    """
    tally = _Tally(keys, least)
    for first in range(0, lead_time.shape[0], LEADS_AT_ONCE):
        time = lead_time[first : first + LEADS_AT_ONCE]
        low = np.searchsorted(follow_time, time, side="right")
        sizes = np.searchsorted(follow_time, time + delay, side="right") - low
        order = np.argsort(-sizes, kind="stable")
        low, sizes = low[order], sizes[order]
        key = lead_key[first : first + LEADS_AT_ONCE][order]
        # Leaders with more than k followers are the first `active[k]`.
        active = np.searchsorted(-sizes, -np.arange(int(sizes[0]) if sizes.size else 0))
        for offset in range(active.shape[0]):
            count = int(active[offset])
            tally.add(key[:count] + follow_group[low[:count] + offset])
    return tally.result()


@dataclass(slots=True)
class _Tally:
    """Couple keys counted by chunks, densely or in a sorted list."""

    keys: int
    least: Callable[[IntArray], IntArray]
    waiting: list[IntArray]
    waiting_size: int
    dense: IntArray | None
    seen: list[tuple[IntArray, IntArray]]

    def __init__(self, keys: int, least: Callable[[IntArray], IntArray]) -> None:
        self.keys = keys
        self.least = least
        self.waiting = []
        self.waiting_size = 0
        self.dense = np.zeros(keys, dtype=np.int64) if keys <= DENSE_KEYS else None
        self.seen = []

    def add(self, keys: IntArray) -> None:
        self.waiting.append(keys)
        self.waiting_size += keys.shape[0]
        if self.waiting_size >= CHUNK_PAIRS:
            self._flush()

    def _flush(self) -> None:
        if not self.waiting:
            return
        keys = np.concatenate(self.waiting)
        self.waiting, self.waiting_size = [], 0
        if self.dense is not None:
            self.dense += np.bincount(keys, minlength=self.keys)
        else:
            self.seen.append(np.unique(keys, return_counts=True))

    def result(self) -> tuple[IntArray, IntArray]:
        self._flush()
        if self.dense is not None:
            found: list[IntArray] = [np.zeros(0, dtype=np.int64)]
            for first in range(0, self.keys, KEYS_AT_ONCE):
                part = self.dense[first : first + KEYS_AT_ONCE]
                met: IntArray = np.arange(first, first + part.shape[0], dtype=np.int64)
                found.append(met[part >= self.least(met)])
            met = np.concatenate(found)
            return met, self.dense[met]
        if not self.seen:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        keys, inverse = np.unique(
            np.concatenate([k for k, _ in self.seen]), return_inverse=True
        )
        counts = np.bincount(
            inverse,
            weights=np.concatenate([c for _, c in self.seen]),
            minlength=keys.shape[0],
        ).astype(np.int64)
        enough = counts >= self.least(keys)
        return keys[enough], counts[enough]


@dataclass(frozen=True, slots=True)
class FollowUp:
    """Exact figures of one leader group and one follower group."""

    followed: BoolArray  # per leader change: a follower change came within delay
    delays: IntArray  # per followed leader change, seconds to the first follower
    preceded: BoolArray  # per follower change: a leader change came within delay


def follow_up(leads: IntArray, follows: IntArray, delay: int) -> FollowUp:
    """Return which of `leads` were followed and which of `follows` preceded.

    Both are sorted times; "followed" means strictly later, within `delay`.
    """
    after = np.searchsorted(follows, leads, side="right")
    has_next = after < follows.shape[0]
    gap = np.where(
        has_next, follows[np.minimum(after, follows.shape[0] - 1)] - leads, delay + 1
    )
    followed = gap <= delay
    before = np.searchsorted(leads, follows, side="left") - 1
    has_previous = before >= 0
    back = np.where(has_previous, follows - leads[np.maximum(before, 0)], delay + 1)
    return FollowUp(followed=followed, delays=gap[followed], preceded=back <= delay)
