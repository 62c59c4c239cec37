"""Generated households with a planted morning and bedtime, for tests and benchmark.

Each household is a person's (or family's) days: on each day a morning routine
(its actions in order, each a few minutes after the first), activity through the
day, a bedtime routine, then the night's quiet, broken only by automations and
the system (an automated porch light, a device dropping off). The kinds:

- `early_birds`: up at 05:00, in bed by 20:30, every day;
- `night_owls`: up at 11:00, bedtime at 02:30 (so the night is 03:00-11:00);
- `lie_ins`: weekdays up at 06:30, weekends at 09:00 (another routine), bedtime
  at 23:00 every day;
- `shift_work`: early, late and night shifts rotating weekly: no morning or
  bedtime at one time;
- `visitors`: 07:00 and 22:30, with visitors on some evenings (more activity,
  other devices, bedtime an hour later);
- `holiday`: 07:00 and 22:30, and a week away without any activity;
- `dst_spring` / `dst_autumn`: 07:00 and 23:00 in Europe/Amsterdam across the
  last Sunday of March (October);
- `noise`: devices used at random times of the whole day and night;
- `sparse_noise`: a few uses a day at random times (long silences, at random);
- `restless`: 07:00 and 23:00, and a sleeper whose bedroom motion sensor fires
  alone about eight times between midnight and 05:00, as in real recordings;
- `night_trips`: 07:00 and 23:00, and a sleeper up for the bathroom around
  03:00 and 05:30 (bedroom and hall motion for a few minutes, nothing touched),
  fetching the paper at the front door on some of those, as in real
  recordings: no silence of the night is three hours long.

`household(kind, ...)` returns the table and its truth (the routines planted,
the roles, the days away), so tests can state exact expectations. Times are
planted in local wall-clock time and stored as UTC seconds, like Home
Assistant's history (`planted._Calendar` converts, across daylight saving).
`extra_entities` and `changes_per_entity_day` add devices used at random while
people are up, for a house of any size (the benchmark's 500 entities).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from benchmarks.planted import _Calendar
from custom_components.ha_ai.engine.habits.model import ChangeTable, DayClass, Origin
from custom_components.ha_ai.engine.household.model import EntityRole, RoutineKind

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
HOUSEHOLD_KINDS = (
    "early_birds",
    "night_owls",
    "lie_ins",
    "shift_work",
    "visitors",
    "holiday",
    "dst_spring",
    "dst_autumn",
    "noise",
    "sparse_noise",
    "restless",
    "night_trips",
)
WAKE_JITTER_MINUTES = 8.0
HALL_MOTION = "binary_sensor.hall_motion"
BEDROOM_MOTION = "binary_sensor.bedroom_motion"
ROLES: dict[str, EntityRole] = {
    HALL_MOTION: EntityRole.MOTION,
    BEDROOM_MOTION: EntityRole.MOTION,
    "binary_sensor.front_door": EntityRole.DOOR,
    "lock.front_door": EntityRole.LOCK,
    "person.alex": EntityRole.PRESENCE,
}
DAY_DEVICES = (
    "light.living_room",
    "light.office",
    "switch.kettle",
    "media_player.tv",
    "binary_sensor.front_door",
    "light.bathroom",
)


@dataclass(frozen=True, slots=True)
class Action:
    """One action of a routine: `delay` minutes after its first, on a share of days."""

    entity_id: str
    state: str
    delay: float
    probability: float = 1.0


MORNING = (
    Action("light.bedroom", "on", 0),
    Action(HALL_MOTION, "on", 2),
    Action("light.kitchen", "on", 5),
    Action("switch.coffee_machine", "on", 8, 0.9),
    Action("cover.living_room", "open", 14, 0.85),
    Action("light.bedroom", "off", 18, 0.4),  # not usual enough to be a step
)
WEEKEND_MORNING = (
    Action("light.bedroom", "on", 0),
    Action("cover.bedroom", "open", 3, 0.9),
    Action("switch.coffee_machine", "on", 10),
    Action("media_player.radio", "playing", 13, 0.8),
)
BEDTIME = (
    Action("media_player.tv", "off", 0),
    Action("light.living_room", "off", 3),
    Action("lock.front_door", "locked", 6, 0.9),
    Action("light.kitchen", "off", 9),
    Action("light.bedroom", "on", 12, 0.8),
    Action("light.bedroom", "off", 25),
)


@dataclass(frozen=True, slots=True)
class PlantedHouseholdRoutine:
    """A routine planted in a household: its class, local time and actions."""

    kind: RoutineKind
    day_class: DayClass
    minute: int  # local minute of the first action (0..1439)
    actions: tuple[Action, ...]

    @property
    def usual(self) -> tuple[tuple[str, str], ...]:
        """Return the actions kept on most days, in their planted order."""
        return tuple(
            (a.entity_id, a.state) for a in self.actions if a.probability >= 0.5
        )


@dataclass(slots=True)
class HouseholdTruth:
    """What was planted in a generated household."""

    kind: str
    timezone: tzinfo
    start: datetime  # local midnight of the first day
    end: datetime  # local midnight after the last day
    days: int
    roles: dict[str, EntityRole]
    routines: list[PlantedHouseholdRoutine] = field(default_factory=list)
    away_days: frozenset[int] = frozenset()  # day offsets without any activity

    def routine(
        self, kind: RoutineKind, day_class: DayClass
    ) -> PlantedHouseholdRoutine | None:
        """Return the planted routine of this kind and day class, if any."""
        for routine in self.routines:
            if routine.kind is kind and routine.day_class is day_class:
                return routine
        return None


@dataclass(slots=True)
class _Day:
    """One day's plan: routines (local minutes, past 1440 for after midnight)."""

    morning: tuple[float, tuple[Action, ...]] | None = None
    bedtime: tuple[float, tuple[Action, ...]] | None = None
    # Spans of random activity while people are up (local minutes of the day).
    spans: list[tuple[float, float]] = field(default_factory=list)
    devices: tuple[str, ...] = DAY_DEVICES
    per_hour: float = 6.0


@dataclass(slots=True)
class _Rows:
    """Changes being planted as (day, local seconds, entity, state, origin)."""

    day: list[npt.NDArray[np.int64]] = field(default_factory=list)
    seconds: list[npt.NDArray[np.float64]] = field(default_factory=list)
    entity: list[str] = field(default_factory=list)
    state: list[str] = field(default_factory=list)
    origin: list[int] = field(default_factory=list)
    # Many rows at once: day, local seconds, device number, device names.
    bulk: list[
        tuple[
            npt.NDArray[np.int64],
            npt.NDArray[np.float64],
            npt.NDArray[np.int64],
            list[str],
        ]
    ] = field(default_factory=list)

    def add(
        self,
        day: int,
        minute: float,
        entity_id: str,
        state: str,
        origin: Origin = Origin.MANUAL,
    ) -> None:
        self.day.append(np.asarray([day], dtype=np.int64))
        self.seconds.append(np.asarray([minute * 60.0]))
        self.entity.append(entity_id)
        self.state.append(state)
        self.origin.append(int(origin))


def household(
    kind: str,
    *,
    days: int = 60,
    seed: int = 1,
    start: date | None = None,
    timezone: tzinfo | None = None,
    extra_entities: int = 0,
    changes_per_entity_day: float = 20.0,
) -> tuple[ChangeTable, HouseholdTruth]:
    """Return a household of `kind` (see HOUSEHOLD_KINDS) and what was planted."""
    if kind not in HOUSEHOLD_KINDS:
        raise ValueError(f"unknown kind of household: {kind}")
    if kind == "dst_spring":
        start, timezone = start or date(2024, 3, 10), timezone or AMSTERDAM
    elif kind == "dst_autumn":
        start, timezone = start or date(2024, 10, 6), timezone or AMSTERDAM
    start = start or date(2024, 1, 1)
    timezone = timezone or UTC
    rng = np.random.default_rng(seed)
    calendar = _Calendar.of(start, days, timezone)
    truth = HouseholdTruth(
        kind=kind,
        timezone=timezone,
        start=datetime.fromtimestamp(int(calendar.midnights[0]), timezone),
        end=datetime.fromtimestamp(int(calendar.midnights[-1]), timezone),
        days=days,
        roles=dict(ROLES),
    )
    plans = _plans(kind, calendar, rng, truth)
    rows = _Rows()
    for offset, plan in enumerate(plans):
        _plant_day(rows, offset, plan, rng)
    _plant_nights(rows, kind, days, rng)
    if extra_entities:
        _extra(rows, plans, extra_entities, changes_per_entity_day, rng)
    return _table(rows, calendar, days), truth


def _plant_nights(rows: _Rows, kind: str, days: int, rng: np.random.Generator) -> None:
    """Add what happens in the nights: automations, the system, a restless sleeper."""
    for offset in range(days):
        # Nights are broken only by automations and the system.
        rows.add(
            offset,
            180 + float(rng.uniform(0, 10)),
            "light.porch",
            "on",
            Origin.AUTOMATED,
        )
        rows.add(
            offset,
            240 + float(rng.uniform(0, 10)),
            "light.porch",
            "off",
            Origin.AUTOMATED,
        )
        if offset % 9 == 4:
            rows.add(offset, 150, "light.kitchen", "unavailable", Origin.SYSTEM)
        if kind == "restless":
            # The sleeper turns over: the bedroom's sensor alone, after midnight.
            for minute in np.sort(rng.uniform(15, 5 * 60 - 15, rng.poisson(8))):
                rows.add(offset, float(minute), BEDROOM_MOTION, "on")
                rows.add(offset, float(minute) + 1, BEDROOM_MOTION, "off")
        if kind == "night_trips":
            _plant_night_trips(rows, offset, rng)


def _plant_night_trips(rows: _Rows, offset: int, rng: np.random.Generator) -> None:
    """Add a night's trips to the bathroom (minutes after the day's midnight)."""
    for around in (3 * 60, 5 * 60 + 30):
        first = around + float(rng.uniform(-10, 10))
        trip = [(0.0, BEDROOM_MOTION), (1.0, HALL_MOTION), (6.0, HALL_MOTION)]
        if rng.random() < 0.3:  # the paper from the doorstep, then back to bed
            trip += [(6.5, "binary_sensor.front_door"), (6.8, HALL_MOTION)]
        trip.append((8.0, BEDROOM_MOTION))
        for minute, entity_id in trip:
            rows.add(offset, first + minute, entity_id, "on")
            rows.add(offset, first + minute + 0.4, entity_id, "off")


def _plans(
    kind: str, calendar: _Calendar, rng: np.random.Generator, truth: HouseholdTruth
) -> list[_Day]:
    """Return each day's plan, and record the planted routines in `truth`."""
    # Per day, how far the morning and the bedtime are from their usual time.
    wake = rng.normal(0.0, WAKE_JITTER_MINUTES, (calendar.days, 2)).clip(-25, 25)
    planner = {
        "lie_ins": _lie_in_plans,
        "visitors": _visitor_plans,
        "shift_work": _shift_plans,
        "noise": _noise_plans,
        "sparse_noise": _noise_plans,
    }.get(kind, _steady_plans)
    return planner(kind, calendar, wake, rng, truth)


def _plant(
    truth: HouseholdTruth,
    routine: RoutineKind,
    day_class: DayClass,
    minute: int,
    actions: tuple[Action, ...],
) -> None:
    truth.routines.append(
        PlantedHouseholdRoutine(routine, day_class, minute % 1440, actions)
    )


def _usual_day(wake: float, bed: float) -> _Day:
    return _Day(
        morning=(wake, MORNING), bedtime=(bed, BEDTIME), spans=[(wake + 25, bed - 8)]
    )


type _Wake = npt.NDArray[np.float64]


def _steady_plans(
    kind: str,
    calendar: _Calendar,
    wake: _Wake,
    rng: np.random.Generator,
    truth: HouseholdTruth,
) -> list[_Day]:
    """The same morning and bedtime every day (a week away for `holiday`)."""
    del rng
    morning, bedtime = {
        "early_birds": (5 * 60, 20 * 60 + 30),
        "night_owls": (11 * 60, 26 * 60 + 30),
        "holiday": (7 * 60, 22 * 60 + 30),
    }.get(kind, (7 * 60, 23 * 60))
    _plant(truth, RoutineKind.MORNING, DayClass.DAILY, morning, MORNING)
    _plant(truth, RoutineKind.BEDTIME, DayClass.DAILY, bedtime, BEDTIME)
    plans = [_usual_day(morning + a, bedtime + b) for a, b in wake]
    if kind == "holiday":
        first = calendar.days // 3
        truth.away_days = frozenset(range(first, min(first + 7, calendar.days)))
        for offset in truth.away_days:
            plans[offset] = _Day()
    return plans


def _lie_in_plans(
    kind: str,
    calendar: _Calendar,
    wake: _Wake,
    rng: np.random.Generator,
    truth: HouseholdTruth,
) -> list[_Day]:
    """Weekdays up at 06:30, weekends at 09:00 with another routine; bed at 23:00."""
    del kind, rng
    _plant(truth, RoutineKind.MORNING, DayClass.WEEKDAYS, 6 * 60 + 30, MORNING)
    _plant(truth, RoutineKind.MORNING, DayClass.WEEKENDS, 9 * 60, WEEKEND_MORNING)
    _plant(truth, RoutineKind.BEDTIME, DayClass.DAILY, 23 * 60, BEDTIME)
    return [
        _Day(
            morning=(9 * 60 + a, WEEKEND_MORNING),
            bedtime=(23 * 60 + b, BEDTIME),
            spans=[(9 * 60 + 25 + a, 23 * 60 - 8 + b)],
        )
        if calendar.weekend[offset]
        else _usual_day(6 * 60 + 30 + a, 23 * 60 + b)
        for offset, (a, b) in enumerate(wake)
    ]


def _visitor_plans(
    kind: str,
    calendar: _Calendar,
    wake: _Wake,
    rng: np.random.Generator,
    truth: HouseholdTruth,
) -> list[_Day]:
    """07:00 and 22:30; an evening in eight has visitors and a bedtime at 23:30."""
    del kind
    _plant(truth, RoutineKind.MORNING, DayClass.DAILY, 7 * 60, MORNING)
    _plant(truth, RoutineKind.BEDTIME, DayClass.DAILY, 22 * 60 + 30, BEDTIME)
    days = calendar.days
    guests = set(rng.choice(days, max(1, days // 8), replace=False).tolist())
    guest_devices = (
        *DAY_DEVICES,
        "light.dining_room",
        "media_player.speaker",
        "light.guest_room",
    )
    return [
        _Day(
            morning=(7 * 60 + a, MORNING),
            bedtime=(23 * 60 + 30 + b, BEDTIME),
            spans=[(7 * 60 + 25 + a, 23 * 60 + 22 + b)],
            devices=guest_devices,
            per_hour=20.0,
        )
        if offset in guests
        else _usual_day(7 * 60 + a, 22 * 60 + 30 + b)
        for offset, (a, b) in enumerate(wake)
    ]


def _shift_plans(
    kind: str,
    calendar: _Calendar,
    wake: _Wake,
    rng: np.random.Generator,
    truth: HouseholdTruth,
) -> list[_Day]:
    """Early, late and night shifts a week each: up at 05:30, 10:00 and 15:00."""
    del kind, calendar, rng, truth
    shifts = ((5 * 60 + 30, 21 * 60 + 30), (10 * 60, 25 * 60 + 30), (15 * 60, 31 * 60))
    return [
        _usual_day(shifts[offset // 7 % 3][0] + a, shifts[offset // 7 % 3][1] + b)
        for offset, (a, b) in enumerate(wake)
    ]


def _noise_plans(
    kind: str,
    calendar: _Calendar,
    wake: _Wake,
    rng: np.random.Generator,
    truth: HouseholdTruth,
) -> list[_Day]:
    """Devices used at random, day and night: 4 uses an hour, or a few a day."""
    del wake, rng, truth
    per_hour = 4.0 if kind == "noise" else 0.2
    return [
        _Day(
            spans=[(0.0, 1440.0)],
            devices=(*DAY_DEVICES, "light.bedroom", "light.kitchen", HALL_MOTION),
            per_hour=per_hour,
        )
        for _ in range(calendar.days)
    ]


def _plant_day(rows: _Rows, offset: int, plan: _Day, rng: np.random.Generator) -> None:
    """Add one day's routines and random activity to `rows`."""
    for routine in (plan.morning, plan.bedtime):
        if routine is None:
            continue
        first, actions = routine
        for action in actions:
            if rng.random() >= action.probability:
                continue
            jitter = 0.0 if action.delay == 0 else float(rng.uniform(-0.5, 0.5))
            minute = first + action.delay + jitter
            rows.add(offset, minute, action.entity_id, action.state)
            if action.entity_id == HALL_MOTION:
                rows.add(offset, minute + 1.5, HALL_MOTION, "off")
    for begin, finish in plan.spans:
        count = int(rng.poisson(plan.per_hour * max(finish - begin, 0) / 60))
        minutes = np.sort(rng.uniform(begin, finish, count))
        devices = rng.integers(0, len(plan.devices), count)
        states = rng.integers(0, 2, count)
        for minute, device, state in zip(minutes, devices, states, strict=True):
            entity_id = plan.devices[int(device)]
            rows.add(offset, float(minute), entity_id, ("off", "on")[int(state)])


def _extra(
    rows: _Rows,
    plans: list[_Day],
    entities: int,
    per_entity_day: float,
    rng: np.random.Generator,
) -> None:
    """Add `entities` devices used at random while people are up."""
    spans = [plan.spans[0] if plan.spans else (0.0, 0.0) for plan in plans]
    awake = np.asarray([finish - begin for begin, finish in spans])
    counts = rng.poisson(entities * per_entity_day * (awake > 0), len(plans))
    day = np.repeat(np.arange(len(plans), dtype=np.int64), counts)
    begin = np.asarray([s[0] for s in spans])[day]
    minutes = begin + rng.random(day.shape[0]) * awake[day]
    names = [
        f"{('light', 'switch', 'binary_sensor', 'cover')[i % 4]}.device_{i:04d}"
        for i in range(entities)
    ]
    chosen = rng.integers(0, entities, day.shape[0])
    rows.bulk.append((day, minutes * 60.0, chosen, names))


def _table(rows: _Rows, calendar: _Calendar, days: int) -> ChangeTable:
    """Return the planted rows as a ChangeTable (UTC seconds, sorted)."""
    entity_index: dict[str, int] = {}
    state_index: dict[str, int] = {}
    entity = [entity_index.setdefault(e, len(entity_index)) for e in rows.entity]
    state = [state_index.setdefault(s, len(state_index)) for s in rows.state]
    day = np.concatenate(rows.day) if rows.day else np.zeros(0, np.int64)
    seconds = np.concatenate(rows.seconds) if rows.seconds else np.zeros(0)
    parts_entity = [np.asarray(entity, dtype=np.int32)]
    parts_state = [np.asarray(state, dtype=np.int32)]
    parts_origin = [np.asarray(rows.origin, dtype=np.int8)]
    parts_day, parts_seconds = [day], [seconds]
    for bulk_day, bulk_seconds, chosen, names in rows.bulk:
        offset = len(entity_index)
        for name in names:
            entity_index.setdefault(name, len(entity_index))
        on, off = (state_index.setdefault(s, len(state_index)) for s in ("on", "off"))
        parts_entity.append((chosen + offset).astype(np.int32))
        parts_state.append(np.where(chosen % 2 == 0, on, off).astype(np.int32))
        parts_origin.append(np.full(chosen.shape[0], Origin.MANUAL, dtype=np.int8))
        parts_day.append(bulk_day)
        parts_seconds.append(bulk_seconds)
    day = np.concatenate(parts_day)
    seconds = np.concatenate(parts_seconds)
    # Bedtimes after midnight belong to the next calendar day.
    whole = np.floor(seconds / 86_400).astype(np.int64)
    day, seconds = day + whole, seconds - whole * 86_400
    when = calendar.utc(np.clip(day, 0, days - 1), seconds)
    keep = (day >= 0) & (day < days)
    table = ChangeTable(
        entity_ids=list(entity_index),
        states=list(state_index),
        entity=np.concatenate(parts_entity)[keep],
        state=np.concatenate(parts_state)[keep],
        when=when[keep].astype(np.int64),
        origin=np.concatenate(parts_origin)[keep],
    )
    table.sort()
    return table
