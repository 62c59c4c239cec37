"""The household's nights: when it falls quiet, and the activity on either side.

Activity is what people do in the house: every manual change (Origin.MANUAL) of
an entity that is not a presence (a phone leaving is nobody in the house), and
every motion sensor going "on" (whatever made it: a sensor has no context; its
"off" is a timer running out, not a person). Automations and the system are not
people, so an automated porch light at 03:00 does not end the night. Nor does a
motion sensor firing alone in the small hours (00:00 to 05:00, no other
entity's activity within ALONE_MINUTES): a sleeper turning over sets the
bedroom's sensor off all night in real recordings, while anyone up (a visit to
the bathroom, a morning) moves through more than one room or touches something.

The night's quiet of local day D (the day of the morning it ends in) is built
from the silences between consecutive activity, in real (UTC) seconds:

- silences of at least CLUSTER_GAP_MINUTES are joined into one *rest* across
  the *stirrings* between them: someone up in the night who only moves (motion
  sensors, and a door opened and shut with someone moving inside after it),
  touches nothing, begins after midnight and is back in bed within
  STIR_MINUTES, or keeps to one motion sensor however long (a sleeper restless
  in bed). Real sleepers get up for the bathroom two or three times a night,
  so a night is seldom one long silence; what ends it is the first activity
  that is more than that: a light, a device, several rooms for longer, or
  leaving. A stirring before midnight is not joined: it cannot be told from
  the bedtime itself, which is as short and as silent on either side;
- a rest is a *night rest* when it lasts from QUIET_MINUTES to
  MAX_QUIET_MINUTES (longer is an absence, not a night), begins between 18:00
  and 05:00 and ends between midnight and 14:00 on the local wall clock (so it
  holds part of the small hours). An early bird asleep from 20:30 to 04:30 and
  a night owl asleep from 03:00 to 11:00 both have nights, while a night-shift
  worker asleep from 08:00 to 16:00 has none, an evening out (18:00 to 23:30)
  is no night, and an empty house during the working day is never one;
- the night rests ending on day D are one night, from the first's beginning
  to the last's end: someone up for an hour at 02:30, between two long rests,
  stays inside it (one that leaves less than QUIET_MINUTES of sleep after it
  ends the night early).

The *morning* of D is the first cluster of activity after its night (actions
each less than CLUSTER_GAP_MINUTES after the one before), cut at
ROUTINE_SPAN_MINUTES after its first action; the *bedtime* of the evening before
(day D - 1, even when it begins after midnight: a night owl's 02:30 bedtime
belongs to the day before) is the last cluster before the night, cut to the
ROUTINE_SPAN_MINUTES before its last action. A busy house whose activity never
breaks thus keeps an hour at most on each side of its night.

A day is observed for mornings when it and the day before had activity, for
bedtimes when it and the day after had: days away (no activity at all) and the
days one leaves or comes back on are not held against a routine. Only whole
days before `end` are observed (as for the habit miner): a morning not yet
over, or not yet begun, is not judged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

import numpy as np
import numpy.typing as npt

from ..habits.model import ChangeTable, Origin
from ..habits.time_of_day import (
    MINUTES_PER_DAY,
    SECONDS_PER_DAY,
    local_day_and_minute,
    utc_offsets,
)
from .model import EntityRole

type IntArray = npt.NDArray[np.int64]
type BoolArray = npt.NDArray[np.bool_]

QUIET_MINUTES = 180
MAX_QUIET_MINUTES = 16 * 60
# Local wall-clock minutes a night rest may begin in ([18:00, 05:00)) and
# end in ([00:00, 14:00)).
NIGHT_BEGINS = (18 * 60, 5 * 60)
NIGHT_ENDS = (0, 14 * 60)
CLUSTER_GAP_MINUTES = 30
ROUTINE_SPAN_MINUTES = 60
MOTION_ON = "on"
# A motion sensor firing alone in the small hours is a sleeper turning over.
ALONE_MINUTES = 10
SMALL_HOURS = (0, 5 * 60)
# Someone up for the bathroom in the night moves through a room or two, touches
# nothing and is back in bed within this; such a stirring begins after midnight
# (and before the latest a night may end).
STIR_MINUTES = 20
STIR_HOURS = (0, 14 * 60)


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One day's morning or bedtime: its actions in time order.

    `keys` are entity * len(table.states) + state; `when` UTC seconds; `minute`
    the local minute of the day of each action.
    """

    day: int  # local day number (days since 1970-01-01) the routine belongs to
    keys: IntArray
    when: IntArray
    minute: IntArray
    quiet_minutes: int


@dataclass(slots=True)
class Nights:
    """Each observed day's morning and bedtime, when the day had one."""

    state_count: int
    morning_days: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    bedtime_days: IntArray = field(default_factory=lambda: np.zeros(0, np.int64))
    mornings: dict[int, Occurrence] = field(default_factory=dict)
    bedtimes: dict[int, Occurrence] = field(default_factory=dict)
    # Per action key, how often it happens per waking minute (the minutes of the
    # active days outside their nights): what chance puts in any stretch of the
    # day, so a routine's actions are told from the house's everyday ones.
    rates: dict[int, float] = field(default_factory=dict)


def find_nights(
    table: ChangeTable,
    *,
    timezone: tzinfo,
    end: datetime,
    roles: Mapping[str, EntityRole],
) -> Nights:
    """Return the mornings and bedtimes of the table's activity before `end`."""
    state_count = max(1, len(table.states))
    nights = Nights(state_count=state_count)
    activity, motion, door = _activity(table, roles, int(end.timestamp()))
    chosen = np.flatnonzero(activity)
    # Local wall-clock seconds (zoneinfo's offsets, exact across daylight saving);
    # minutes of the day are read where needed only.
    local = table.when[chosen] + utc_offsets(table.when[chosen], timezone)
    moving = np.flatnonzero(motion[chosen])
    turning_over = moving[_within(_minute(local[moving]), SMALL_HOURS)]
    keep = np.ones(chosen.shape[0], dtype=np.bool_)
    keep[_alone(table, chosen, turning_over)] = False
    chosen, local = chosen[keep], local[keep]
    if chosen.shape[0] < 2:  # noqa: PLR2004 - a silence needs two actions
        return nights
    when = table.when[chosen]
    keys = table.entity[chosen].astype(np.int64) * state_count + table.state[chosen]
    moved, opened = motion[chosen], door[chosen]
    del chosen
    day = local // SECONDS_PER_DAY
    end_day = int(
        local_day_and_minute(np.asarray([int(end.timestamp())]), timezone)[0][0]
    )

    active = np.unique(day)
    nights.morning_days = active[np.isin(active - 1, active) & (active < end_day)]
    nights.bedtime_days = active[np.isin(active + 1, active) & (active + 1 < end_day)]

    breaks = np.flatnonzero(np.diff(when) >= CLUSTER_GAP_MINUTES * 60)
    asleep_at, awake_at = _rests(
        breaks, when, _minute(local), (moved, opened), keys // state_count
    )
    rest = when[awake_at] - when[asleep_at]
    night = (
        (rest >= QUIET_MINUTES * 60)
        & (rest <= MAX_QUIET_MINUTES * 60)
        & _within(_minute(local[asleep_at]), NIGHT_BEGINS)
        & _within(_minute(local[awake_at]), NIGHT_ENDS)
    )
    asleep_at, awake_at = asleep_at[night], awake_at[night]
    del rest, night
    ending_day = day[awake_at]
    span = ROUTINE_SPAN_MINUTES * 60
    last = when.shape[0] - 1
    quiet_total = 0
    for morning_day in (int(d) for d in np.unique(ending_day)):
        same = ending_day == morning_day
        # The night's last and first actions.
        asleep, awake = int(asleep_at[same][0]), int(awake_at[same][-1])
        quiet = int(when[awake] - when[asleep]) // 60
        quiet_total += quiet
        # Morning: from the first action after the night to the next break.
        after = int(np.searchsorted(breaks, awake))
        stop = int(breaks[after]) + 1 if after < breaks.shape[0] else last + 1
        stop = min(stop, int(np.searchsorted(when, when[awake] + span, "right")))
        nights.mornings[morning_day] = Occurrence(
            morning_day,
            keys[awake:stop],
            when[awake:stop],
            _minute(local[awake:stop]),
            quiet,
        )
        # Bedtime: from the break before the night's first silence to it.
        before = int(np.searchsorted(breaks, asleep)) - 1
        start = int(breaks[before]) + 1 if before >= 0 else 0
        start = max(start, int(np.searchsorted(when, when[asleep] - span, "left")))
        nights.bedtimes[morning_day - 1] = Occurrence(
            morning_day - 1,
            keys[start : asleep + 1],
            when[start : asleep + 1],
            _minute(local[start : asleep + 1]),
            quiet,
        )
    waking = max(active.shape[0] * MINUTES_PER_DAY - quiet_total, 1)
    counted, counts = np.unique(keys, return_counts=True)
    nights.rates = {
        int(key): int(count) / waking
        for key, count in zip(counted, counts, strict=True)
    }
    return nights


def _rests(
    breaks: IntArray,
    when: IntArray,
    minute: IntArray,
    sensed: tuple[BoolArray, BoolArray],
    entity: IntArray,
) -> tuple[IntArray, IntArray]:
    """Return the rests: silences joined across stirrings, as action positions.

    `breaks` are the positions after which a silence of CLUSTER_GAP_MINUTES
    begins; `sensed` tells which actions are motion and which doors. A stirring
    (see the module's docstring) is the activity between two such silences when
    it is only motion and doors, ends with motion (someone still inside),
    begins in STIR_HOURS, and lasts at most STIR_MINUTES or keeps to one sensor.
    A rest runs from the action before its first silence (`asleep_at`) to the
    action after its last (`awake_at`).
    """
    if breaks.shape[0] == 0:
        return breaks, breaks + 1
    # Between breaks[k] and breaks[k + 1]: the actions breaks[k] + 1 .. breaks[k + 1].
    first, final = breaks[:-1] + 1, breaks[1:]
    moved, opened = sensed
    touched = np.concatenate([[0], np.cumsum(~(moved | opened), dtype=np.int64)])
    # How many times the entity changed up to each action.
    switches = np.concatenate([[0], np.cumsum(entity[1:] != entity[:-1])])
    stirring = (
        (
            (when[final] - when[first] <= STIR_MINUTES * 60)
            | (switches[final] == switches[first])
        )
        & (touched[final + 1] == touched[first])
        & moved[final]
        & _within(minute[first], STIR_HOURS)
    )
    # A rest begins at every break not reached by a stirring from the one before.
    begins = np.flatnonzero(np.concatenate([[True], ~stirring]))
    ends = np.append(begins[1:] - 1, breaks.shape[0] - 1)
    asleep_at: IntArray = breaks[begins]
    awake_at: IntArray = breaks[ends] + 1
    return asleep_at, awake_at


def _activity(
    table: ChangeTable, roles: Mapping[str, EntityRole], end_ts: int
) -> tuple[BoolArray, BoolArray, BoolArray]:
    """Return which changes are people's activity, motion sensors, and doors.

    See the module's docstring.
    """
    role_of = [roles.get(entity_id) for entity_id in table.entity_ids]
    presence = np.asarray(
        [i for i, r in enumerate(role_of) if r is EntityRole.PRESENCE], np.int32
    )
    motion = np.asarray(
        [i for i, r in enumerate(role_of) if r is EntityRole.MOTION], np.int32
    )
    door = np.asarray(
        [i for i, r in enumerate(role_of) if r is EntityRole.DOOR], np.int32
    )
    is_motion = np.isin(table.entity, motion)
    manual = (table.origin == Origin.MANUAL) & ~is_motion
    manual &= ~np.isin(table.entity, presence)
    motion_on = is_motion & (table.origin != Origin.SYSTEM)
    on = table.states.index(MOTION_ON) if MOTION_ON in table.states else -1
    motion_on &= table.state == on
    activity: BoolArray = (manual | motion_on) & (table.when < end_ts)
    return activity, is_motion, np.isin(table.entity, door)


def _alone(table: ChangeTable, chosen: IntArray, candidates: IntArray) -> IntArray:
    """Return which `candidates` (positions in `chosen`) happened alone.

    Alone: no other entity's activity within ALONE_MINUTES either side. The
    nearest other entity's change is just before the candidate's run of one
    entity's changes, or just after it.
    """
    if candidates.shape[0] == 0:
        return candidates
    entity = table.entity[chosen]
    count = entity.shape[0]
    new_run = np.ones(count, dtype=np.bool_)
    new_run[1:] = entity[1:] != entity[:-1]
    firsts = np.flatnonzero(new_run)
    del new_run
    run = np.searchsorted(firsts, candidates, side="right") - 1
    first = firsts[run]
    last = np.append(firsts[1:] - 1, count - 1)[run]
    when = table.when[chosen[candidates]]
    window = ALONE_MINUTES * 60
    quiet_before = (first == 0) | (
        when - table.when[chosen[np.maximum(first - 1, 0)]] > window
    )
    quiet_after = (last == count - 1) | (
        table.when[chosen[np.minimum(last + 1, count - 1)]] - when > window
    )
    alone: IntArray = candidates[quiet_before & quiet_after]
    return alone


def _minute(local: IntArray) -> IntArray:
    """Return the minute of the day of local wall-clock seconds."""
    minute: IntArray = local % SECONDS_PER_DAY // 60
    return minute


def _within(minute: IntArray, span: tuple[int, int]) -> BoolArray:
    """Tell which local minutes lie in [first, last) of the clock, across midnight."""
    first, last = span
    inside: BoolArray = ((minute - first) % MINUTES_PER_DAY) < (
        (last - first) % MINUTES_PER_DAY
    )
    return inside
