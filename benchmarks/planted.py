"""Histories with planted habits, for the habit-mining tests and benchmark.

`generate` builds a ChangeTable from explicit routines, pairs and noise;
`random_house` draws those at random for a house of any size. `realistic_house`
builds houses that look like real ones (bursty devices, sensors firing all day,
days away, visitors, meals, weekday routines) and `noise_house` realistic houses
with nothing planted. All are deterministic for a seed, and return the table with
the truths that were planted, so a detector's recall and precision can be
measured.

Times are drawn in local wall-clock time (routines) or uniformly over the period
(noise), then stored as UTC seconds, like Home Assistant's history.

The engine is imported under its one name; the offline benchmarks load it
without Home Assistant first (`scripts/engine_alone.py`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import numpy as np
import numpy.typing as npt

from custom_components.ha_ai.engine.habits.model import ChangeTable, DayClass, Origin

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
    # A habit only days old: nothing before this day (offset from the start).
    first_day: int = 0
    # Who makes the change: an automation's routine is in the history, not a habit.
    origin: Origin = Origin.MANUAL


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
    # Pairs that happened on one afternoon only: not habits, never to be reported.
    decoys: list[PlantedPair] = field(default_factory=list)

    def explains(self, trigger: tuple[str, str], follower: tuple[str, str]) -> bool:
        """Tell whether a pair (entity, state) -> (entity, state) is in the data.

        A planted pair is, led by either change of A (a door opened, then closed
        within seconds, and the kettle put on: the kettle follows both) and to
        either state of B (a hall light on for a minute or two after the motion
        that turned it on goes off within the pair's delay too); so are two
        planted routines close enough in time that B often follows A within a
        couple of minutes: the history holds those pairs although nobody planted
        them.
        """
        key = (trigger[0], follower[0])
        if any((p.trigger_entity_id, p.entity_id) == key for p in self.pairs):
            return True
        for first in self.routines:
            if (first.routine.entity_id, first.routine.state) != trigger:
                continue
            for second in self.routines:
                if (second.routine.entity_id, second.routine.state) != follower:
                    continue
                distance = abs(
                    first.routine.minute_of_day - second.routine.minute_of_day
                )
                distance = min(distance % 1440, 1440 - distance % 1440)
                spread = math.hypot(
                    first.routine.jitter_minutes, second.routine.jitter_minutes
                )
                if distance <= 3 * spread + COINCIDENT_DELAY_MINUTES:
                    return True
        return False


# Two routines this many minutes apart (beyond their jitter) make a pair.
COINCIDENT_DELAY_MINUTES = 2


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

    Routines happen on each day of their class from their first day with their
    probability, at their time plus a normal jitter (cut at three standard
    deviations), as changes of their origin (manual unless said otherwise).
    Noise changes fall uniformly over the whole period. Pairs are applied
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
            for d in range(routine.first_day, days)
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
            np.full(when.shape[0], routine.origin, np.int8),
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


# --- houses that look like real ones ------------------------------------------------
#
# Real devices do not change once per use at a uniformly random time. A use is a
# burst (a cupboard opened several times while cooking, a microwave started,
# stopped and reopened, a washer toggling twenty times in an afternoon, a motion
# sensor flickering); people are up from morning to night; some sensors fire all
# day; residents go away for days and visitors come; an entity used at every meal
# still keeps its breakfast routine. `realistic_house` builds such houses with
# routines and pairs planted in them, `noise_house` such houses with nothing
# planted. Each entity's history keeps its states consistent: a change to the
# state the entity is already in is not recorded, as in Home Assistant.

REALISTIC_KINDS = (
    "plain",  # routines, pairs and daytime uses, one change per use
    "bursty",  # uses are bursts; a washer toggles 20 times in an afternoon
    "busy",  # motion sensors and doors firing all day
    "away",  # residents away for several days: only automated and system changes
    "visitors",  # a day of unusual activity, with a one-afternoon co-use
    "meals",  # entities used at every meal, with a breakfast routine among them
    "weekdays",  # weekday-only routines kept on 7 of 10 weekdays
    "mixed",  # all of the above
)
NOISE_KINDS = ("uniform", "bursty", "all_day")


@dataclass(frozen=True, slots=True)
class Device:
    """How one use of an entity shows in its history.

    A use switches it to `active`, back to `rest` after `on_seconds`, and does so
    `cycles` times with `off_seconds` between (ranges, inclusive).
    """

    entity_id: str
    active: str = "on"
    rest: str = "off"
    cycles: tuple[int, int] = (1, 1)
    on_seconds: tuple[int, int] = (300, 1800)
    off_seconds: tuple[int, int] = (5, 60)


@dataclass(slots=True)
class _Uses:
    """Uses being drawn: device, start (UTC seconds), origin, planted routine."""

    device: list[npt.NDArray[np.int64]] = field(default_factory=list)
    when: list[npt.NDArray[np.int64]] = field(default_factory=list)
    origin: list[npt.NDArray[np.int8]] = field(default_factory=list)
    routine: list[npt.NDArray[np.int64]] = field(default_factory=list)  # -1: none
    day: list[npt.NDArray[np.int64]] = field(default_factory=list)  # planned day

    def add(
        self,
        device: int,
        when: npt.NDArray[np.int64],
        *,
        origin: Origin = Origin.MANUAL,
        routine: int = -1,
        day: npt.NDArray[np.int64] | None = None,
    ) -> None:
        count = when.shape[0]
        self.device.append(np.full(count, device, dtype=np.int64))
        self.when.append(when.astype(np.int64))
        self.origin.append(np.full(count, origin, dtype=np.int8))
        self.routine.append(np.full(count, routine, dtype=np.int64))
        self.day.append(
            np.full(count, -1, dtype=np.int64) if day is None else day.astype(np.int64)
        )

    def columns(self) -> tuple[npt.NDArray[Any], ...]:
        def joined(parts: list[Any], dtype: type) -> Any:
            return np.concatenate(parts) if parts else np.empty(0, dtype=dtype)

        return (
            joined(self.device, np.int64),
            joined(self.when, np.int64),
            joined(self.origin, np.int8),
            joined(self.routine, np.int64),
            joined(self.day, np.int64),
        )


@dataclass(slots=True)
class _Calendar:
    """The days of a generated house, in local time."""

    start: date
    days: int
    timezone: tzinfo
    midnights: npt.NDArray[np.int64]
    weekend: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, start: date, days: int, timezone: tzinfo) -> _Calendar:
        return cls(
            start=start,
            days=days,
            timezone=timezone,
            midnights=local_midnights(start, days, timezone),
            weekend=np.asarray(
                [(start + timedelta(days=d)).weekday() in WEEKEND for d in range(days)],
                dtype=np.bool_,
            ),
        )

    def class_days(self, day_class: DayClass) -> npt.NDArray[np.int64]:
        if day_class is DayClass.WEEKDAYS:
            return np.flatnonzero(~self.weekend).astype(np.int64)
        if day_class is DayClass.WEEKENDS:
            return np.flatnonzero(self.weekend).astype(np.int64)
        return np.arange(self.days, dtype=np.int64)

    def utc(
        self, day: npt.NDArray[np.int64], seconds: npt.NDArray[Any]
    ) -> npt.NDArray[np.int64]:
        """Return UTC seconds of local wall-clock `seconds` after `day`'s midnight.

        Exact across daylight-saving changes (times past the end of the history
        are allowed: a night's use may end after it).
        """
        seconds = np.asarray(seconds, dtype=np.float64)
        day = np.asarray(day, dtype=np.int64)
        whole = np.floor(seconds / SECONDS_PER_DAY).astype(np.int64)
        day, seconds = day + whole, seconds - whole * SECONDS_PER_DAY
        inside = np.clip(day, 0, self.days - 1)
        result = self.midnights[inside] + (day - inside) * SECONDS_PER_DAY + seconds
        result = result.astype(np.int64)
        changing = np.flatnonzero(
            (np.diff(self.midnights) != SECONDS_PER_DAY)[inside] & (day == inside)
        )
        for i in (int(i) for i in changing):
            wall = datetime.combine(self.start + timedelta(days=int(day[i])), time())
            local = wall + timedelta(seconds=float(seconds[i]))
            result[i] = int(local.replace(tzinfo=self.timezone).timestamp())
        return np.asarray(result, dtype=np.int64)


@dataclass(slots=True)
class _House:
    """A realistic house being furnished: its devices, uses and truths."""

    calendar: _Calendar
    rng: np.random.Generator
    traits: frozenset[str]
    devices: list[Device] = field(default_factory=list)
    uses: _Uses = field(default_factory=_Uses)
    routines: list[PlantedRoutine] = field(default_factory=list)
    # Per routine, the routine of its device's change back to rest, or -1.
    twins: list[int] = field(default_factory=list)
    pairs: list[tuple[int, int, PlantedPair]] = field(default_factory=list)
    decoys: list[PlantedPair] = field(default_factory=list)
    away: frozenset[int] = frozenset()
    wake: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    sleep: npt.NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))

    def has(self, trait: str) -> bool:
        return trait in self.traits

    def device(self, device: Device) -> int:
        self.devices.append(device)
        return len(self.devices) - 1

    def routine(
        self,
        device: int,
        minute: int,
        jitter: float,
        day_class: DayClass | None = None,
        *,
        share: float | None = None,
    ) -> None:
        """Plant a routine kept on exactly a `share` of its class's days.

        A house of weekday routines keeps each on 7 of 10 weekdays; in a mixed
        house every other routine is kept on weekdays only; others keep to 80 to
        100 % of their days. Other uses of the device that would hold it active
        at the routine's time are left out, so the routine's change is recorded.
        """
        if self.traits == {"weekdays"}:
            day_class, share = DayClass.WEEKDAYS, 0.7
        elif self.has("weekdays") and len(self.routines) % 2 == 0:
            day_class = DayClass.WEEKDAYS
        day_class = day_class or DayClass.DAILY
        share = float(self.rng.uniform(0.8, 1.0)) if share is None else share
        item = self.devices[device]
        days = self.calendar.class_days(day_class)
        keeps = math.ceil(share * days.shape[0] - 1e-9)  # 7 of 10 is 0.7
        chosen = np.sort(self.rng.choice(days, keeps, replace=False))
        jitters = np.clip(self.rng.normal(0.0, 1.0, chosen.shape[0]), -3.0, 3.0)
        seconds = (minute + jitters * jitter) * 60
        self.uses.add(
            device,
            self.calendar.utc(chosen, seconds),
            routine=len(self.routines),
            day=chosen,
        )
        self.routines.append(
            PlantedRoutine(
                item.entity_id, item.active, minute, jitter, share, day_class
            )
        )
        self.twins.append(-1)
        if item.on_seconds[1] <= SHORT_USE_SECONDS:
            later = round(sum(item.on_seconds) / 120)
            self.twins[-1] = len(self.routines)
            self.routines.append(
                PlantedRoutine(
                    item.entity_id,
                    item.rest,
                    (minute + later) % 1440,
                    jitter,
                    share,
                    day_class,
                )
            )
            self.twins.append(-1)

    def pair(
        self, lead: int, follower: int, probability: float, least: int, most: int
    ) -> None:
        """Plant a pair: B's use follows A's with a probability, after a delay."""
        first, second = self.devices[lead], self.devices[follower]
        planted = PlantedPair(
            first.entity_id,
            first.active,
            second.entity_id,
            second.active,
            probability,
            least,
            most,
        )
        self.pairs.append((lead, follower, planted))

    def daytime(self, device: int, per_day: float) -> None:
        """Uses at random times while people are up, `per_day` on average."""
        counts = self.rng.poisson(per_day, self.calendar.days)
        day = np.repeat(np.arange(self.calendar.days, dtype=np.int64), counts)
        share = self.rng.random(day.shape[0])
        seconds = self.wake[day] + share * (self.sleep[day] - self.wake[day])
        self.uses.add(device, self.calendar.utc(day, seconds))

    def between(
        self,
        device: int,
        probability: float,
        earliest: float,
        latest: float,
        *,
        origin: Origin = Origin.MANUAL,
    ) -> None:
        """A use on a `probability` share of days, uniformly in [earliest, latest) h."""
        day = np.flatnonzero(self.rng.random(self.calendar.days) < probability)
        hours = self.rng.uniform(earliest, latest, day.shape[0])
        self.uses.add(
            device, self.calendar.utc(day, hours * 3600), origin=origin, day=day
        )


# A device back at rest within this after a routine's change has a routine there too.
SHORT_USE_SECONDS = 600


def _waking_hours(
    calendar: _Calendar, rng: np.random.Generator
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Return per day the seconds after midnight people get up and go to bed."""
    wake = np.where(
        calendar.weekend,
        rng.uniform(7.5, 10.5, calendar.days),
        rng.uniform(6.0, 8.5, calendar.days),
    )
    sleep = rng.uniform(22.0, 24.5, calendar.days)
    return wake * 3600, sleep * 3600


def realistic_house(
    kind: str,
    *,
    days: int,
    entities: int,
    seed: int,
    timezone: tzinfo = UTC,
    start: date = date(2024, 1, 1),
) -> Planted:
    """Return a house of `kind` (see REALISTIC_KINDS) that looks like a real one.

    `entities` (at least 10) are furnished from a core (bedroom and kitchen
    lights, a kitchen cupboard, a microwave, a hall motion sensor and the hall
    light that follows it on 55 % of its uses, the front door and the kettle that
    follows it, a washer, an automated porch light) and then by blocks of ten
    (lights with routines, a blind, a motion sensor, a door, a plug, a lamp that
    follows the motion sensor, an automated heater). Every house has routines
    (kept on an exact share of their days, as the truth says), pairs (B follows
    A's use with a probability) and uses at random times while people are up;
    the kind adds its trait. In bursty houses the cupboard keeps a breakfast
    routine and the plugs a routine of their own, on 70 to 85 % of days, each
    use a burst.
    Routine truths count from each entity's first change. A device's change back
    to rest a few minutes after a routine's change (a cupboard closed) is a
    routine too and is planted as one. Pairs that happened on one afternoon only
    are `Planted.decoys`: they are not habits and must not be reported.
    """
    if kind not in REALISTIC_KINDS:
        raise ValueError(f"unknown kind of house: {kind}")
    if entities < CORE_ENTITIES or days < 2:
        raise ValueError("a realistic house has at least 10 entities and 2 days")
    traits = frozenset(REALISTIC_KINDS[1:-1] if kind == "mixed" else (kind,))
    rng = np.random.default_rng(seed)
    calendar = _Calendar.of(start, days, timezone)
    house = _House(calendar=calendar, rng=rng, traits=traits)
    house.wake, house.sleep = _waking_hours(calendar, rng)
    core = _furnish_core(house)
    for index in range(CORE_ENTITIES, entities):
        _furnish(house, index)
    if "away" in traits:
        length = min(max(2, round(days * 0.15)), 7)
        first = int(rng.integers(1, max(2, days - length)))
        house.away = frozenset(range(first, min(first + length, days)))
        # Presence simulation: automations switch a few lights in the evening.
        for device in (core["bedroom"], core["kitchen"], core["hall"]):
            house.between(device, 1.0, 19.0, 23.0, origin=Origin.AUTOMATED)
    if "visitors" in traits:
        _visitors(house, (core["microwave"], core["kettle"]))
    return _build(house)


CORE_ENTITIES = 10  # every house has the core's devices
LIGHT_ON_SECONDS = (1800, 21_600)  # a light stays on 30 min to 6 h


def _furnish_core(house: _House) -> dict[str, int]:
    """Add the devices every house has; return their numbers by role."""
    bursty, busy = house.has("bursty"), house.has("busy")
    core = {
        "bedroom": house.device(Device("light.bedroom", on_seconds=LIGHT_ON_SECONDS)),
        "kitchen": house.device(Device("light.kitchen", on_seconds=LIGHT_ON_SECONDS)),
        "cupboard": house.device(
            Device(
                "binary_sensor.kitchen_cupboard",
                cycles=(2, 5) if bursty or house.has("meals") else (1, 1),
                on_seconds=(5, 40),
                off_seconds=(10, 120),
            )
        ),
        "kettle": house.device(Device("switch.kettle", on_seconds=(120, 240))),
        "microwave": house.device(
            Device(
                "switch.microwave",
                cycles=(2, 4) if bursty else (1, 1),
                on_seconds=(20, 180),
                off_seconds=(5, 60),
            )
        ),
        "motion": house.device(
            Device(
                "binary_sensor.hall_motion",
                cycles=(1, 8) if busy or bursty else (1, 1),
                on_seconds=(5, 60) if busy else (30, 120),
                off_seconds=(5, 40),
            )
        ),
        "door": house.device(
            Device("binary_sensor.front_door", on_seconds=(5, 60), off_seconds=(5, 30))
        ),
        "hall": house.device(Device("light.hall", on_seconds=(60, 300))),
        "washer": house.device(
            Device(
                "switch.washer",
                cycles=(10, 12) if bursty else (1, 1),
                on_seconds=(60, 600) if bursty else (3600, 7200),
                off_seconds=(60, 600),
            )
        ),
        "porch": house.device(Device("light.porch", on_seconds=(14_400, 18_000))),
    }
    house.routine(core["bedroom"], 6 * 60 + 50, 4.0)
    if house.has("meals"):
        # Used at every meal; only breakfast keeps to its time.
        for device, minute in ((core["kitchen"], 7 * 60 + 10), (core["cupboard"], 440)):
            house.routine(device, minute, 6.0, share=0.85)
            house.between(device, 0.8, 11.5, 14.5)
            house.between(device, 0.95, 17.5, 21.5)
            house.between(device, 0.5, 15.0, 17.0)
            house.between(device, 0.6, 11.5, 14.5)
            house.between(device, 0.7, 17.5, 21.5)
            house.daytime(device, 4.0)
        house.between(core["microwave"], 0.6, 11.5, 14.5)
        house.between(core["microwave"], 0.5, 17.5, 21.5)
    else:
        house.routine(core["kitchen"], 18 * 60 + 30, 10.0)
        house.between(core["microwave"], 0.5, 11.5, 21.5)
        if bursty:
            house.routine(
                core["cupboard"],
                7 * 60 + 20,
                6.0,
                share=float(house.rng.uniform(0.7, 0.85)),
            )
    house.daytime(core["bedroom"], 1.0)
    house.daytime(core["kitchen"], 1.5)
    house.daytime(core["cupboard"], 3.0)
    house.daytime(core["kettle"], 0.5)
    house.daytime(core["motion"], 30.0 if busy else 6.0)
    house.daytime(core["door"], 20.0 if busy else 4.0)
    house.daytime(core["hall"], 0.5)
    # Leads are sensors: a lead that B could follow would make derived pairs
    # (B, then A back at rest) that are real in the data but not planted.
    house.pair(core["motion"], core["hall"], 0.55, 2, 20)
    house.pair(core["door"], core["kettle"], 0.8, 10, 90)
    house.between(core["washer"], 0.4, 13.0, 18.0)
    house.between(core["porch"], 0.97, 17.5, 18.5, origin=Origin.AUTOMATED)
    return core


def _furnish(house: _House, index: int) -> None:
    """Add the entity `index` (10 and up) of a block of ten."""
    rng, slot, name = house.rng, index % 10, f"room_{index:04d}"
    bursty, busy = house.has("bursty"), house.has("busy")
    if slot in (0, 4, 9):
        device = house.device(Device(f"light.{name}", on_seconds=LIGHT_ON_SECONDS))
        day_class = None
        if slot == 9:
            day_class = DayClass(
                rng.choice(["daily", "weekdays", "weekends"], p=[0.5, 0.3, 0.2])
            )
        minute = int(rng.integers(6 * 60, 23 * 60))
        house.routine(device, minute, float(rng.uniform(2.0, 12.0)), day_class)
        house.daytime(device, float(rng.uniform(0.3, 1.5)))
    elif slot == 1:
        device = house.device(
            Device(
                f"binary_sensor.{name}_motion",
                cycles=(1, 8) if busy or bursty else (1, 1),
                on_seconds=(5, 90),
                off_seconds=(5, 40),
            )
        )
        house.daytime(device, float(rng.uniform(10, 40) if busy else rng.uniform(2, 8)))
    elif slot == 2:
        device = house.device(
            Device(
                f"binary_sensor.{name}_door", on_seconds=(5, 120), off_seconds=(5, 30)
            )
        )
        house.daytime(
            device, float(rng.uniform(10, 30) if busy else rng.uniform(1, 10))
        )
    elif slot == 3:
        device = house.device(
            Device(
                f"switch.{name}_plug",
                cycles=(2, 6) if bursty else (1, 1),
                on_seconds=(20, 300),
                off_seconds=(10, 240),
            )
        )
        house.daytime(device, float(rng.uniform(0.5, 3.0)))
        if bursty:
            minute = int(rng.integers(6 * 60, 22 * 60))
            share = float(rng.uniform(0.7, 0.85))
            house.routine(device, minute, float(rng.uniform(3.0, 10.0)), share=share)
    elif slot == 5:
        device = house.device(
            Device(f"cover.{name}", "open", "closed", on_seconds=(30_000, 57_600))
        )
        house.routine(device, int(rng.integers(6 * 60 + 30, 9 * 60)), 5.0)
        house.daytime(device, 0.3)
    elif slot == 6:
        device = house.device(Device(f"light.{name}", on_seconds=(300, 7200)))
        house.daytime(device, float(rng.uniform(1.0, 6.0)))
    elif slot == 7:
        device = house.device(Device(f"light.{name}_lamp", on_seconds=(60, 600)))
        house.daytime(device, 0.3)
        lead = len(house.devices) - 7  # the motion sensor of the block
        delay = int(rng.integers(20, 60))
        house.pair(lead, device, float(rng.uniform(0.5, 0.95)), 2, delay)
    else:
        device = house.device(Device(f"switch.{name}_heater", on_seconds=(3600, 7200)))
        house.between(device, 1.0, 5.5, 5.6, origin=Origin.AUTOMATED)


def _visitors(house: _House, decoy: tuple[int, int]) -> None:
    """A day or two of unusual activity, with a co-use on one afternoon only."""
    calendar, rng = house.calendar, house.rng
    count = 2 if calendar.days >= 28 else 1
    visits = rng.choice(np.arange(1, calendar.days), count, replace=False)
    for visit in (int(v) for v in visits):
        for device in range(len(house.devices)):
            if house.devices[device].entity_id.startswith("switch."):
                continue  # appliances keep to their own uses
            uses = int(rng.poisson(6))
            hours = rng.uniform(10.0, 26.0, uses)
            house.uses.add(
                device,
                calendar.utc(np.full(uses, visit, dtype=np.int64), hours * 3600),
            )
    day = int(visits[0])
    leads = np.arange(13.0, 18.0, 1 / 3) * 3600 + rng.uniform(0, 300, 15)
    first, second = decoy
    when = calendar.utc(np.full(leads.shape[0], day, dtype=np.int64), leads)
    house.uses.add(first, when, day=np.full(leads.shape[0], day))
    house.uses.add(second, when + rng.integers(5, 40, leads.shape[0]))
    house.decoys.append(
        PlantedPair(
            house.devices[first].entity_id,
            house.devices[first].active,
            house.devices[second].entity_id,
            house.devices[second].active,
            1.0,
            5,
            40,
        )
    )


def _build(house: _House) -> Planted:
    """Return the house's history: pairs followed, uses expanded, away days kept."""
    calendar, rng = house.calendar, house.rng
    device, when, origin, routine, day = house.uses.columns()
    if house.away:
        on_day = np.searchsorted(calendar.midnights, when, side="right") - 1
        home = ~np.isin(on_day, np.fromiter(house.away, dtype=np.int64)) | (
            origin != Origin.MANUAL
        )
        device, when, origin, routine, day = (
            c[home] for c in (device, when, origin, routine, day)
        )
    for lead, follower, pair in house.pairs:
        leads = np.flatnonzero((device == lead) & (origin == Origin.MANUAL))
        leads = leads[rng.random(leads.shape[0]) < pair.probability]
        delays = rng.integers(
            pair.min_delay_seconds, pair.max_delay_seconds + 1, leads.shape[0]
        )
        count = leads.shape[0]
        device = np.concatenate([device, np.full(count, follower, np.int64)])
        when = np.concatenate([when, when[leads] + delays])
        origin = np.concatenate([origin, np.full(count, Origin.MANUAL, np.int8)])
        routine = np.concatenate([routine, np.full(count, -1, np.int64)])
        day = np.concatenate([day, np.full(count, -1, np.int64)])
    columns = _Columns()
    first, end = int(calendar.midnights[0]), int(calendar.midnights[-1])
    routine_days: list[list[npt.NDArray[np.int64]]] = [[] for _ in house.routines]
    for number, item in enumerate(house.devices):
        mine = np.flatnonzero(device == number)
        stamp, state, kind, tag, planned = _expand(
            item,
            (when[mine], origin[mine], routine[mine], day[mine]),
            np.asarray([*house.twins, -1], dtype=np.int64),
            rng,
        )
        stamp, state, kind, tag, planned = _flaps(
            (stamp, state, kind, tag, planned), first, end, rng
        )
        stamp, state, kind, tag, planned = _take(
            (stamp, state, kind, tag, planned), (stamp >= first) & (stamp < end)
        )
        names = (item.rest, item.active, "unavailable")
        state_ids = np.asarray([columns.state_index(n) for n in names], np.int32)
        columns.add(item.entity_id, state_ids[state], stamp, kind)
        for number_of_routine in (int(r) for r in np.unique(tag[tag >= 0])):
            routine_days[number_of_routine].append(planned[tag == number_of_routine])
    table = columns.table()
    truths = _truths(
        table,
        house.routines,
        [
            np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
            for parts in routine_days
        ],
        calendar.start,
        calendar.days,
        calendar.midnights,
    )
    return Planted(
        table=table,
        timezone=calendar.timezone,
        start=datetime.fromtimestamp(first, calendar.timezone),
        end=datetime.fromtimestamp(end, calendar.timezone),
        routines=truths,
        pairs=[pair for *_, pair in house.pairs],
        decoys=house.decoys,
    )


type _Changes = tuple[
    npt.NDArray[np.int64],  # time
    npt.NDArray[np.int64],  # state: 0 rest, 1 active, 2 unavailable
    npt.NDArray[np.int8],  # origin
    npt.NDArray[np.int64],  # planted routine of a use's first change, or -1
    npt.NDArray[np.int64],  # the day that routine was planned for
]

REST, ACTIVE, UNAVAILABLE = 0, 1, 2


def _expand(
    device: Device,
    uses: tuple[npt.NDArray[Any], ...],
    twins: npt.NDArray[np.int64],
    rng: np.random.Generator,
) -> _Changes:
    """Return one device's changes from its uses (start, origin, routine, day).

    A use's first change carries its routine, the change back to rest after it
    the routine's twin (`twins[routine]`, -1 for none; `twins[-1]` is -1).
    """
    order = np.argsort(uses[0], kind="stable")
    start, origin, routine, day = (c[order] for c in uses)
    cycles = rng.integers(device.cycles[0], device.cycles[1] + 1, start.shape[0])
    total = int(cycles.sum())
    use = np.repeat(np.arange(start.shape[0]), cycles)
    on = rng.integers(device.on_seconds[0], device.on_seconds[1] + 1, total)
    off = rng.integers(device.off_seconds[0], device.off_seconds[1] + 1, total)
    elapsed = np.cumsum(on + off) - (on + off)
    first = np.cumsum(cycles) - cycles
    opens = start[use] + elapsed - elapsed[first][use]
    # Other uses holding the device active at a routine's time are left out.
    closes = np.zeros(start.shape[0], dtype=np.int64)
    np.maximum.at(closes, use, opens + on)
    dropped = np.zeros(start.shape[0], dtype=np.bool_)
    for number in (int(n) for n in np.flatnonzero(routine >= 0)):
        dropped |= (start <= start[number]) & (closes > start[number])
        dropped[number] = False
    if dropped.any():
        keep = ~dropped
        return _expand(
            device,
            (start[keep], origin[keep], routine[keep], day[keep]),
            twins,
            rng,
        )
    is_first = np.zeros(total, dtype=np.bool_)
    is_first[first] = True
    tag = np.where(is_first, routine[use], -1)
    changes: _Changes = (
        np.concatenate([opens, opens + on]).astype(np.int64),
        np.concatenate([np.full(total, ACTIVE), np.full(total, REST)]).astype(np.int64),
        np.concatenate([origin[use], origin[use]]).astype(np.int8),
        np.concatenate([tag, twins[tag]]).astype(np.int64),
        np.concatenate([day[use], day[use]]).astype(np.int64),
    )
    return _consistent(changes)


def _consistent(changes: _Changes) -> _Changes:
    """Return the changes in time order, each to a state other than the last.

    Home Assistant records a change only when the state changes; a device starts
    at rest.
    """
    stamp, state, *_ = changes = _take(changes, np.argsort(changes[0], kind="stable"))
    keep = np.ones(stamp.shape[0], dtype=np.bool_)
    keep[1:] = state[1:] != state[:-1]
    if stamp.shape[0]:
        keep[0] = state[0] != REST
    return _take(changes, keep)


def _take(changes: _Changes, which: npt.NDArray[Any]) -> _Changes:
    """Return the changes at `which` (a mask or positions)."""
    stamp, state, kind, tag, planned = changes
    return stamp[which], state[which], kind[which], tag[which], planned[which]


def _flaps(
    changes: _Changes, first: int, end: int, rng: np.random.Generator
) -> _Changes:
    """Return the changes with system ones added: the device drops off and comes back.

    About one drop every 50 days; while unavailable nothing is recorded, then the
    device comes back in the state it was in.
    """
    stamp, state, kind, tag, planned = changes
    days = (end - first) / SECONDS_PER_DAY
    for _ in range(int(rng.poisson(0.02 * days))):
        at = int(rng.integers(first, end))
        back = at + int(rng.integers(30, 3600))
        before = np.flatnonzero(stamp < at)
        previous = int(state[before[-1]]) if before.shape[0] else REST
        keep = (stamp < at) | (stamp > back)
        stamp = np.concatenate([stamp[keep], [at, back]]).astype(np.int64)
        state = np.concatenate([state[keep], [UNAVAILABLE, previous]]).astype(np.int64)
        kind = np.concatenate([kind[keep], np.full(2, Origin.SYSTEM, np.int8)])
        tag = np.concatenate([tag[keep], [-1, -1]]).astype(np.int64)
        planned = np.concatenate([planned[keep], [-1, -1]]).astype(np.int64)
    return _consistent((stamp, state, kind, tag, planned))


def noise_house(
    kind: str,
    *,
    days: int,
    entities: int,
    changes_per_entity_day: float,
    seed: int,
    timezone: tzinfo = UTC,
    start: date = date(2024, 1, 1),
) -> Planted:
    """Return a house of `kind` (see NOISE_KINDS) with nothing planted in it.

    Each entity makes about `changes_per_entity_day` manual changes a day (plus
    the odd system one), its states consistent. `uniform`: single changes at
    uniformly random times of the whole period; `bursty`: uses of 2 to 10
    changes close together, at random times; `all_day`: motion sensors and
    doors firing while people are up (their waking hours vary from day to day),
    with flickers. No entity keeps a time or follows another: whatever a
    miner reports here is false.
    """
    if kind not in NOISE_KINDS:
        raise ValueError(f"unknown kind of noise: {kind}")
    rng = np.random.default_rng(seed)
    calendar = _Calendar.of(start, days, timezone)
    house = _House(calendar=calendar, rng=rng, traits=frozenset())
    house.wake, house.sleep = _waking_hours(calendar, rng)
    if kind == "uniform":
        house.wake = np.zeros(days)
        house.sleep = np.full(days, float(SECONDS_PER_DAY))
    domains = ("light", "switch", "binary_sensor", "light", "cover", "fan")
    # Time between changes, so that a use ends before the next one mostly starts.
    spacing = SECONDS_PER_DAY / max(changes_per_entity_day, 0.1)
    for index in range(entities):
        name = f"{domains[index % len(domains)]}.noise_{index:04d}"
        if kind == "uniform":
            device = Device(name, on_seconds=(10, max(11, int(spacing * 0.5))))
            per_use = 2.0
        elif kind == "bursty":
            device = Device(
                name,
                cycles=(1, 5),
                on_seconds=(5, 120),
                off_seconds=(5, 180),
            )
            per_use = 6.0
        else:
            device = Device(
                name.replace(name.partition(".")[0], "binary_sensor", 1),
                cycles=(1, 6),
                on_seconds=(5, 90),
                off_seconds=(5, 40),
            )
            per_use = 7.0
        house.daytime(house.device(device), changes_per_entity_day / per_use)
    return _build(house)
