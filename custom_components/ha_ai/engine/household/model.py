"""What HA AI knows of a household's rhythm: its morning, its bedtime, when it is away.

A household routine is bigger than one habit: the morning is the first cluster of
activity after the night's quiet (lights, a kettle, blinds, in their usual order),
bedtime the last one before it, and "away" the house empty. They are learned per
day class from the same history as the habits (`learn`), and followed live
(`live`), which announces each as it begins. A household that does not have one
(night shifts, nobody ever away) gets none: nothing here is ever invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ..habits.model import DayClass, PatternLevel


class RoutineKind(StrEnum):
    """Which of the household's routines."""

    MORNING = "morning"
    BEDTIME = "bedtime"


class EntityRole(StrEnum):
    """What an entity tells about the household, beyond its own state.

    Home Assistant knows it (a person, a device tracker, a binary sensor's device
    class); the log only holds entity ids and states, so the caller says it.
    """

    PRESENCE = "presence"  # person.*, device_tracker.*: home / not_home
    MOTION = "motion"  # binary_sensor of class motion, occupancy, presence
    DOOR = "door"  # binary_sensor of class door, garage_door, opening
    LOCK = "lock"  # lock.*


class AwaySource(StrEnum):
    """How HA AI knows the house is empty."""

    PRESENCE = "presence"  # every person / device tracker away
    LEARNED = "learned"  # the learned signature: a door, then lasting silence


class HouseholdState(StrEnum):
    """Where the household is in its day; the household-state sensor's states."""

    NIGHT = "night"
    MORNING = "morning"
    DAY = "day"
    EVENING = "evening"
    BEDTIME = "bedtime"
    AWAY = "away"


class MomentKind(StrEnum):
    """What the live follower announces; the event entity's event types."""

    MORNING_ROUTINE = "morning_routine"
    BEDTIME = "bedtime"
    AWAY = "away"
    BACK_HOME = "back_home"


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutineStep:
    """One usual action of a routine: an entity going to a state."""

    entity_id: str
    state: str
    # Median delay after the routine's first action, on the days it happened.
    typical_delay_seconds: int
    # Share of the routine's occurrences that included this action (0..1).
    share: float


@dataclass(frozen=True, slots=True, kw_only=True)
class HouseholdRoutine:
    """A morning or a bedtime, for one day class."""

    routine_id: str  # stable across analyses: f"{kind}_{day_class}"
    kind: RoutineKind
    day_class: DayClass
    # The typical start (local minute of day, 0..1439; the median first action)
    # and the window that holds the starts of most occurrences. A window may wrap
    # past midnight (a bedtime from 23:40 to 00:30: start 1420, end 30).
    typical_start: int
    window_start: int
    window_end: int
    # The actions that usually start it ((entity_id, state), most usual first),
    # and the usual actions in their usual order (by typical delay).
    starters: tuple[tuple[str, str], ...]
    steps: tuple[RoutineStep, ...]
    # Days of the class with an occurrence, of the days of the class observed.
    support_days: int
    observed_days: int
    confidence: float  # Wilson lower bound of support_days / observed_days
    level: PatternLevel
    # The night's quiet it follows (morning) or precedes (bedtime), in minutes:
    # the typical length of the silence of manual changes and motion.
    quiet_minutes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AwayRoutine:
    """The house empty: how HA AI tells it, and how often it happened."""

    routine_id: str = "away"
    source: AwaySource
    # PRESENCE: the persons / device trackers that must all be away.
    presence_entities: tuple[str, ...] = ()
    # LEARNED: the actions that usually come just before leaving ((entity_id,
    # state): the front door opening, a lock locking), the silence after them
    # that confirms it (no manual change, no motion), and the actions that
    # usually mark the return.
    leaving: tuple[tuple[str, str], ...] = ()
    quiet_minutes: int = 0
    coming_back: tuple[tuple[str, str], ...] = ()
    # How often the house was away in the history, on how many days observed.
    occurrences: int
    observed_days: int
    typical_duration_minutes: int
    confidence: float
    level: PatternLevel


@dataclass(frozen=True, slots=True)
class HouseholdRoutines:
    """Everything one analysis learned of the household's rhythm."""

    routines: tuple[HouseholdRoutine, ...] = ()
    away: AwayRoutine | None = None
    # Why a routine is missing, per (kind, day class) or "away" (for the
    # diagnostics and the entity's attributes): "no_quiet_night", "too_few_days"...
    missing: dict[str, str] = field(default_factory=dict)

    def routine(
        self, kind: RoutineKind, day_class: DayClass
    ) -> HouseholdRoutine | None:
        """Return the routine of this kind for this day class, if learned."""
        for routine in self.routines:
            if routine.kind is kind and routine.day_class is day_class:
                return routine
        return None
