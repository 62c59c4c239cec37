"""Count how often one group's changes follow another's within a delay.

Two passes, because a house has up to millions of (leader, follower) group
combinations and only a handful are pairs:

- `count_couples` counts, for every combination at once, the couples (a leader's
  change, a follower's change strictly later and at most `delay` after it). It is
  an upper bound on both how many leader changes were followed and how many
  follower changes were preceded, so what it cannot make significant is left out
  without further work.
- `follow_up` gives the exact figures of one combination: which leader changes
  were followed, after which delay, and which follower changes were preceded.

`count_couples` takes the leaders a few groups at a time, so that their counts
fit in a small table the processor keeps at hand (counting into one big table
would wait on memory for every couple), and at most LEADS_AT_ONCE changes at a
time. Within such a block, leaders are ordered by how many followers their
window holds, so the k-th follower of every leader that has one is read at once
(slices, no index arrays per couple); keys are tallied by chunks of about
CHUNK_PAIRS.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

# Leader changes handled at once, couple keys tallied at once, and the size of a
# block's count table (leader groups x follower groups).
LEADS_AT_ONCE = 131_072
CHUNK_PAIRS = 500_000
KEYS_AT_ONCE = 65_536

type IntArray = npt.NDArray[np.int64]
type BoolArray = npt.NDArray[np.bool_]


def count_couples(  # noqa: PLR0913
    lead_time: IntArray,
    lead_group: IntArray,
    follow_time: IntArray,
    follow_group: IntArray,
    delay: int,
    groups: int,
    least: Callable[[IntArray], IntArray],
) -> tuple[IntArray, IntArray]:
    """Return the keys with at least `least(keys)` (>= 1) couples, and their couples.

    Leaders and followers are in time order; a couple (i, j) has
    `lead_time[i] < follow_time[j] <= lead_time[i] + delay` and the key
    `lead_group[i] x groups + follow_group[j]`; groups are below `groups`.
    """
    found_keys: list[IntArray] = [np.zeros(0, dtype=np.int64)]
    found_counts: list[IntArray] = [np.zeros(0, dtype=np.int64)]
    per_block = max(1, KEYS_AT_ONCE // max(1, groups))
    block_of = lead_group // per_block
    # Leaders by block, in time order within one (a stable sort of small keys).
    narrow = block_of.astype(np.int16) if block_of.max(initial=0) < 2**15 else block_of
    order = np.argsort(narrow, kind="stable")
    bounds = np.searchsorted(
        block_of[order], np.arange(int(block_of.max(initial=0)) + 2)
    )
    del block_of, narrow
    # Every leader's window among the followers, found at once: leaders in time
    # order make the binary searches walk the followers forward.
    window_low = np.searchsorted(follow_time, lead_time, side="right")
    window_size = (
        np.searchsorted(follow_time, lead_time + delay, side="right") - window_low
    )
    # Read at random, so kept small: int32 takes half the cache of int64.
    narrow_group: npt.NDArray[np.signedinteger[Any]] = (
        follow_group.astype(np.int32) if groups < 2**31 else follow_group
    )
    for block, (start, stop) in enumerate(itertools.pairwise(_ints(bounds))):
        if start == stop:
            continue
        base = block * per_block * groups
        size = min(per_block * groups, groups * groups - base)
        tally = np.zeros(size, dtype=np.int64)
        for first in range(start, stop, LEADS_AT_ONCE):
            leads = order[first : min(stop, first + LEADS_AT_ONCE)]
            key = lead_group[leads] * groups - base
            for chunk in _couple_keys(
                window_low[leads], window_size[leads], key, narrow_group
            ):
                tally += np.bincount(chunk, minlength=size)
        # Only keys met at all are weighed (`least` is at least 1).
        keys = np.flatnonzero(tally)
        met = keys[tally[keys] >= least(keys + base)]
        found_keys.append(met + base)
        found_counts.append(tally[met])
    return np.concatenate(found_keys), np.concatenate(found_counts)


def _couple_keys(
    low: IntArray,
    sizes: IntArray,
    lead_key: IntArray,
    follow_group: npt.NDArray[np.signedinteger[Any]],
) -> Iterator[IntArray]:
    """Yield the keys of the leaders' couples, by chunks of about CHUNK_PAIRS.

    Leader i's window is follow_group[low[i] : low[i] + sizes[i]].
    """
    # Radix-sorted when small (int16), as window sizes nearly always are.
    narrow = -sizes.astype(np.int16) if sizes.max(initial=0) < 2**15 else -sizes
    order = np.argsort(narrow, kind="stable")
    low, sizes, lead_key = low[order], sizes[order], lead_key[order]
    # Leaders with more than k followers are the first `active[k]`.
    active = np.searchsorted(-sizes, -np.arange(int(sizes[0]) if sizes.size else 0))
    # Buffers reused from one follower rank to the next: allocating arrays this
    # size each time costs more than filling them.
    leads = lead_key.shape[0]
    group = np.empty(leads, dtype=follow_group.dtype)
    chunk = np.empty(CHUNK_PAIRS + leads, dtype=np.int64)
    filled = 0
    for offset in range(active.shape[0]):
        count = int(active[offset])
        np.take(follow_group[offset:], low[:count], out=group[:count])
        np.add(lead_key[:count], group[:count], out=chunk[filled : filled + count])
        filled += count
        if filled >= CHUNK_PAIRS:
            yield chunk[:filled]
            filled = 0
    if filled:
        yield chunk[:filled]


def _ints(values: IntArray) -> list[int]:
    """Return an integer array as a list of ints."""
    return [int(v) for v in values]


@dataclass(frozen=True, slots=True)
class FollowUp:
    """Exact figures of one leader group and one follower group."""

    followed: BoolArray  # per leader change: a follower change came within delay
    delays: IntArray  # per followed leader change, seconds to the first follower
    preceded: BoolArray  # per follower change: a leader change came within delay
    back_delays: IntArray  # per preceded follower change, seconds from the last


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
    preceded = back <= delay
    return FollowUp(
        followed=followed,
        delays=gap[followed],
        preceded=preceded,
        back_delays=back[preceded],
    )
