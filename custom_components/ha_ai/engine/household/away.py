"""When the house is empty: from presence entities, or the learned signature of leaving.

With `person` / `device_tracker` entities the answer is theirs: the house is away
while none of them is `home` (a zone name or `not_home` both mean elsewhere),
for at least a quarter of an hour.

Without them the house tells it by its doors and its silence. Activity is every
manual change (a light, a switch, a door) and motion starting; presence and
motion ending are not activity, nor is a lone motion start a quarter of an hour
from anything else (a hall sensor seeing the postman through the glass). A
*silence* is the time between two activities.
Leaving is a door or lock action just before a silence; coming back is a door
or lock action just after it, for someone who stays home and sits still never
opens the front door to end it. The night is not away: silences of hours that no
door begins are the household's nights, and a door-begun silence around their
middle (a dog let out at bedtime, the door locked) is one of them too.

How long the silence after a door must last (`quiet_minutes`, Q) is learned: the
shortest length from 30 minutes on after which nearly every door-begun silence
of the history ended with a door again, so that Q minutes of silence after the
door tell, live, that the house is empty. Every such silence of at least Q is an
absence; they must end with a door far more often than chance (the share of
the day's pauses a door ends) would, and happen on several days, or nothing is
learned.

An absence still going on at the end of the history is not counted: its length
is not known yet. The evidence is told as for habits: the share of observed
days with an absence (a Wilson lower bound), and the level, forming while the
absences are on few days or the history is young.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo

import numpy as np
import numpy.typing as npt

from ..habits.model import SYSTEM_STATES, ChangeTable, Origin, PatternLevel
from ..habits.significance import binomial_tail, wilson_lower
from ..habits.time_of_day import MINUTES_PER_DAY, local_day_and_minute
from .model import AwayRoutine, AwaySource, EntityRole

type IntArray = npt.NDArray[np.int64]
type BoolArray = npt.NDArray[np.bool_]

# Why no away routine was learned (HouseholdRoutines.missing["away"]).
NO_SIGNALS = "no_presence_and_no_door"
TOO_FEW = "too_few_absences"
NEVER_AWAY = "never_away"

HOME = "home"
LOCKED = "locked"
UNLOCKED = "unlocked"
MOTION_ON = "on"

# Presence: every person away for at least this long is an absence.
MIN_PRESENCE_SECONDS = 15 * 60
# Learned: a door or lock action at most this long before a silence begins it,
# and at most this long after one ends it (a hall's motion sensor may fire a
# few seconds around the door).
LEAVE_SECONDS = 120
RETURN_SECONDS = 120
# The lengths of silence after a door tried for Q, in minutes.
QUIET_GRID = (30, 45, 60, 90, 120, 180, 240, 360)
# A motion start this long from any other activity on both sides is no one home.
BLIP_SECONDS = 15 * 60
# Of the door-begun silences of at least Q, the share a door must end.
RETURN_SHARE = 0.8
# How improbable it must be that chance (the share of the day's pauses of at
# least CHANCE_SILENCE_SECONDS a door ends) ends so many silences with a door.
CHANCE_BAR = 1e-3
CHANCE_SILENCE_SECONDS = 5 * 60
# Silences this long that no door begins are nights; a door-begun silence
# starting and ending within NIGHT_REACH of their typical middle is one too.
NIGHT_SECONDS = 3 * 3600
NIGHT_REACH_SECONDS = 6 * 3600
NIGHT_GRID_MINUTES = 15
NIGHT_PEAK_MINUTES = 90
# Absences on this many distinct days are needed at all; established from
# ESTABLISHED_DAYS days, over MIN_OBSERVED_DAYS observed (the habit miner's bar).
MIN_AWAY_DAYS = 3
ESTABLISHED_DAYS = 5
MIN_OBSERVED_DAYS = 7
# An action is part of leaving (or coming back) when it came with this share of
# the absences.
ACTION_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Absence:
    """One time the house was empty, in UTC epoch seconds."""

    start: int
    end: int

    @property
    def minutes(self) -> float:
        """Return how long it lasted."""
        return (self.end - self.start) / 60


@dataclass(frozen=True, slots=True)
class AwayFindings:
    """The away routine (or why there is none) and the absences it rests on."""

    routine: AwayRoutine | None
    reason: str | None
    absences: tuple[Absence, ...] = ()


def learn_away(
    table: ChangeTable,
    *,
    timezone: tzinfo,
    end: datetime,
    roles: Mapping[str, EntityRole],
) -> tuple[AwayRoutine | None, str | None]:
    """Return the household's away routine, or None and the reason it is missing."""
    found = find_absences(table, timezone=timezone, end=end, roles=roles)
    return found.routine, found.reason


def find_absences(
    table: ChangeTable,
    *,
    timezone: tzinfo,
    end: datetime,
    roles: Mapping[str, EntityRole],
) -> AwayFindings:
    """Return the away routine with the absences of the history it was learned from.

    Presence entities decide when any was observed; else the doors and locks
    with the silence after them; a house with neither has no away routine.
    """
    presence = _entities_with_role(table, roles, {EntityRole.PRESENCE})
    if presence:
        return _from_presence(table, presence, timezone, end)
    doors = _entities_with_role(table, roles, {EntityRole.DOOR, EntityRole.LOCK})
    if not doors:
        return AwayFindings(None, NO_SIGNALS)
    return _from_signature(table, roles, timezone, end)


def _entities_with_role(
    table: ChangeTable, roles: Mapping[str, EntityRole], wanted: set[EntityRole]
) -> tuple[str, ...]:
    """Return the entities of these roles that changed to a real state, sorted."""
    real = np.asarray(
        [state not in SYSTEM_STATES for state in table.states], dtype=np.bool_
    )
    seen: list[int] = (
        [int(i) for i in np.unique(table.entity[real[table.state]])]
        if len(table)
        else []
    )
    return tuple(
        sorted(
            table.entity_ids[i]
            for i in seen
            if roles.get(table.entity_ids[i]) in wanted
        )
    )


# --- presence ---------------------------------------------------------------------


def _from_presence(
    table: ChangeTable, presence: tuple[str, ...], timezone: tzinfo, end: datetime
) -> AwayFindings:
    """Return the absences when every presence entity was away at once."""
    index = {entity_id: table.entity_ids.index(entity_id) for entity_id in presence}
    wanted = np.isin(table.entity, list(index.values()))
    known: dict[int, bool] = {}  # entity -> home
    since: int | None = None  # when all became known
    left: int | None = None  # when the last one left
    absences: list[Absence] = []
    for row in np.flatnonzero(wanted):
        state = table.states[int(table.state[row])]
        if state in SYSTEM_STATES:
            continue
        when = int(table.when[row])
        known[int(table.entity[row])] = state == HOME
        if len(known) < len(index):
            continue
        if since is None:
            since = when
        away = not any(known.values())
        if away and left is None:
            left = when
        elif not away and left is not None:
            if when - left >= MIN_PRESENCE_SECONDS:
                absences.append(Absence(left, when))
            left = None
    # Every entity given has a real state, so all become known at some point.
    first = since if since is not None else int(table.when[0])
    observed = _observed_days(first, end, timezone)
    routine, reason = _routine(
        absences,
        observed,
        timezone,
        source=AwaySource.PRESENCE,
        presence_entities=presence,
    )
    return AwayFindings(routine, reason, tuple(absences))


# --- the learned signature -----------------------------------------------------


@dataclass(slots=True)
class _Silences:
    """The house's silences: each between two consecutive activities."""

    start: IntArray  # the last activity before
    end: IntArray  # the first activity after
    left: BoolArray  # a leaving action came at most LEAVE_SECONDS before start
    returned: BoolArray  # a return action came at most RETURN_SECONDS after end

    @property
    def seconds(self) -> IntArray:
        return self.end - self.start


def _from_signature(
    table: ChangeTable,
    roles: Mapping[str, EntityRole],
    timezone: tzinfo,
    end: datetime,
) -> AwayFindings:
    """Return the absences the doors and the silence after them show."""
    activity = _activity(table, roles)
    activity &= ~_lone_blips(table, roles, activity)
    leave, back = _door_actions(table, roles, activity)
    times = table.when[activity]
    if times.shape[0] < 2:  # noqa: PLR2004 - a silence needs two activities
        return AwayFindings(None, NEVER_AWAY)
    silences = _silences(times, table.when[leave], table.when[back])
    nights = _nights(silences, timezone)
    candidate = silences.left & ~nights
    chance = _door_ending_share(silences, nights)
    quiet = _quiet_minutes(silences, candidate)
    if quiet is None:
        return AwayFindings(None, NEVER_AWAY)
    chosen = candidate & silences.returned & (silences.seconds >= quiet * 60)
    begun = int(np.count_nonzero(candidate & (silences.seconds >= quiet * 60)))
    if binomial_tail(int(np.count_nonzero(chosen)), begun, chance) > CHANCE_BAR:
        return AwayFindings(None, TOO_FEW)
    absences = [
        Absence(int(s), int(e))
        for s, e in zip(silences.start[chosen], silences.end[chosen], strict=True)
    ]
    routine, reason = _routine(
        absences,
        _observed_days(int(times[0]), end, timezone),
        timezone,
        source=AwaySource.LEARNED,
        leaving=_usual_actions(table, leave, absences, before=True),
        quiet_minutes=quiet,
        coming_back=_usual_actions(table, back, absences, before=False),
    )
    return AwayFindings(routine, reason, tuple(absences))


def _activity(table: ChangeTable, roles: Mapping[str, EntityRole]) -> BoolArray:
    """Return which changes are someone at home doing something.

    Manual changes of anything but presence, and of motion sensors only their
    start (a sensor clearing itself minutes later is nobody's doing).
    """
    role_of = [roles.get(entity_id) for entity_id in table.entity_ids]
    presence = np.asarray([r is EntityRole.PRESENCE for r in role_of], dtype=np.bool_)
    motion = np.asarray([r is EntityRole.MOTION for r in role_of], dtype=np.bool_)
    motion_on = np.asarray([s == MOTION_ON for s in table.states], dtype=np.bool_)
    return np.asarray(
        (table.origin == int(Origin.MANUAL))
        & ~presence[table.entity]
        & (~motion[table.entity] | motion_on[table.state]),
        dtype=np.bool_,
    )


def _lone_blips(
    table: ChangeTable, roles: Mapping[str, EntityRole], activity: BoolArray
) -> BoolArray:
    """Return the motion starts with no other activity for long on either side.

    A hall sensor seeing the postman through the glass, or a curtain moving,
    while nobody is in: one lone start, BLIP_SECONDS from anything else.
    """
    rows = np.flatnonzero(activity)
    blips = np.zeros(activity.shape[0], dtype=np.bool_)
    if rows.shape[0] < 3:  # noqa: PLR2004 - a blip has a neighbour on each side
        return blips
    when = table.when[rows]
    motion = np.asarray(
        [roles.get(entity_id) is EntityRole.MOTION for entity_id in table.entity_ids],
        dtype=np.bool_,
    )[table.entity[rows]]
    gap = np.diff(when)
    alone = np.zeros(rows.shape[0], dtype=np.bool_)
    alone[1:-1] = (gap[:-1] >= BLIP_SECONDS) & (gap[1:] >= BLIP_SECONDS)
    blips[rows[alone & motion]] = True
    return blips


def _door_actions(
    table: ChangeTable, roles: Mapping[str, EntityRole], activity: BoolArray
) -> tuple[BoolArray, BoolArray]:
    """Return which activities may be leaving, and which coming back.

    A door opening or closing is both; a lock locking is leaving, unlocking
    coming back.
    """
    role_of = [roles.get(entity_id) for entity_id in table.entity_ids]
    door = np.asarray([r is EntityRole.DOOR for r in role_of], dtype=np.bool_)
    lock = np.asarray([r is EntityRole.LOCK for r in role_of], dtype=np.bool_)
    locked = np.asarray([s == LOCKED for s in table.states], dtype=np.bool_)
    unlocked = np.asarray([s == UNLOCKED for s in table.states], dtype=np.bool_)
    is_door = door[table.entity]
    is_lock = lock[table.entity]
    leave = activity & (is_door | (is_lock & locked[table.state]))
    back = activity & (is_door | (is_lock & unlocked[table.state]))
    return leave, back


def _silences(times: IntArray, leave: IntArray, back: IntArray) -> _Silences:
    """Return every silence between consecutive activities, with its doors."""
    start, end = times[:-1], times[1:]
    moving = end > start
    return _Silences(
        start=start,
        end=end,
        left=moving & _within(leave, start, -LEAVE_SECONDS),
        returned=moving & _within(back, end, RETURN_SECONDS),
    )


def _within(marks: IntArray, moments: IntArray, reach: int) -> BoolArray:
    """Return which moments have a mark at most `reach` seconds after (or before).

    `marks` is sorted; a negative reach looks back from each moment.
    """
    if not marks.shape[0]:
        return np.zeros(moments.shape[0], dtype=np.bool_)
    if reach < 0:
        index = np.searchsorted(marks, moments, side="right") - 1
        found = marks[np.maximum(index, 0)]
        return np.asarray((index >= 0) & (moments - found <= -reach), dtype=np.bool_)
    index = np.searchsorted(marks, moments, side="left")
    found = marks[np.minimum(index, marks.shape[0] - 1)]
    return np.asarray(
        (index < marks.shape[0]) & (found - moments <= reach), dtype=np.bool_
    )


def _nights(silences: _Silences, timezone: tzinfo) -> BoolArray:
    """Return which silences are the household's nights.

    The night's middle is the time of day most long silences that no door
    both began and ended have their middle near (a night worker's nights are
    by day, and may begin right after the front door); a
    silence around it that began and ended within NIGHT_REACH_SECONDS of it is
    the night's, whatever came before it.
    """
    seconds = silences.seconds
    quiet = ~(silences.left & silences.returned) & (seconds >= NIGHT_SECONDS)
    if not np.any(quiet):
        return np.zeros(seconds.shape[0], dtype=np.bool_)
    middles = silences.start[quiet] + seconds[quiet] // 2
    _, minutes = local_day_and_minute(middles, timezone)
    core = _busiest_minute(minutes)
    _, start_minute = local_day_and_minute(silences.start, timezone)
    # The first moment at the night's middle after each silence began (the local
    # clock's minute; a daylight-saving change moves it by an hour at most).
    to_core = ((core - start_minute) % MINUTES_PER_DAY) * 60
    at_core = silences.start + to_core
    return np.asarray(
        (at_core <= silences.end)
        & (to_core <= NIGHT_REACH_SECONDS)
        & (silences.end - at_core <= NIGHT_REACH_SECONDS),
        dtype=np.bool_,
    )


def _busiest_minute(minutes: IntArray) -> int:
    """Return the minute of the day (on a grid) with the most of `minutes` near it.

    Near is within NIGHT_PEAK_MINUTES, around midnight too; the first of equals.
    """
    grid = np.arange(0, MINUTES_PER_DAY, NIGHT_GRID_MINUTES)
    apart = np.abs(grid[:, None] - minutes[None, :]) % MINUTES_PER_DAY
    apart = np.minimum(apart, MINUTES_PER_DAY - apart)
    near = np.count_nonzero(apart <= NIGHT_PEAK_MINUTES, axis=1)
    return int(grid[int(np.argmax(near))])


def _door_ending_share(silences: _Silences, nights: BoolArray) -> float:
    """Return the share of the day's pauses that a door or lock ends anyway.

    Of the silences of at least CHANCE_SILENCE_SECONDS that are not nights: how
    often the next activity is a door, whatever came before. A house whose
    activity is mostly its doors ends most silences with one, away or not.
    """
    pauses = ~nights & (silences.seconds >= CHANCE_SILENCE_SECONDS)
    # Never none: every silence that may be an absence is such a pause.
    count = max(int(np.count_nonzero(pauses)), 1)
    return float(np.count_nonzero(pauses & silences.returned)) / count


def _quiet_minutes(silences: _Silences, candidate: BoolArray) -> int | None:
    """Return the shortest silence after a door that tells the house is empty.

    The first length of QUIET_GRID after which at least RETURN_SHARE of the
    door-begun silences (not nights) ended with a door; None when no length
    does or no such silence ended with a door at all.
    """
    seconds = silences.seconds
    for minutes in QUIET_GRID:
        longer = candidate & (seconds >= minutes * 60)
        begun = int(np.count_nonzero(longer))
        ended = int(np.count_nonzero(longer & silences.returned))
        if ended and ended >= RETURN_SHARE * begun:
            return minutes
    return None


def _usual_actions(
    table: ChangeTable,
    actions: BoolArray,
    absences: Sequence[Absence],
    *,
    before: bool,
) -> tuple[tuple[str, str], ...]:
    """Return the door and lock actions that came with most absences.

    Those at most LEAVE_SECONDS before each absence began (`before`) or at most
    RETURN_SECONDS after it ended, kept when they came with ACTION_SHARE of
    them, most usual first (ties: the usual order).
    """
    rows = np.flatnonzero(actions)
    when = table.when[rows]
    counts: Counter[tuple[str, str]] = Counter()
    order: dict[tuple[str, str], list[int]] = {}
    for absence in absences:
        if before:
            first = np.searchsorted(when, absence.start - LEAVE_SECONDS, side="left")
            last = np.searchsorted(when, absence.start, side="right")
        else:
            first = np.searchsorted(when, absence.end, side="left")
            last = np.searchsorted(when, absence.end + RETURN_SECONDS, side="right")
        seen: dict[tuple[str, str], int] = {}
        for position, row in enumerate(rows[first:last]):
            action = (
                table.entity_ids[int(table.entity[row])],
                table.states[int(table.state[row])],
            )
            seen.setdefault(action, position)
        counts.update(seen.keys())
        for action, position in seen.items():
            order.setdefault(action, []).append(position)
    usual = [a for a, n in counts.items() if n >= ACTION_SHARE * len(absences)]
    usual.sort(key=lambda a: (-counts[a], float(np.median(order[a])), a))
    return tuple(usual)


# --- the routine ------------------------------------------------------------------


def _observed_days(first: int, end: datetime, timezone: tzinfo) -> int:
    """Return the local days from the one of `first` to the one before `end`."""
    days, _ = local_day_and_minute(
        np.asarray([first, int(end.timestamp()) - 1], dtype=np.int64), timezone
    )
    return max(int(days[1] - days[0]) + 1, 1)


def _routine(  # noqa: PLR0913
    absences: Sequence[Absence],
    observed: int,
    timezone: tzinfo,
    *,
    source: AwaySource,
    presence_entities: tuple[str, ...] = (),
    leaving: tuple[tuple[str, str], ...] = (),
    quiet_minutes: int = 0,
    coming_back: tuple[tuple[str, str], ...] = (),
) -> tuple[AwayRoutine | None, str | None]:
    """Return the routine the absences make, or None and why."""
    if not absences:
        return None, NEVER_AWAY
    starts = np.asarray([a.start for a in absences], dtype=np.int64)
    days, _ = local_day_and_minute(starts, timezone)
    away_days = int(np.unique(days).shape[0])
    if away_days < MIN_AWAY_DAYS:
        return None, TOO_FEW
    established = away_days >= ESTABLISHED_DAYS and observed >= MIN_OBSERVED_DAYS
    observed = max(observed, away_days)
    return (
        AwayRoutine(
            occurrences=len(absences),
            observed_days=observed,
            typical_duration_minutes=round(
                float(np.median([a.minutes for a in absences]))
            ),
            confidence=round(wilson_lower(away_days, observed), 4),
            level=PatternLevel.ESTABLISHED if established else PatternLevel.FORMING,
            source=source,
            presence_entities=presence_entities,
            leaving=leaving,
            quiet_minutes=quiet_minutes,
            coming_back=coming_back,
        ),
        None,
    )
