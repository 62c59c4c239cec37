"""Histories with planted habits, for the habit-mining tests and benchmark.

`generate` builds a ChangeTable from explicit routines, pairs and noise;
`random_house` draws those at random for a house of any size. Both are
deterministic for a seed, and return the table with the truths that were planted,
so a detector's recall and precision can be measured.

Times are drawn in local wall-clock time (routines) or uniformly over the period
(noise), then stored as UTC seconds, like Home Assistant's history.

Under Home Assistant's test harness the engine is imported as
`custom_components.ha_ai.engine`; offline (the benchmark script) with
`custom_components/ha_ai` on sys.path, as `engine`, so Home Assistant is never
loaded.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import numpy as np
import numpy.typing as npt

if "custom_components.ha_ai" in sys.modules:
    from custom_components.ha_ai.engine.habits.model import (
        ChangeTable,
        DayClass,
        Origin,
    )
else:
    from engine.habits.model import ChangeTable, DayClass, Origin

SECONDS_PER_DAY = 86_400
WEEKEND = (5, 6)  # Saturday, Sunday (date.weekday())


@dataclass(frozen=True, slots=True)
class PlantedRoutine:
    """An entity goes to a state by hand at about the same local time."""

    entity_id: str
    state: str
    minute_of_day: int  # local, 0..1439
    jitter_minutes: float = 5.0  # standard deviation of the time, in minutes
    probability: float = 1.0  # chance it happens on a day of its class
    day_class: DayClass = DayClass.DAILY


@dataclass(frozen=True, slots=True)
class PlantedPair:
    """Each time A goes to a state, B may follow it within a delay."""

    trigger_entity_id: str
    trigger_state: str
    entity_id: str
    state: str
    probability: float = 0.9
    min_delay_seconds: int = 5
    max_delay_seconds: int = 90


@dataclass(frozen=True, slots=True)
class Noise:
    """Changes at random times: `per_day` on average, in random states."""

    entity_id: str
    per_day: float
    states: tuple[str, ...] = ("on", "off")
    automated_share: float = 0.0
    system_share: float = 0.0


@dataclass(slots=True)
class RoutineTruth:
    """A planted routine and how often it really happened."""

    routine: PlantedRoutine
    present_days: int  # days of its class it happened on (from the entity's start)
    class_days: int  # days of its class from the entity's first change to the end

    @property
    def present_share(self) -> float:
        """Return the share of the class days the routine happened on."""
        return self.present_days / self.class_days if self.class_days else 0.0


@dataclass(slots=True)
class Planted:
    """A generated history and what was planted in it."""

    table: ChangeTable
    timezone: tzinfo
    start: datetime  # local midnight of the first day
    end: datetime  # local midnight after the last day
    routines: list[RoutineTruth] = field(default_factory=list)
    pairs: list[PlantedPair] = field(default_factory=list)


@dataclass(slots=True)
class _Columns:
    """Changes being built, one array per column, entity and state as names."""

    entity_ids: dict[str, int] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    entity: list[npt.NDArray[np.int32]] = field(default_factory=list)
    state: list[npt.NDArray[np.int32]] = field(default_factory=list)
    when: list[npt.NDArray[np.int64]] = field(default_factory=list)
    origin: list[npt.NDArray[np.int8]] = field(default_factory=list)

    def add(
        self,
        entity_id: str,
        states: npt.NDArray[np.int32],
        when: npt.NDArray[np.int64],
        origin: npt.NDArray[np.int8],
    ) -> None:
        index = self.entity_ids.setdefault(entity_id, len(self.entity_ids))
        self.entity.append(np.full(when.shape[0], index, dtype=np.int32))
        self.state.append(states.astype(np.int32))
        self.when.append(when.astype(np.int64))
        self.origin.append(origin.astype(np.int8))

    def state_index(self, state: str) -> int:
        return self.states.setdefault(state, len(self.states))

    def table(self) -> ChangeTable:
        def joined(parts: list[Any], dtype: type) -> Any:
            if not parts:
                return np.empty(0, dtype=dtype)
            return np.concatenate(parts).astype(dtype, copy=False)

        table = ChangeTable(
            entity_ids=list(self.entity_ids),
            states=list(self.states),
            entity=joined(self.entity, np.int32),
            state=joined(self.state, np.int32),
            when=joined(self.when, np.int64),
            origin=joined(self.origin, np.int8),
        )
        table.sort()
        return table


def local_midnights(start: date, days: int, tz: tzinfo) -> npt.NDArray[np.int64]:
    """Return the UTC seconds of local midnight of `days + 1` days from `start`."""
    return np.asarray(
        [
            int(datetime.combine(start + timedelta(days=d), time(), tz).timestamp())
            for d in range(days + 1)
        ],
        dtype=np.int64,
    )


def _in_class(day: date, day_class: DayClass) -> bool:
    if day_class is DayClass.WEEKDAYS:
        return day.weekday() not in WEEKEND
    if day_class is DayClass.WEEKENDS:
        return day.weekday() in WEEKEND
    return True


def generate(
    *,
    days: int,
    seed: int,
    timezone: tzinfo = UTC,
    start: date = date(2024, 1, 1),
    routines: Sequence[PlantedRoutine] = (),
    pairs: Sequence[PlantedPair] = (),
    noise: Sequence[Noise] = (),
    missing_days: frozenset[int] = frozenset(),
) -> Planted:
    """Return `days` days of history with the routines, pairs and noise given.

    Routines happen on each day of their class with their probability, at their
    time plus a normal jitter (cut at three standard deviations), as manual
    changes. Noise changes fall uniformly over the whole period. Pairs are applied
    in order: every manual change of A to its state (routine, noise, or an
    earlier pair's B) is followed by B with the pair's probability, after a delay
    drawn uniformly between the pair's bounds. On `missing_days` (offsets from
    `start`) nothing at all is recorded.
    """
    rng = np.random.default_rng(seed)
    midnights = local_midnights(start, days, timezone)
    first, last = int(midnights[0]), int(midnights[-1])
    columns = _Columns()
    routine_days: list[npt.NDArray[np.int64]] = []

    for routine in routines:
        offsets = [
            d
            for d in range(days)
            if _in_class(start + timedelta(days=d), routine.day_class)
        ]
        happens = rng.random(len(offsets)) < routine.probability
        jitter = np.clip(rng.normal(0.0, 1.0, len(offsets)), -3.0, 3.0)
        stamps: list[int] = []
        happened: list[int] = []
        for offset, keep, shift in zip(offsets, happens, jitter, strict=True):
            if not keep or offset in missing_days:
                continue
            minutes = routine.minute_of_day + float(shift) * routine.jitter_minutes
            wall = datetime.combine(start + timedelta(days=offset), time())
            local = (wall + timedelta(minutes=minutes)).replace(tzinfo=timezone)
            stamps.append(int(local.timestamp()))
            happened.append(offset)
        when = np.asarray(stamps, dtype=np.int64)
        columns.add(
            routine.entity_id,
            np.full(when.shape[0], columns.state_index(routine.state), np.int32),
            when,
            np.full(when.shape[0], Origin.MANUAL, np.int8),
        )
        routine_days.append(np.asarray(happened, dtype=np.int64))

    for item in noise:
        count = int(rng.poisson(item.per_day * days))
        when = rng.integers(first, last, count, dtype=np.int64)
        state_ids = np.asarray(
            [columns.state_index(s) for s in item.states], dtype=np.int32
        )
        states = state_ids[rng.integers(0, len(state_ids), count)]
        draw = rng.random(count)
        origin = np.full(count, Origin.MANUAL, dtype=np.int8)
        origin[draw < item.automated_share + item.system_share] = Origin.SYSTEM
        origin[draw < item.automated_share] = Origin.AUTOMATED
        columns.add(item.entity_id, states, when, origin)

    table = columns.table()
    for pair in pairs:
        table = _follow(table, pair, columns, rng)

    if missing_days:
        day = np.searchsorted(midnights, table.when, side="right") - 1
        keep = ~np.isin(day, np.fromiter(missing_days, dtype=np.int64))
        table = table.subset(keep)

    truths = _truths(table, routines, routine_days, start, days, midnights)
    return Planted(
        table=table,
        timezone=timezone,
        start=datetime.fromtimestamp(first, timezone),
        end=datetime.fromtimestamp(last, timezone),
        routines=truths,
        pairs=list(pairs),
    )


def _follow(
    table: ChangeTable,
    pair: PlantedPair,
    columns: _Columns,
    rng: np.random.Generator,
) -> ChangeTable:
    """Return the table with B's changes added after A's, as the pair says."""
    trigger = columns.entity_ids.get(pair.trigger_entity_id, -1)
    trigger_state = columns.state_index(pair.trigger_state)
    leads = np.flatnonzero(
        (table.entity == trigger)
        & (table.state == trigger_state)
        & (table.origin == Origin.MANUAL)
    )
    leads = leads[rng.random(leads.shape[0]) < pair.probability]
    delays = rng.integers(
        pair.min_delay_seconds, pair.max_delay_seconds + 1, leads.shape[0]
    )
    follower = columns.entity_ids.setdefault(pair.entity_id, len(columns.entity_ids))
    follower_state = columns.state_index(pair.state)
    count = leads.shape[0]
    table = ChangeTable(
        entity_ids=list(columns.entity_ids),
        states=list(columns.states),
        entity=np.concatenate([table.entity, np.full(count, follower, np.int32)]),
        state=np.concatenate([table.state, np.full(count, follower_state, np.int32)]),
        when=np.concatenate([table.when, table.when[leads] + delays]),
        origin=np.concatenate([table.origin, np.full(count, Origin.MANUAL, np.int8)]),
    )
    table.sort()
    return table


def _truths(
    table: ChangeTable,
    routines: Sequence[PlantedRoutine],
    routine_days: list[npt.NDArray[np.int64]],
    start: date,
    days: int,
    midnights: npt.NDArray[np.int64],
) -> list[RoutineTruth]:
    """Return how often each routine happened over the days its entity was seen."""
    truths: list[RoutineTruth] = []
    for routine, happened in zip(routines, routine_days, strict=True):
        index = table.entity_ids.index(routine.entity_id)
        seen = table.when[table.entity == index]
        if not seen.shape[0]:
            truths.append(RoutineTruth(routine, 0, 0))
            continue
        first_day = int(np.searchsorted(midnights, seen.min(), side="right") - 1)
        class_days = sum(
            1
            for d in range(first_day, days)
            if _in_class(start + timedelta(days=d), routine.day_class)
        )
        present = int(np.count_nonzero(happened >= first_day))
        truths.append(RoutineTruth(routine, present, class_days))
    return truths


ACTIONABLE = ("light", "light", "light", "switch", "switch", "fan", "cover")


def random_house(
    *,
    days: int,
    entities: int,
    changes_per_entity_day: float,
    seed: int,
    timezone: tzinfo = UTC,
    start: date = date(2024, 1, 1),
    routine_share: float = 0.4,
    pair_share: float = 0.05,
    other_origin_share: float = 0.0,
    missing_days: frozenset[int] = frozenset(),
) -> Planted:
    """Return a random house: routines, pairs and noise on `entities` entities.

    A `routine_share` of the entities keeps one routine, a fifth of those two
    (morning on, evening off); day classes are mostly daily, some weekdays or
    weekends only; times anywhere in the day (some across midnight), jitter 2 to
    12 minutes, probability 0.7 to 1. A `pair_share` of the entities lead a pair
    whose follower has no routine of its own. Every entity gets noise so that it
    makes `changes_per_entity_day` changes a day in all, of which
    `other_origin_share` are automated or system changes (on top of the manual
    ones). With `routine_share=0` and `pair_share=0` it is pure noise.
    """
    rng = np.random.default_rng(seed)
    names = [f"{ACTIONABLE[i % len(ACTIONABLE)]}.room_{i:04d}" for i in range(entities)]
    order = rng.permutation(entities)
    with_routine = order[: round(entities * routine_share)]
    rest = order[len(with_routine) :]
    pair_count = min(round(entities * pair_share), len(rest) // 2)
    leaders, followers = rest[:pair_count], rest[pair_count : 2 * pair_count]

    routines: list[PlantedRoutine] = []
    for index in with_routine:
        day_class = DayClass(
            rng.choice(["daily", "weekdays", "weekends"], p=[0.6, 0.25, 0.15])
        )
        jitter = float(rng.uniform(2.0, 12.0))
        probability = float(rng.uniform(0.7, 1.0))
        if rng.random() < 0.2:
            morning = int(rng.integers(5 * 60, 10 * 60))
            evening = int(rng.integers(21 * 60, 24 * 60 + 60)) % 1440
            routines.append(
                PlantedRoutine(
                    names[index], "on", morning, jitter, probability, day_class
                )
            )
            routines.append(
                PlantedRoutine(
                    names[index], "off", evening, jitter, probability, day_class
                )
            )
        else:
            minute = int(rng.integers(0, 1440))
            routines.append(
                PlantedRoutine(
                    names[index], "on", minute, jitter, probability, day_class
                )
            )

    pairs = [
        PlantedPair(
            names[a],
            "on",
            names[b],
            "on",
            probability=float(rng.uniform(0.7, 1.0)),
            min_delay_seconds=int(rng.integers(2, 20)),
            max_delay_seconds=int(rng.integers(30, 100)),
        )
        for a, b in zip(leaders, followers, strict=True)
    ]

    planted_per_day = np.zeros(entities)
    for routine in routines:
        planted_per_day[names.index(routine.entity_id)] += routine.probability
    for b, pair in zip(followers, pairs, strict=True):
        # A goes on in about half of its changes; B follows some of them.
        planted_per_day[b] += changes_per_entity_day / 2 * pair.probability
    manual = np.maximum(changes_per_entity_day - planted_per_day, 0.0)
    noise = [
        Noise(
            names[i],
            per_day=float(manual[i] * (1 + other_origin_share)),
            automated_share=other_origin_share * 2 / 3 / (1 + other_origin_share),
            system_share=other_origin_share / 3 / (1 + other_origin_share),
        )
        for i in range(entities)
    ]
    return generate(
        days=days,
        seed=int(rng.integers(0, 2**31)),
        timezone=timezone,
        start=start,
        routines=routines,
        pairs=pairs,
        noise=noise,
        missing_days=missing_days,
    )
