"""Plain data for habit mining: state changes in, patterns out.

State changes are kept in columns (numpy arrays plus string tables), because a
house makes hundreds of thousands of them in a few weeks: as objects they would
cost ten times the memory and time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import IntEnum, StrEnum

import numpy as np
import numpy.typing as npt


class Origin(IntEnum):
    """Who made a state change; only manual ones make habits."""

    MANUAL = 0  # a person: the UI, an app, a voice assistant, a physical switch
    AUTOMATED = 1  # an automation or a script (see `origin.OriginTracker`)
    SYSTEM = 2  # a restore, or a change from or to unavailable/unknown


class PatternLevel(StrEnum):
    """How far the evidence for a pattern has grown.

    Established patterns become suggestions with automations; forming ones are
    real but young (few days, or a short day class) and are only shown and
    published, so a user sees progress from the first days.
    """

    ESTABLISHED = "established"
    FORMING = "forming"


class DayClass(StrEnum):
    """Which days a routine keeps to."""

    DAILY = "daily"
    WEEKDAYS = "weekdays"
    WEEKENDS = "weekends"


SYSTEM_STATES = frozenset({"unavailable", "unknown", ""})

# What habits are made of: the domains people switch by hand, and those whose
# changes can start a routine (binary sensors, persons, device trackers). Others
# (sensor, sun, weather...) change by themselves.
LOGGED_DOMAINS = frozenset(
    {
        "light",
        "switch",
        "fan",
        "cover",
        "climate",
        "media_player",
        "lock",
        "input_boolean",
        "binary_sensor",
        "person",
        "device_tracker",
    }
)


def classify_origin(
    old_state: str | None,
    new_state: str,
    *,
    context_parent_id: str | None,
) -> Origin:
    """Return who made a change, from its states and its context.

    A change from or to `unavailable`/`unknown`, or without an old state (a restore
    at start-up), is the system's; one whose context has a parent was caused by an
    automation or script; anything else was made by a person. This is all a
    History CSV tells; where Home Assistant's events are at hand (the live log,
    the recorder's back-fill) `origin.OriginTracker` also knows the automations
    whose trigger gave no parent, and the devices that report back late.
    """
    if old_state is None or old_state in SYSTEM_STATES or new_state in SYSTEM_STATES:
        return Origin.SYSTEM
    if context_parent_id:
        return Origin.AUTOMATED
    return Origin.MANUAL


@dataclass(frozen=True, slots=True)
class StateChange:
    """One state change, for building a ChangeTable from rows."""

    entity_id: str
    state: str
    when: datetime  # timezone-aware
    origin: Origin = Origin.MANUAL


@dataclass(slots=True)
class ChangeTable:
    """State changes in columns, ordered by time.

    `entity[i]` and `state[i]` index `entity_ids` and `states`; `when[i]` is the
    change's time in whole seconds since the epoch (UTC); `origin[i]` an Origin.
    """

    entity_ids: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)
    entity: npt.NDArray[np.int32] = field(
        default_factory=lambda: np.empty(0, dtype=np.int32)
    )
    state: npt.NDArray[np.int32] = field(
        default_factory=lambda: np.empty(0, dtype=np.int32)
    )
    when: npt.NDArray[np.int64] = field(
        default_factory=lambda: np.empty(0, dtype=np.int64)
    )
    origin: npt.NDArray[np.int8] = field(
        default_factory=lambda: np.empty(0, dtype=np.int8)
    )

    def __len__(self) -> int:
        """Return how many changes the table holds."""
        return int(self.when.shape[0])

    @classmethod
    def from_rows(cls, rows: Iterable[tuple[int, int, str, str]]) -> ChangeTable:
        """Return a table of (epoch seconds, origin, entity_id, state) rows, sorted."""
        entity_index: dict[str, int] = {}
        state_index: dict[str, int] = {}
        entities: list[int] = []
        states: list[int] = []
        whens: list[int] = []
        origins: list[int] = []
        for epoch, origin, entity_id, state in rows:
            entities.append(entity_index.setdefault(entity_id, len(entity_index)))
            states.append(state_index.setdefault(state, len(state_index)))
            whens.append(epoch)
            origins.append(origin)
        table = cls(
            entity_ids=list(entity_index),
            states=list(state_index),
            entity=np.asarray(entities, dtype=np.int32),
            state=np.asarray(states, dtype=np.int32),
            when=np.asarray(whens, dtype=np.int64),
            origin=np.asarray(origins, dtype=np.int8),
        )
        table.sort()
        return table

    @classmethod
    def from_changes(cls, changes: Iterable[StateChange]) -> ChangeTable:
        """Return a table of `changes`, sorted by time."""
        return cls.from_rows(
            (
                int(change.when.timestamp()),
                int(change.origin),
                change.entity_id,
                change.state,
            )
            for change in changes
        )

    def subset(self, keep: npt.NDArray[np.bool_]) -> ChangeTable:
        """Return the changes where `keep` is true (the string tables are shared)."""
        return ChangeTable(
            entity_ids=self.entity_ids,
            states=self.states,
            entity=self.entity[keep],
            state=self.state[keep],
            when=self.when[keep],
            origin=self.origin[keep],
        )

    def sort(self) -> None:
        """Order the changes by time (stable, so equal times keep their order)."""
        order = np.argsort(self.when, kind="stable")
        self.entity = self.entity[order]
        self.state = self.state[order]
        self.when = self.when[order]
        self.origin = self.origin[order]


@dataclass(frozen=True, slots=True)
class MiningSettings:
    """Thresholds of the detectors; the defaults suit a typical house."""

    min_observed_days: int = 7
    # An entity's changes each within this of the one before form one episode (a
    # use), counted once per state by routines and pairs.
    episode_gap: timedelta = timedelta(minutes=5)
    # Lower bound (Wilson, 95 %) on the share of observed days with the routine.
    # 0.4 lets a routine kept on 70 % of 30 days (21/30: bound 0.52) or of 8
    # weekend days (6/8: bound 0.41) through; chance is ruled out separately, by
    # the run's false-discovery control.
    min_confidence: float = 0.4
    # Widest window a time-of-day routine may have.
    max_window: timedelta = timedelta(minutes=90)
    # Routines are judged together: among all the windows, entities, states and
    # day classes a run tests, the expected share of false discoveries is at most
    # this (Benjamini-Hochberg); on pure noise, any routine at all has at most
    # this chance (none in 118 generated noise houses of 10 to 500 entities, 7 to
    # 60 days, 2 to 40 changes a day). The bar thus rises with the size of the
    # house and its history.
    routine_false_discovery_rate: float = 0.01
    # A routine clearing the discovery bar but not yet `min_confidence` (a 7 of 10
    # weekdays routine: bound 0.397) or `min_observed_days` is forming: shown, not
    # proposed, promoted when the evidence grows. It still needs to hold on this
    # share of the observed days of its class (a weak habit seen for long is not
    # young), and this many of them.
    min_forming_share: float = 0.6
    min_forming_days: int = 4
    # A routine must stand out from the entity's own day: at most this share of
    # the clock may hold the entity's state on nearly as many days (a sensor busy
    # all day long has no time of its own).
    max_routine_clock_share: float = 0.5
    # B must follow A within this delay for "used together".
    pair_max_delay: timedelta = timedelta(minutes=3)
    # Episodes of A followed by B (or of B preceded by A, for the reverse view)
    # that an established pair needs.
    min_pair_count: int = 5
    # Share of A's episodes followed by B for A -> B to make an automation. Low
    # on purpose: chance is ruled out by the evidence, not by this share (a pair
    # seen after half of A's uses, 200 times more often than chance, is real).
    min_pair_confidence: float = 0.4
    # Confidence over what chance gives (B's rate at the hours A happens); on
    # real recordings, couples between 3 and 5 were rooms used one after the
    # other, not one use.
    min_pair_lift: float = 5.0
    # Distinct local days on which B followed A: a pair is never one day's burst.
    min_pair_days: int = 3
    # Distinct days from which a pair is established (forming before).
    established_pair_days: int = 5
    # Share of B's episode starts that A preceded for the reverse view to be a
    # fact worth showing ("B is nearly always preceded by A"); counted on
    # episodes, 0.75 is what 0.85 of raw changes gave on real recordings.
    min_reverse_confidence: float = 0.75
    # False-discovery rate (Benjamini-Hochberg) over both views of every (A, B)
    # tested; the gate follows the size of the house and of its history.
    max_pair_false_discovery: float = 1e-3


@dataclass(frozen=True, slots=True)
class AutomationCoverage:
    """What existing automations already do, so it is not proposed again."""

    # Entities that an automation with a time trigger acts on.
    timed_targets: frozenset[str] = frozenset()
    # (trigger entity, target entity): an automation triggered by a state change of
    # the first acts on the second.
    state_triggered: frozenset[tuple[str, str]] = frozenset()
    # (entity, state, minute of the day): a `time` trigger sets it to that state.
    timed_actions: frozenset[tuple[str, str, int]] = frozenset()
    # (trigger entity, its new state or None for any change, target, state set).
    triggered_actions: frozenset[tuple[str, str | None, str, str]] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class TimeOfDayPattern:
    """A routine: an entity goes to a state by hand at about the same time."""

    pattern_id: str
    entity_id: str
    state: str
    day_class: DayClass
    minute_of_day: int  # the typical time, local, 0..1439
    window_minutes: int  # the width of the window around it that holds the routine
    support_days: int  # observed days with an occurrence in the window
    observed_days: int  # days of the day class the entity was observed
    confidence: float  # Wilson lower bound of support_days / observed_days
    automated: bool = False  # an existing automation already does it
    level: PatternLevel = PatternLevel.ESTABLISHED
    # How strong the evidence is: -log10 of the routine's chance probability after
    # the run's false-discovery control (0 when not computed).
    evidence: float = 0.0
    # Raw manual changes inside the window over the observed days (episodes are
    # what the miner counts; this is for display).
    changes: int = 0
    pattern_type: str = "time_of_day"

    @property
    def time(self) -> str:
        """Return the typical time as HH:MM."""
        return f"{self.minute_of_day // 60:02d}:{self.minute_of_day % 60:02d}"


@dataclass(frozen=True, slots=True, kw_only=True)
class UsedTogetherPattern:
    """B follows A: after A changes to a state, B changes to one within a delay."""

    pattern_id: str
    trigger_entity_id: str
    trigger_state: str
    entity_id: str
    state: str
    count: int  # how often B followed A
    confidence: float  # P(B follows | A happened)
    lift: float  # confidence over what chance would give
    median_delay_seconds: float
    delay_spread_seconds: float  # interquartile range of the delays
    automated: bool = False
    level: PatternLevel = PatternLevel.ESTABLISHED
    # -log10 of the pair's chance probability after false-discovery control.
    evidence: float = 0.0
    distinct_days: int = 0  # days on which B followed A at least once
    # P(A came before | B happened): "B is nearly always preceded by A".
    reverse_confidence: float = 0.0
    # Reported for the reverse view alone (B is nearly always preceded by A) while
    # A -> B would make a poor automation: a fact to show, never a suggestion.
    reverse_only: bool = False
    pattern_type: str = "used_together"


type Pattern = TimeOfDayPattern | UsedTogetherPattern
