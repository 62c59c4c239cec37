"""Learn the household's morning and bedtime per day class, and its away routine.

The nights (`nights.find_nights`) give each observed day its morning (the first
cluster of activity after the night's quiet) and its bedtime (the last one
before). Per kind and day class:

1. Usual actions: the (entity, state) that appear in at least STEP_SHARE of
   the class's occurrences, and in STEP_LIFT more of them than the house's
   everyday use of it would put there (`nights.Nights.rates`). A morning takes
   each action where it first happens, a bedtime where it last happens (the TV
   off for the night). A bedtime *starts* at its first usual action (a person
   crossing the hall before bedtime is not the bedtime); a morning where the
   night ends, at its first action: the nights already leave the night's
   stirrings inside the night, and a house with motion sensors only wakes with
   the bedroom's motion, which is everywhere in the day and so never usual.
2. Window: the WINDOW_HALF_MINUTES either side of the clock minute holding the
   most starts (a circular box sum, so 23:50 and 00:10 are neighbours); the
   typical start is the median of the starts in it, and the window narrows
   around it to the least half-width that keeps WINDOW_KEEP of them (the window
   runs from typical - half to typical + half, both included, and may wrap past
   midnight). Wider windows are not allowed: a household up at any time
   between 06:00 and 08:30 has waking hours, not a morning routine.
3. Evidence: support days (occurrences starting in the window) of the observed
   days of the class, the Wilson lower bound, and the habit miner's levels
   (`MiningSettings`): established from `min_confidence` over at least
   `min_observed_days` days, forming when it holds on `min_forming_share` of
   fewer or weaker days, none otherwise (shift work, noise).
4. Steps: over the supporting days, the actions seen in at least STEP_SHARE of
   them, by median delay after the start; starters: the actions that started
   them, most usual first.

Weekdays and weekends are learned apart; when both have the routine and their
typical starts lie within SAME_CLASS_MINUTES, it is one daily routine (learned
over all days). A routine that is missing says why in `missing`, per
f"{kind}_{day_class}".
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

import numpy as np
import numpy.typing as npt

from ..habits.model import ChangeTable, DayClass, MiningSettings, PatternLevel
from ..habits.time_of_day import (
    MINUTES_PER_DAY,
    minutes_apart,
    weekday_of,
    wilson_lower,
)
from .away import learn_away
from .model import (
    AwayRoutine,
    EntityRole,
    HouseholdRoutine,
    HouseholdRoutines,
    RoutineKind,
    RoutineStep,
)
from .nights import Nights, Occurrence, find_nights

type IntArray = npt.NDArray[np.int64]
type AwayLearner = Callable[..., tuple[AwayRoutine | None, str | None]]

# The widest window is an hour: a planted start jittering by 8 minutes a day
# keeps nearly all its days in it, while waking hours spread over two and a half
# hours keep at most 40 % of theirs (no routine, not even forming).
WINDOW_HALF_MINUTES = 30
WINDOW_KEEP = 0.9
MIN_HALF_MINUTES = 5
# An action belongs to the routine on at least half its days, and on 30 % more
# of them than chance.
STEP_SHARE = 0.5
STEP_LIFT = 0.3
# Starters are the actions that began at least a tenth of the occurrences.
STARTER_SHARE = 0.1
MAX_STARTERS = 3
# Weekdays and weekends this close are one daily routine.
SAME_CLASS_MINUTES = 30
FIRST_WEEKEND_DAY = 5  # weekday_of: Monday 0

# Why a routine is missing.
TOO_FEW_DAYS = "too_few_days"
NO_QUIET_NIGHT = "no_quiet_night"
NO_REGULAR_TIME = "no_regular_time"
CLASSES_DIFFER = "weekdays_and_weekends_differ"


@dataclass(frozen=True, slots=True)
class _Learned:
    routine: HouseholdRoutine | None
    reason: str | None


@dataclass(slots=True)
class _Marked:
    """An occurrence's actions, each once, where it counts, and where it starts.

    A morning counts each action where it first happens (the first light on),
    a bedtime where it last happens (the TV off for the night, not when it was
    paused an hour before).
    """

    occurrence: Occurrence
    keys: IntArray  # each action once
    positions: IntArray  # where each counts, in the occurrence
    start: int = 0  # position of the first usual action

    @classmethod
    def of(cls, occurrence: Occurrence, kind: RoutineKind) -> _Marked:
        if kind is RoutineKind.MORNING:
            keys, positions = np.unique(occurrence.keys, return_index=True)
        else:
            keys, backwards = np.unique(occurrence.keys[::-1], return_index=True)
            positions = occurrence.keys.shape[0] - 1 - backwards
        return cls(occurrence, keys, positions.astype(np.int64))

    def begin_at_first(self, usual: set[int]) -> None:
        """Start at the first usual action (at the first action when none is)."""
        chosen = self.positions[np.isin(self.keys, np.fromiter(usual, np.int64))]
        self.start = int(chosen.min()) if chosen.shape[0] else int(self.positions.min())

    @property
    def minutes(self) -> float:
        """Return how long the occurrence lasts, at least a minute."""
        when = self.occurrence.when
        return max(float(when[-1] - when[0]) / 60, 1.0)

    @property
    def start_minute(self) -> int:
        return int(self.occurrence.minute[self.start])

    @property
    def start_key(self) -> int:
        return int(self.occurrence.keys[self.start])

    def delays(self) -> list[tuple[int, int]]:
        """Return (key, seconds after the start) of the actions from the start on."""
        when = self.occurrence.when
        return [
            (int(key), int(when[position] - when[self.start]))
            for key, position in zip(self.keys, self.positions, strict=True)
            if position >= self.start
        ]


def learn_household(
    table: ChangeTable,
    *,
    timezone: tzinfo,
    end: datetime,
    roles: Mapping[str, EntityRole],
    away: AwayLearner | None = None,
) -> HouseholdRoutines:
    """Return the household's morning, bedtime (per day class) and away routine.

    `roles` says which entities are presences and motion sensors (see
    `nights`); `away` learns the away routine (the module `away` by default).
    """
    if away is None:
        away = learn_away
    nights = find_nights(table, timezone=timezone, end=end, roles=roles)
    settings = MiningSettings()
    routines: list[HouseholdRoutine] = []
    missing: dict[str, str] = {}
    for kind in RoutineKind:
        found, reasons = _learn_kind(kind, nights, table, settings)
        routines.extend(found)
        missing.update(reasons)
    away_routine, away_reason = away(table, timezone=timezone, end=end, roles=roles)
    if away_routine is None:
        missing["away"] = away_reason or "no_away"
    return HouseholdRoutines(
        routines=tuple(routines), away=away_routine, missing=missing
    )


def _learn_kind(
    kind: RoutineKind, nights: Nights, table: ChangeTable, settings: MiningSettings
) -> tuple[list[HouseholdRoutine], dict[str, str]]:
    """Return the routines of one kind and why the other day classes have none."""
    if kind is RoutineKind.MORNING:
        days, occurrences = nights.morning_days, nights.mornings
    else:
        days, occurrences = nights.bedtime_days, nights.bedtimes
    weekend = np.asarray(
        [weekday_of(int(d)) >= FIRST_WEEKEND_DAY for d in days], dtype=np.bool_
    )
    learned = {
        day_class: _learn_class(
            kind, day_class, days[mask], occurrences, table, nights, settings
        )
        for day_class, mask in (
            (DayClass.DAILY, np.ones(days.shape[0], dtype=np.bool_)),
            (DayClass.WEEKDAYS, ~weekend),
            (DayClass.WEEKENDS, weekend),
        )
    }
    daily = learned[DayClass.DAILY].routine
    weekdays = learned[DayClass.WEEKDAYS].routine
    weekends = learned[DayClass.WEEKENDS].routine
    if weekdays and weekends:
        if daily and minutes_apart(weekdays.typical_start, weekends.typical_start) <= (
            SAME_CLASS_MINUTES
        ):
            return [daily], {}
        return [weekdays, weekends], {f"{kind}_{DayClass.DAILY}": CLASSES_DIFFER}
    if weekdays:
        return _one_class(kind, weekdays, DayClass.WEEKENDS, learned)
    if weekends:
        return _one_class(kind, weekends, DayClass.WEEKDAYS, learned)
    if daily:
        return [daily], {}
    return [], {f"{kind}_{c}": str(learned[c].reason) for c in DayClass}


def _one_class(
    kind: RoutineKind,
    kept: HouseholdRoutine,
    other: DayClass,
    learned: Mapping[DayClass, _Learned],
) -> tuple[list[HouseholdRoutine], dict[str, str]]:
    """Return the routine of the one class that has it, or daily when it may be.

    Daily when the other class has too few days to tell and all days together
    keep the routine at the same time.
    """
    daily = learned[DayClass.DAILY].routine
    if (
        daily
        and learned[other].reason == TOO_FEW_DAYS
        and minutes_apart(daily.typical_start, kept.typical_start) <= SAME_CLASS_MINUTES
    ):
        return [daily], {}
    return [kept], {
        f"{kind}_{DayClass.DAILY}": CLASSES_DIFFER,
        f"{kind}_{other}": str(learned[other].reason),
    }


def _learn_class(  # noqa: PLR0913
    kind: RoutineKind,
    day_class: DayClass,
    days: IntArray,
    occurrences: Mapping[int, Occurrence],
    table: ChangeTable,
    nights: Nights,
    settings: MiningSettings,
) -> _Learned:
    """Return the routine of one kind and day class, or why there is none."""
    observed = int(days.shape[0])
    if observed < settings.min_forming_days:
        return _Learned(None, TOO_FEW_DAYS)
    found = [occurrences[int(d)] for d in days if int(d) in occurrences]
    if len(found) < settings.min_forming_share * observed - 1e-9:
        return _Learned(None, NO_QUIET_NIGHT)
    marked = [_Marked.of(occurrence, kind) for occurrence in found]
    usual = _usual_actions(marked, nights.rates)
    if kind is RoutineKind.BEDTIME:
        for item in marked:
            item.begin_at_first(usual)
    starts = np.asarray([item.start_minute for item in marked], dtype=np.int64)
    typical, half = _window(starts)
    inside = [
        i
        for i, start in enumerate(starts)
        if minutes_apart(int(start), typical) <= half
    ]
    support = len(inside)
    confidence = wilson_lower(support, observed)
    level = _level(support, observed, confidence, settings)
    if level is None:
        return _Learned(None, NO_REGULAR_TIME)
    kept = [marked[i] for i in inside]
    return _Learned(
        HouseholdRoutine(
            routine_id=f"{kind}_{day_class}",
            kind=kind,
            day_class=day_class,
            typical_start=typical,
            window_start=(typical - half) % MINUTES_PER_DAY,
            window_end=(typical + half) % MINUTES_PER_DAY,
            starters=_starters(kept, table, nights.state_count),
            steps=_steps(kept, usual, table, nights.state_count),
            support_days=support,
            observed_days=observed,
            confidence=round(confidence, 4),
            level=level,
            quiet_minutes=round(
                float(np.median([item.occurrence.quiet_minutes for item in kept]))
            ),
        ),
        None,
    )


def _level(
    support: int, observed: int, confidence: float, settings: MiningSettings
) -> PatternLevel | None:
    """Return the level the habit miner would give the routine's evidence.

    Established when its Wilson bound reaches `min_confidence` over at least
    `min_observed_days` days; forming when it holds on `min_forming_share` of
    its days all the same (young, or weaker); none otherwise.
    """
    if confidence >= settings.min_confidence and observed >= settings.min_observed_days:
        return PatternLevel.ESTABLISHED
    if support >= settings.min_forming_share * observed - 1e-9:
        return PatternLevel.FORMING
    return None


def _usual_actions(marked: list[_Marked], rates: Mapping[int, float]) -> set[int]:
    """Return the actions that make the routine: usual in it, and more than chance.

    An action is usual when it is in at least STEP_SHARE of the occurrences and
    in STEP_LIFT more of them than its everyday rate would put in stretches of
    their lengths: a device used fifty times a day is in every hour, so it is
    no part of the morning.
    """
    seen: Counter[int] = Counter()
    for item in marked:
        seen.update(int(key) for key in item.keys)
    lengths = np.asarray([item.minutes for item in marked], dtype=np.float64)
    usual: set[int] = set()
    for key, times in seen.items():
        share = times / len(marked)
        if share < STEP_SHARE:
            continue
        chance = float(np.mean(-np.expm1(-rates.get(key, 0.0) * lengths)))
        if share >= chance + STEP_LIFT:
            usual.add(key)
    return usual


def _window(starts: IntArray) -> tuple[int, int]:
    """Return the typical start and the half-width of the window holding most starts.

    The WINDOW_HALF_MINUTES around the densest minute of the clock hold the
    most starts; their median (as offsets from it, so midnight is no edge) is
    the typical start, and the window around it is the narrowest keeping
    WINDOW_KEEP of the starts the widest holds.
    """
    counts = np.bincount(starts % MINUTES_PER_DAY, minlength=MINUTES_PER_DAY)
    width = 2 * WINDOW_HALF_MINUTES + 1
    wrapped = np.concatenate([counts[-WINDOW_HALF_MINUTES:], counts, counts])
    sums = np.convolve(wrapped, np.ones(width, dtype=np.int64), mode="valid")
    densest = int(np.argmax(sums[:MINUTES_PER_DAY]))
    offsets = _offsets(starts, densest)
    near = offsets[np.abs(offsets) <= WINDOW_HALF_MINUTES]
    typical = (densest + round(float(np.median(near)))) % MINUTES_PER_DAY
    distance = np.abs(_offsets(starts, typical))
    widest = int(np.count_nonzero(distance <= WINDOW_HALF_MINUTES))
    for half in range(MIN_HALF_MINUTES, WINDOW_HALF_MINUTES):
        if np.count_nonzero(distance <= half) >= math.ceil(WINDOW_KEEP * widest):
            return typical, half
    return typical, WINDOW_HALF_MINUTES


def _offsets(minutes: IntArray, centre: int) -> IntArray:
    """Return the signed minutes from `centre` to each minute, in (-720, 720]."""
    half = MINUTES_PER_DAY // 2
    return (minutes - centre + half - 1) % MINUTES_PER_DAY - half + 1


def _action(key: int, table: ChangeTable, state_count: int) -> tuple[str, str]:
    entity, state = divmod(key, state_count)
    return table.entity_ids[entity], table.states[state]


def _starters(
    kept: list[_Marked], table: ChangeTable, state_count: int
) -> tuple[tuple[str, str], ...]:
    """Return the actions that usually start the routine, most usual first."""
    started = Counter(item.start_key for item in kept)
    ranked = sorted(started.items(), key=lambda item: (-item[1], item[0]))
    return tuple(
        _action(key, table, state_count)
        for key, times in ranked[:MAX_STARTERS]
        if times >= STARTER_SHARE * len(kept)
    )


def _steps(
    kept: list[_Marked], usual: set[int], table: ChangeTable, state_count: int
) -> tuple[RoutineStep, ...]:
    """Return the usual actions from the start on, by their median delay.

    Only actions usual over all the class's occurrences (`usual`) are steps, and
    only when they are in STEP_SHARE of the supporting ones.
    """
    delays: dict[int, list[int]] = {}
    for item in kept:
        for key, delay in item.delays():
            delays.setdefault(key, []).append(delay)
    steps = [
        (round(float(np.median(found))), -len(found), key, len(found) / len(kept))
        for key, found in delays.items()
        if key in usual and len(found) >= STEP_SHARE * len(kept)
    ]
    steps.sort()
    return tuple(
        RoutineStep(
            entity_id=_action(key, table, state_count)[0],
            state=_action(key, table, state_count)[1],
            typical_delay_seconds=delay,
            share=round(share, 4),
        )
        for delay, _, key, share in steps
    )
