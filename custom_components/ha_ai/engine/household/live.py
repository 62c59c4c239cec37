"""Follows the household live: says when its morning, bedtime and absence begin.

The learned routines (`HouseholdRoutines`) say when the household usually wakes,
goes to bed and leaves; the follower hears each state change as it happens and
tells, as `Moment`s, when one of them begins today. It knows nothing of Home
Assistant: the caller says who made each change (`Origin`) and what the entity
tells of the household (`EntityRole`), and calls `tick` every minute for what
happens by the clock alone (a silence that confirms the house is empty).

Definitions, all in the household's local time:

- Activity: a manual change (of anything but a presence entity), or motion
  turning on. The household is quiet while there is none.
- Morning: the first usual action of the morning routine (one of its starters or
  steps going to its state, made by a person) inside the routine's window for
  today's day class, after the night's quiet (a silence of at least half the
  routine's learned quiet, or of `MIN_NIGHT_QUIET`, where motion alone between
  midnight and the earliest morning window is a sleeper stirring, not the end
  of the night; ended within the last
  `NIGHT_QUIET_RECENT`). Once per local day.
- Bedtime: the first usual action of the bedtime routine inside its window. A
  bedtime belongs to its evening: a window minute before noon lies after
  midnight, and the day class is the evening's. Once per evening.
- Away, presence source: every presence entity of the routine away from home;
  back home when the first of them returns. Learned source: a leaving action,
  then `quiet_minutes` without activity (the doors and locks of leaving do not
  break it); announced at the end of the silence, `at` the leaving time; the
  next activity, door or lock is the return.
- Nothing of a day class the routine does not have, and nothing of a forming
  routine unless the user asked for forming routines too.

The household state (`state`):

- AWAY while the house is empty;
- MORNING from the morning's start until its last usual step's typical delay
  (the window's end for a routine without steps);
- BEDTIME from bedtime's start until the household settles (`SETTLE` without
  activity), then NIGHT until the morning begins, at the latest until the next
  morning window ends (or the learned quiet has passed, without a morning);
- by the clock otherwise: NIGHT from the bedtime window's end to the morning
  window's end, EVENING during the `EVENING_BEFORE_BEDTIME` before the bedtime
  window and while the window lasts, DAY the rest of the day.

`memory` is what must survive a restart: which occurrences already began (per
local day), the last activity, the recent silences and the absence, so that a
restart repeats nothing already announced and a restart mid-morning does not
announce the morning again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from ..habits.model import SYSTEM_STATES, DayClass, Origin, PatternLevel
from ..habits.occurrence import in_day_class
from .model import (
    AwayRoutine,
    AwaySource,
    EntityRole,
    HouseholdRoutine,
    HouseholdRoutines,
    HouseholdState,
    MomentKind,
    RoutineKind,
    RoutineStep,
)

MEMORY_VERSION = 1
# The night's quiet: a silence at least this long (or half the learned one, if
# longer) that ended this recently.
MIN_NIGHT_QUIET = timedelta(hours=1)
NIGHT_QUIET_RECENT = timedelta(hours=12)
# The household has settled after bedtime once it was quiet this long.
SETTLE = timedelta(minutes=30)
EVENING_BEFORE_BEDTIME = timedelta(hours=3)
# An occurrence is followed this long at most (a bedtime never lasts a day).
OCCURRENCE_SPAN = timedelta(hours=18)
HOME = "home"
# Silences kept for the night's quiet; older ones can no longer be "recent".
_SILENCES_KEPT = 8
_NOON = 12 * 60


@dataclass(frozen=True, slots=True, kw_only=True)
class Moment:
    """One routine beginning now, as announced on the bus and by the event entity."""

    kind: MomentKind
    routine_id: str
    at: datetime
    level: PatternLevel
    confidence: float
    # The action that started it (None for a presence change of the away routine).
    started_by: tuple[str, str] | None = None
    # The routine's usual steps after the one that started it, by typical delay.
    follows: tuple[RoutineStep, ...] = ()
    day_class: DayClass | None = None
    window: tuple[int, int] | None = None  # local minutes of day, start and end
    source: AwaySource | None = None


def clock_text(minute: int) -> str:
    """Return a local minute of the day as HH:MM."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def moment_fields(moment: Moment) -> dict[str, Any]:
    """Return what a moment says, ready for JSON (the bus's event, the entity's)."""
    return {
        "routine_id": moment.routine_id,
        "kind": str(moment.kind),
        "at": moment.at.isoformat(),
        "started_by": (
            None
            if moment.started_by is None
            else {"entity_id": moment.started_by[0], "state": moment.started_by[1]}
        ),
        "follows": [
            {
                "entity_id": step.entity_id,
                "state": step.state,
                "typical_delay_seconds": step.typical_delay_seconds,
                "share": step.share,
            }
            for step in moment.follows
        ],
        "level": str(moment.level),
        "confidence": moment.confidence,
        "day_class": None if moment.day_class is None else str(moment.day_class),
        "window": (
            None
            if moment.window is None
            else {
                "start": clock_text(moment.window[0]),
                "end": clock_text(moment.window[1]),
            }
        ),
        "away_source": None if moment.source is None else str(moment.source),
    }


def routine_windows(routines: HouseholdRoutines) -> dict[str, Any]:
    """Return the learned windows per routine and day class, for the state sensor."""
    windows: dict[str, Any] = {str(kind): {} for kind in RoutineKind}
    for routine in routines.routines:
        windows[str(routine.kind)][str(routine.day_class)] = {
            "typical_start": clock_text(routine.typical_start),
            "window_start": clock_text(routine.window_start),
            "window_end": clock_text(routine.window_end),
            "level": str(routine.level),
            "confidence": routine.confidence,
        }
    away = routines.away
    return {
        **windows,
        "away_source": None if away is None else str(away.source),
    }


@dataclass(slots=True)
class _Occurrence:
    """One routine begun on one (local) day."""

    day: date
    at: datetime
    routine_id: str
    settled: bool = False


@dataclass(slots=True)
class _Away:
    """What the follower knows of the house being empty."""

    away: bool = False
    since: datetime | None = None
    leaving_at: datetime | None = None
    leaving_action: tuple[str, str] | None = None
    presence: dict[str, bool] = field(default_factory=dict)  # entity: at home


class HouseholdFollower:
    """Turns live state changes into the household's moments and state."""

    def __init__(
        self,
        routines: HouseholdRoutines,
        timezone: tzinfo,
        *,
        announce_forming: bool,
        memory: Mapping[str, Any] | None = None,
    ) -> None:
        """Follow `routines` in `timezone`, resuming from a restored `memory`."""
        self.routines = routines
        self.timezone = timezone
        self.announce_forming = announce_forming
        self._occurrences: dict[RoutineKind, _Occurrence] = {}
        self._last_activity: datetime | None = None
        self._silences: list[tuple[datetime, datetime]] = []
        self._away = _Away()
        if memory is not None:
            self._restore(memory)

    def use_routines(self, routines: HouseholdRoutines) -> None:
        """Follow newly learned routines; what already began today stays begun."""
        self.routines = routines

    # Live input

    def observe(
        self,
        when: datetime,
        entity_id: str,
        state: str,
        origin: Origin,
        role: EntityRole | None,
    ) -> list[Moment]:
        """Hear one state change; return the moments it begins.

        A presence entity counts whoever changed it; anything else only when a
        person did: an automation's change (a presence simulation while away)
        is not the household.
        """
        if state in SYSTEM_STATES:
            return []
        if role is EntityRole.PRESENCE:
            return self._presence_changed(when, entity_id, state)
        if origin is not Origin.MANUAL or (role is EntityRole.MOTION and state != "on"):
            return []
        action = (entity_id, state)
        moments = self._learned_return(when, action)
        self._note_leaving(when, action, role)
        if not self._stirring(when, role):
            self._note_activity(when)
        if not self._away.away:
            for kind in RoutineKind:
                moment = self._routine_begins(kind, when, action)
                if moment is not None:
                    moments.append(moment)
        return moments

    def tick(self, now: datetime) -> list[Moment]:
        """Return the moments the clock alone begins: an absence confirmed.

        The silence before the first change heard counts from the first tick.
        """
        if self._last_activity is None:
            self._last_activity = now
        away = self.routines.away
        if (
            away is None
            or away.source is not AwaySource.LEARNED
            or self._away.away
            or self._away.leaving_at is None
            or now - self._away.leaving_at < timedelta(minutes=away.quiet_minutes)
        ):
            return []
        return self._left(away, self._away.leaving_at, self._away.leaving_action)

    # State

    def state(self, now: datetime) -> HouseholdState | None:
        """Return where the household is in its day (None: nothing learned)."""
        if self._away.away:
            return HouseholdState.AWAY
        if not self.routines.routines:
            return None if self.routines.away is None else HouseholdState.DAY
        local = now.astimezone(self.timezone)
        morning = self._occurrences.get(RoutineKind.MORNING)
        if morning is not None and morning.at <= now < self._morning_end(morning):
            return HouseholdState.MORNING
        bedtime_state = self._bedtime_state(now, morning)
        if bedtime_state is not None:
            return bedtime_state
        return self._clock_state(local)

    def _morning_end(self, occurrence: _Occurrence) -> datetime:
        routine = self._routine_by_id(occurrence.routine_id)
        if routine is None:
            return occurrence.at
        delays = [step.typical_delay_seconds for step in routine.steps]
        if delays and max(delays) > 0:
            return occurrence.at + timedelta(seconds=max(delays))
        return self._window(routine, occurrence.day)[1]

    def _bedtime_state(
        self, now: datetime, morning: _Occurrence | None
    ) -> HouseholdState | None:
        bedtime = self._occurrences.get(RoutineKind.BEDTIME)
        if bedtime is None or not bedtime.at <= now < bedtime.at + OCCURRENCE_SPAN:
            return None
        if morning is not None and morning.at > bedtime.at:
            return None
        if not self._settled(bedtime, now):
            return HouseholdState.BEDTIME
        if now < self._night_end(bedtime):
            return HouseholdState.NIGHT
        return None

    def _settled(self, bedtime: _Occurrence, now: datetime) -> bool:
        if bedtime.settled:
            return True
        last = max(bedtime.at, self._last_activity or bedtime.at)
        return now - last >= SETTLE

    def _night_end(self, bedtime: _Occurrence) -> datetime:
        morning_day = bedtime.day + timedelta(days=1)
        morning = self._routine_of(RoutineKind.MORNING, morning_day)
        if morning is not None:
            return self._window(morning, morning_day)[1]
        routine = self._routine_by_id(bedtime.routine_id)
        quiet = 0 if routine is None else routine.quiet_minutes
        return bedtime.at + timedelta(minutes=quiet)

    def _clock_state(self, local: datetime) -> HouseholdState:
        today = local.date()
        for evening in (today - timedelta(days=1), today):
            bedtime = self._routine_of(RoutineKind.BEDTIME, evening)
            morning_day = evening + timedelta(days=1)
            morning = self._routine_of(RoutineKind.MORNING, morning_day)
            night_start: datetime | None = None
            night_end: datetime | None = None
            if bedtime is not None:
                start, end = self._window(bedtime, evening)
                if start - EVENING_BEFORE_BEDTIME <= local < end:
                    return HouseholdState.EVENING
                night_start = end
                night_end = end + timedelta(minutes=bedtime.quiet_minutes)
            if morning is not None:
                start, end = self._window(morning, morning_day)
                night_end = end
                begun = self._occurrences.get(RoutineKind.MORNING)
                if begun is not None and begun.day == morning_day:
                    night_end = min(end, begun.at)  # the morning ended the night
                if night_start is None:
                    night_start = start - timedelta(minutes=morning.quiet_minutes)
            if (
                night_start is not None
                and night_end is not None
                and night_start <= local < night_end
            ):
                return HouseholdState.NIGHT
        return HouseholdState.DAY

    # Routines by day

    def _routine_of(self, kind: RoutineKind, day: date) -> HouseholdRoutine | None:
        """Return the routine of `kind` for the day class of `day`, if any."""
        for routine in self.routines.routines:
            if routine.kind is kind and in_day_class(day, routine.day_class):
                return routine
        return None

    def _routine_by_id(self, routine_id: str) -> HouseholdRoutine | None:
        for routine in self.routines.routines:
            if routine.routine_id == routine_id:
                return routine
        return None

    def _window(
        self, routine: HouseholdRoutine, day: date
    ) -> tuple[datetime, datetime]:
        """Return the routine's window on `day` (its morning, or its evening)."""
        start = self._at(day, routine.window_start, routine.kind)
        end = self._at(day, routine.window_end, routine.kind)
        if end < start:
            end += timedelta(days=1)
        return start, end

    def _at(self, day: date, minute: int, kind: RoutineKind) -> datetime:
        """Return a local minute of `day` (of its night, for a bedtime before noon)."""
        if kind is RoutineKind.BEDTIME and minute < _NOON:
            day += timedelta(days=1)
        local = datetime.combine(day, time(minute // 60 % 24, minute % 60))
        return local.replace(tzinfo=self.timezone)

    def _allowed(self, level: PatternLevel) -> bool:
        return level is PatternLevel.ESTABLISHED or self.announce_forming

    # Morning and bedtime

    def _routine_begins(
        self, kind: RoutineKind, when: datetime, action: tuple[str, str]
    ) -> Moment | None:
        for day, routine in self._candidates(kind, when):
            if not _is_usual(routine, action):
                continue
            start, end = self._window(routine, day)
            if not start <= when <= end:
                continue
            known = self._occurrences.get(kind)
            if known is not None and known.day >= day:
                return None
            if kind is RoutineKind.MORNING and not self._after_night_quiet(
                routine, when
            ):
                return None
            self._occurrences[kind] = _Occurrence(
                day=day, at=when, routine_id=routine.routine_id
            )
            if not self._allowed(routine.level):
                return None
            return Moment(
                kind=_MOMENT_OF[kind],
                routine_id=routine.routine_id,
                at=when,
                level=routine.level,
                confidence=routine.confidence,
                started_by=action,
                follows=tuple(
                    step
                    for step in routine.steps
                    if (step.entity_id, step.state) != action
                ),
                day_class=routine.day_class,
                window=(routine.window_start, routine.window_end),
            )
        return None

    def _candidates(
        self, kind: RoutineKind, when: datetime
    ) -> Iterator[tuple[date, HouseholdRoutine]]:
        today = when.astimezone(self.timezone).date()
        for day in (today, today - timedelta(days=1)):
            routine = self._routine_of(kind, day)
            if routine is not None:
                yield day, routine

    def _after_night_quiet(self, routine: HouseholdRoutine, when: datetime) -> bool:
        needed = max(MIN_NIGHT_QUIET, timedelta(minutes=routine.quiet_minutes) / 2)
        return any(
            end - start >= needed and when - end <= NIGHT_QUIET_RECENT
            for start, end in self._silences
        )

    def _stirring(self, when: datetime, role: EntityRole | None) -> bool:
        """Return whether this is a sleeper stirring, which the night's quiet keeps.

        As the learning sees nights (`nights`): motion alone after midnight and
        before the earliest morning window (a trip to the bathroom, a turn in
        bed) does not end the night. A light, a device or a door does.
        """
        if role is not EntityRole.MOTION:
            return False
        starts = [
            routine.window_start
            for routine in self.routines.routines
            if routine.kind is RoutineKind.MORNING
        ]
        local = when.astimezone(self.timezone)
        return bool(starts) and local.hour * 60 + local.minute < min(starts)

    def _note_activity(self, when: datetime) -> None:
        last = self._last_activity
        if last is not None and when - last >= MIN_NIGHT_QUIET:
            self._silences = [*self._silences, (last, when)][-_SILENCES_KEPT:]
        bedtime = self._occurrences.get(RoutineKind.BEDTIME)
        if bedtime is not None and not bedtime.settled and last is not None:
            bedtime.settled = when - max(last, bedtime.at) >= SETTLE
        if last is None or when > last:
            self._last_activity = when

    # Away

    def _presence_changed(
        self, when: datetime, entity_id: str, state: str
    ) -> list[Moment]:
        away = self.routines.away
        if away is None or away.source is not AwaySource.PRESENCE:
            return []
        watched = away.presence_entities
        if watched and entity_id not in watched:
            return []
        presence = self._away.presence
        presence[entity_id] = state == HOME
        everyone = watched or tuple(presence)
        if all(presence.get(entity) is False for entity in everyone):
            if self._away.away:
                return []
            return self._left(away, when, (entity_id, state))
        if self._away.away and presence[entity_id]:
            return self._returned(away, when, (entity_id, state))
        return []

    def _note_leaving(
        self, when: datetime, action: tuple[str, str], role: EntityRole | None
    ) -> None:
        """Start the silence that would confirm leaving, or end it."""
        away = self.routines.away
        if away is None or away.source is not AwaySource.LEARNED or self._away.away:
            return
        if action in away.leaving:
            self._away.leaving_at = when
            self._away.leaving_action = action
        elif role not in (EntityRole.DOOR, EntityRole.LOCK):
            self._away.leaving_at = None  # someone is still home
            self._away.leaving_action = None

    def _learned_return(self, when: datetime, action: tuple[str, str]) -> list[Moment]:
        """Return `back_home` for the first activity in a house learned empty."""
        away = self.routines.away
        if away is None or away.source is not AwaySource.LEARNED or not self._away.away:
            return []
        return self._returned(away, when, action)

    def _left(
        self, away: AwayRoutine, at: datetime, started_by: tuple[str, str] | None
    ) -> list[Moment]:
        self._away.away = True
        self._away.since = at
        self._away.leaving_at = None
        self._away.leaving_action = None
        return self._away_moment(MomentKind.AWAY, away, at, started_by)

    def _returned(
        self, away: AwayRoutine, at: datetime, started_by: tuple[str, str]
    ) -> list[Moment]:
        self._away.away = False
        self._away.since = None
        return self._away_moment(MomentKind.BACK_HOME, away, at, started_by)

    def _away_moment(
        self,
        kind: MomentKind,
        away: AwayRoutine,
        at: datetime,
        started_by: tuple[str, str] | None,
    ) -> list[Moment]:
        if not self._allowed(away.level):
            return []
        return [
            Moment(
                kind=kind,
                routine_id=away.routine_id,
                at=at,
                level=away.level,
                confidence=away.confidence,
                started_by=started_by,
                source=away.source,
            )
        ]

    # Memory

    def memory(self) -> dict[str, Any]:
        """Return what a restart must not forget, ready for JSON."""
        return {
            "version": MEMORY_VERSION,
            "occurrences": {
                str(kind): {
                    "day": occurrence.day.isoformat(),
                    "at": occurrence.at.isoformat(),
                    "routine_id": occurrence.routine_id,
                    "settled": occurrence.settled,
                }
                for kind, occurrence in self._occurrences.items()
            },
            "last_activity": _iso(self._last_activity),
            "silences": [
                [start.isoformat(), end.isoformat()] for start, end in self._silences
            ],
            "away": {
                "away": self._away.away,
                "since": _iso(self._away.since),
                "leaving_at": _iso(self._away.leaving_at),
                "leaving_action": (
                    None
                    if self._away.leaving_action is None
                    else list(self._away.leaving_action)
                ),
            },
        }

    def _restore(self, memory: Mapping[str, Any]) -> None:
        """Take back what a memory holds; anything of the wrong shape is left out."""
        occurrences = memory.get("occurrences")
        if isinstance(occurrences, Mapping):
            for kind in RoutineKind:
                occurrence = _occurrence(occurrences.get(str(kind)))
                if occurrence is not None:
                    self._occurrences[kind] = occurrence
        self._last_activity = _moment(memory.get("last_activity"))
        silences = memory.get("silences")
        if isinstance(silences, list):
            for item in silences[-_SILENCES_KEPT:]:
                if isinstance(item, list) and len(item) == 2:  # noqa: PLR2004
                    start, end = _moment(item[0]), _moment(item[1])
                    if start is not None and end is not None:
                        self._silences.append((start, end))
        away = memory.get("away")
        if isinstance(away, Mapping):
            self._away.away = away.get("away") is True
            self._away.since = _moment(away.get("since"))
            self._away.leaving_at = _moment(away.get("leaving_at"))
            action = away.get("leaving_action")
            if (
                isinstance(action, list)
                and len(action) == 2  # noqa: PLR2004
                and all(isinstance(part, str) for part in action)
            ):
                self._away.leaving_action = (action[0], action[1])


_MOMENT_OF = {
    RoutineKind.MORNING: MomentKind.MORNING_ROUTINE,
    RoutineKind.BEDTIME: MomentKind.BEDTIME,
}


def _is_usual(routine: HouseholdRoutine, action: tuple[str, str]) -> bool:
    return action in routine.starters or any(
        (step.entity_id, step.state) == action for step in routine.steps
    )


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(value: object) -> datetime | None:
    """Return an aware time from its ISO text; None for anything else."""
    if not isinstance(value, str) or len(value) > 64:  # noqa: PLR2004
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _occurrence(value: object) -> _Occurrence | None:
    if not isinstance(value, Mapping):
        return None
    at = _moment(value.get("at"))
    day_text = value.get("day")
    routine_id = value.get("routine_id")
    if at is None or not isinstance(day_text, str) or not isinstance(routine_id, str):
        return None
    try:
        day = date.fromisoformat(day_text)
    except ValueError:
        return None
    return _Occurrence(
        day=day, at=at, routine_id=routine_id, settled=value.get("settled") is True
    )
