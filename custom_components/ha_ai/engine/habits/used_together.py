"""Things used together: after A goes to a state by hand, B follows by hand.

A pair A → B counts, for each manual change of A to a state, whether a manual
change of B to a state followed within `pair_max_delay` (strictly later: changes
in the same second are one action, such as a group or a scene). Both changes
must be manual: a person switching B right after A is the habit worth
automating; B following A because an automation does it is already automated.
A may be any entity (a motion sensor, a door, a person coming home); B must be
actionable (a light, a switch, a cover...).

For each pair: `count` (A changes followed by B), `confidence` = count / A's
changes to its state, `lift` = confidence over B's base rate, the share of the
observation period from which B changes to its state within the delay (the
union of the windows before each of B's changes, over the time B was seen): what
a random moment would give. Median delay and interquartile range come from the
first B change after each counted A change.

Pairs of one device are not reported: the same entity, entities whose object ids
are equal (`light.kitchen` and `switch.kitchen`: one device exposing two
entities), and whatever `same_device` (Home Assistant's device registry) says.

The search is vectorized: every A change finds its window of B changes by binary
search in B's time column, in chunks of bounded size, so memory stays flat.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from .model import ChangeTable, MiningSettings, Origin, UsedTogetherPattern

# Domains whose entities a person or an automation acts on: B must be one, so
# sensor-to-sensor couples (a motion sensor and a door, a person and the sun)
# never make a pair, while a sensor may lead (motion, then the hall light).
ACTIONABLE_DOMAINS = frozenset(
    {
        "alarm_control_panel",
        "button",
        "climate",
        "cover",
        "fan",
        "humidifier",
        "input_boolean",
        "input_button",
        "input_number",
        "input_select",
        "lawn_mower",
        "light",
        "lock",
        "media_player",
        "number",
        "remote",
        "scene",
        "script",
        "select",
        "siren",
        "switch",
        "vacuum",
        "valve",
        "water_heater",
    }
)
# A changes, and candidate (A change, B change) couples, handled at once.
LEADS_AT_ONCE = 65_536
CHUNK_PAIRS = 200_000
# Pair counts are kept in a dense table up to this many (A, B) combinations,
# in a sorted list of the pairs seen above it.
DENSE_KEYS = 4_000_000

NEVER = np.iinfo(np.int64).min // 2

type IntArray = npt.NDArray[np.int64]
type SmallArray = npt.NDArray[np.int32]
type SameDevice = Callable[[str, str], bool]


def object_id(entity_id: str) -> str:
    """Return what follows the domain in an entity id."""
    return entity_id.partition(".")[2]


def domain(entity_id: str) -> str:
    """Return an entity id's domain."""
    return entity_id.partition(".")[0]


def same_object_id(first: str, second: str) -> bool:
    """Tell whether two entities look like one device: equal object ids."""
    return object_id(first) == object_id(second)


def find_used_together_patterns(
    table: ChangeTable,
    *,
    settings: MiningSettings,
    end: datetime | None = None,
    same_device: SameDevice | None = None,
) -> list[UsedTogetherPattern]:
    """Return the pairs A → B in the table's manual changes (before `end`).

    `same_device(a, b)`, when given, tells which entities belong to one device;
    equal object ids always count as one device.
    """
    changes = _Changes.of(
        table, settings, int(end.timestamp()) if end is not None else None
    )
    if changes is None:
        return []
    delay = max(1, int(settings.pair_max_delay.total_seconds()))
    least = np.maximum(
        float(settings.min_pair_count),
        settings.min_pair_confidence * changes.a_count.astype(np.float64),
    )
    keys, followed = changes.count_pairs(delay, least)
    a_group, b_group = np.divmod(keys, changes.b_groups)
    confidence = followed / changes.a_count[a_group]
    base = changes.base_rate(delay)[b_group]
    lift = confidence / np.maximum(base, 1e-12)
    keep = (confidence >= settings.min_pair_confidence) & (
        lift >= settings.min_pair_lift
    )
    found: list[tuple[int, int, int, float, float]] = []
    for a, b, count, share, ratio in zip(
        a_group[keep].tolist(),
        b_group[keep].tolist(),
        followed[keep].tolist(),
        confidence[keep].tolist(),
        lift[keep].tolist(),
        strict=True,
    ):
        first = table.entity_ids[changes.a_entity_of[a]]
        second = table.entity_ids[changes.b_entity_of[b]]
        if same_object_id(first, second) or (
            same_device is not None and same_device(first, second)
        ):
            continue
        found.append((a, b, count, share, ratio))
    if not found:
        return []
    delays = changes.delays(delay, [(a, b) for a, b, *_ in found])
    patterns = [
        UsedTogetherPattern(
            pattern_id="",
            trigger_entity_id=table.entity_ids[changes.a_entity_of[a]],
            trigger_state=table.states[changes.a_state_of[a]],
            entity_id=table.entity_ids[changes.b_entity_of[b]],
            state=table.states[changes.b_state_of[b]],
            count=count,
            confidence=round(share, 4),
            lift=round(ratio, 2),
            median_delay_seconds=float(np.median(delays[a, b])),
            delay_spread_seconds=float(
                np.percentile(delays[a, b], 75) - np.percentile(delays[a, b], 25)
            ),
        )
        for a, b, count, share, ratio in found
    ]
    patterns.sort(
        key=lambda p: (p.trigger_entity_id, p.trigger_state, p.entity_id, p.state)
    )
    return patterns


@dataclass(slots=True, kw_only=True)
class _Changes:
    """The manual changes that can lead (A) or follow (B), in time order.

    A group is an (entity, state) with at least `min_pair_count` manual changes;
    groups are numbered densely, separately for A and for B.
    """

    a_time: IntArray
    a_group: SmallArray
    a_entity: SmallArray
    a_count: IntArray  # per A group, its changes
    a_entity_of: list[int]  # per A group
    a_state_of: list[int]
    b_time: IntArray
    b_group: SmallArray
    b_entity: SmallArray
    b_previous: IntArray  # time of the same B group's change before, or never
    b_groups: int
    b_entity_of: list[int]  # per B group
    b_state_of: list[int]
    b_first_seen: IntArray  # per B group, its entity's first change (any origin)
    end: int

    @classmethod
    def of(
        cls, table: ChangeTable, settings: MiningSettings, end: int | None
    ) -> _Changes | None:
        """Return the table's candidate changes, or None when there are none."""
        if len(table) == 0:
            return None
        end = int(table.when.max()) + 1 if end is None else end
        states = len(table.states)
        manual = np.flatnonzero((table.origin == Origin.MANUAL) & (table.when < end))
        groups, inverse, sizes = np.unique(
            table.entity[manual].astype(np.int64) * states + table.state[manual],
            return_inverse=True,
            return_counts=True,
        )
        frequent = sizes >= settings.min_pair_count
        actionable = np.asarray(
            [domain(e) in ACTIONABLE_DOMAINS for e in table.entity_ids], dtype=np.bool_
        )
        following = frequent & actionable[groups // states]
        if not following.any():
            return None
        leads, follows = frequent[inverse], following[inverse]
        a_group = (np.cumsum(frequent, dtype=np.int32) - 1)[inverse[leads]]
        b_group = (np.cumsum(following, dtype=np.int32) - 1)[inverse[follows]]
        del inverse
        b_time = table.when[manual[follows]]
        seen, first_index = np.unique(table.entity, return_index=True)
        first_seen = np.zeros(len(table.entity_ids), dtype=np.int64)
        first_seen[seen] = table.when[first_index]
        b_groups = groups[following]
        return cls(
            a_time=table.when[manual[leads]],
            a_group=a_group,
            a_entity=table.entity[manual[leads]],
            a_count=sizes[frequent],
            a_entity_of=(groups[frequent] // states).tolist(),
            a_state_of=(groups[frequent] % states).tolist(),
            b_time=b_time,
            b_group=b_group,
            b_entity=table.entity[manual[follows]],
            b_previous=_previous_in_group(b_time, b_group),
            b_groups=int(b_groups.shape[0]),
            b_entity_of=(b_groups // states).tolist(),
            b_state_of=(b_groups % states).tolist(),
            b_first_seen=first_seen[b_groups // states],
            end=end,
        )

    def key(self, a: IntArray, b: IntArray) -> IntArray:
        """Return the (A group, B group) key of A changes `a` and B changes `b`."""
        return self.a_group[a].astype(np.int64) * self.b_groups + self.b_group[b]

    def couples(
        self, delay: int, leads: IntArray | None = None
    ) -> Iterator[tuple[IntArray, IntArray]]:
        """Yield (A change, first B change of its group after it) index arrays.

        For the A changes `leads` (all by default), only the first change of each
        B group within `delay` after an A change is yielded, never one of A's own
        entity. A changes go by blocks of LEADS_AT_ONCE, their couples by chunks
        of about CHUNK_PAIRS, so memory stays bounded whatever the table's size.
        """
        if leads is None:
            leads = np.arange(self.a_time.shape[0])
        for first_lead in range(0, leads.shape[0], LEADS_AT_ONCE):
            block = leads[first_lead : first_lead + LEADS_AT_ONCE]
            a_time = self.a_time[block]
            low = np.searchsorted(self.b_time, a_time, side="right")
            sizes = np.searchsorted(self.b_time, a_time + delay, side="right") - low
            ends = np.cumsum(sizes)
            cuts = np.searchsorted(ends, np.arange(CHUNK_PAIRS, ends[-1], CHUNK_PAIRS))
            bounds = [0, *map(int, np.unique(cuts + 1)), sizes.shape[0]]
            for start, stop in itertools.pairwise(bounds):
                size = sizes[start:stop]
                total = int(size.sum())
                if total == 0:
                    continue
                which = np.repeat(np.arange(start, stop), size)
                before = np.repeat(ends[start:stop] - size, size)  # earlier A's
                b = low[which] + (np.arange(total) + (ends[start] - size[0]) - before)
                a = block[which]
                first = (self.b_previous[b] <= self.a_time[a]) & (
                    self.b_entity[b] != self.a_entity[a]
                )
                yield a[first], b[first]

    def count_pairs(
        self, delay: int, least: npt.NDArray[np.float64]
    ) -> tuple[IntArray, IntArray]:
        """Return the (A group, B group) keys B followed often enough, and how often.

        A key is A group x b_groups + B group; a pair is kept when B followed at
        least `least[A group]` of A's changes.
        """
        size = len(self.a_entity_of) * self.b_groups
        if size <= DENSE_KEYS:
            dense = np.zeros(size, dtype=np.int64)
            for a, b in self.couples(delay):
                dense += np.bincount(self.key(a, b), minlength=size)
            table = dense.reshape(len(self.a_entity_of), self.b_groups)
            keys = np.flatnonzero(table >= least[:, None])
            return keys, dense[keys]
        seen: list[IntArray] = [np.zeros(0, dtype=np.int64)]
        tallies: list[IntArray] = [np.zeros(0, dtype=np.int64)]
        for a, b in self.couples(delay):
            keys, tally = np.unique(self.key(a, b), return_counts=True)
            seen.append(keys)
            tallies.append(tally)
        keys, inverse = np.unique(np.concatenate(seen), return_inverse=True)
        counts = np.bincount(
            inverse, weights=np.concatenate(tallies), minlength=keys.shape[0]
        ).astype(np.int64)
        often = counts >= least[keys // self.b_groups]
        return keys[often], counts[often]

    def base_rate(self, delay: int) -> npt.NDArray[np.float64]:
        """Return per B group the share of moments it changes within `delay` after.

        The union of the `delay` seconds before each change, over the time from
        its entity's first change to the end.
        """
        gap = self.b_first_seen[self.b_group]
        np.maximum(gap, self.b_previous, out=gap)
        np.subtract(self.b_time, gap, out=gap)
        np.minimum(gap, delay, out=gap)
        covered = np.bincount(self.b_group, weights=gap, minlength=self.b_groups)
        span = np.maximum(self.end - self.b_first_seen, 1)
        return np.asarray(np.minimum(covered / span, 1.0), dtype=np.float64)

    def delays(
        self, delay: int, pairs: list[tuple[int, int]]
    ) -> dict[tuple[int, int], IntArray]:
        """Return the delays in seconds of B after A for the pairs asked."""
        wanted = np.unique(
            np.asarray([a * self.b_groups + b for a, b in pairs], dtype=np.int64)
        )
        leads = np.flatnonzero(
            np.isin(self.a_group, np.asarray([a for a, _ in pairs], dtype=np.int64))
        )
        keys: list[IntArray] = [np.zeros(0, dtype=np.int64)]
        delays: list[IntArray] = [np.zeros(0, dtype=np.int64)]
        for a, b in self.couples(delay, leads):
            key = self.key(a, b)
            found = np.isin(key, wanted)
            keys.append(key[found])
            delays.append((self.b_time[b] - self.a_time[a])[found])
        key = np.concatenate(keys)
        order = np.argsort(key, kind="stable")
        key, value = key[order], np.concatenate(delays)[order]
        cuts = np.flatnonzero(np.diff(key)) + 1
        return {
            divmod(int(part_key[0]), self.b_groups): part
            for part_key, part in zip(
                np.split(key, cuts), np.split(value, cuts), strict=True
            )
        }


def _previous_in_group(time: IntArray, group: SmallArray) -> IntArray:
    """Return, per change, the time of its group's change before it, or never."""
    order = np.argsort(group, kind="stable")  # time order kept within a group
    previous = np.full(time.shape[0], NEVER, dtype=np.int64)
    same = group[order][1:] == group[order][:-1]
    previous[order[1:][same]] = time[order][:-1][same]
    return previous
