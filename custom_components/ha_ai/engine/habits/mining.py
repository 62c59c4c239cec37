"""Mine a house's habits, mark what is already automated, follow them run to run.

`mine_habits` runs both detectors and gives each pattern an id derived from what
identifies it. `compare_patterns` matches a run's patterns with the previous
run's, so that a routine found again keeps its id even when its typical time has
moved a few minutes, and tells which patterns are new, re-confirmed or gone.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo

from .automated import pair_is_automated, routine_is_automated
from .episodes import find_episodes
from .model import (
    AutomationCoverage,
    ChangeTable,
    MiningSettings,
    Origin,
    Pattern,
    TimeOfDayPattern,
    UsedTogetherPattern,
)
from .time_of_day import find_time_of_day_patterns, minutes_apart
from .used_together import find_used_together_patterns

ID_HEX_DIGITS = 12


@dataclass(frozen=True, slots=True)
class PatternComparison:
    """A run's patterns against the previous run's."""

    patterns: list[Pattern] = field(default_factory=list)  # ids carried over
    new: list[Pattern] = field(default_factory=list)
    reconfirmed: list[Pattern] = field(default_factory=list)
    gone: list[Pattern] = field(default_factory=list)  # from the previous run


def mine_habits(  # noqa: PLR0913
    table: ChangeTable,
    *,
    timezone: tzinfo,
    end: datetime,
    settings: MiningSettings | None = None,
    coverage: AutomationCoverage | None = None,
    same_device: Callable[[str, str], bool] | None = None,
) -> list[Pattern]:
    """Return the routines and pairs in the table's manual changes before `end`.

    Patterns that an existing automation already covers are marked `automated`
    (see `automated`): a routine whose entity an automation sets to its state at
    about its time, a pair whose A going to its state triggers an automation
    setting B to its state.
    """
    settings = settings or MiningSettings()
    coverage = coverage or AutomationCoverage()
    # Both finders count episodes of the same manual changes: found once.
    manual = (table.origin == Origin.MANUAL) & (table.when < int(end.timestamp()))
    episodes = find_episodes(table, manual, int(settings.episode_gap.total_seconds()))
    routines = find_time_of_day_patterns(
        table, timezone=timezone, end=end, settings=settings, episodes=episodes
    )
    pairs = find_used_together_patterns(
        table,
        settings=settings,
        end=end,
        timezone=timezone,
        same_device=same_device,
        episodes=episodes,
    )
    patterns: list[Pattern] = [
        replace(routine, automated=routine_is_automated(routine, coverage))
        for routine in routines
    ]
    patterns.extend(
        replace(pair, automated=pair_is_automated(pair, coverage)) for pair in pairs
    )
    return with_ids(patterns)


def pattern_id(pattern: Pattern) -> str:
    """Return the id a pattern gets when it is first found.

    A hash of what identifies it: entity, state, day class and typical time for
    a routine; both entities and states for a pair.
    """
    if isinstance(pattern, TimeOfDayPattern):
        prefix = "tod"
        fields: tuple[object, ...] = (
            pattern.entity_id,
            pattern.state,
            pattern.day_class.value,
            pattern.minute_of_day,
        )
    else:
        prefix = "pair"
        fields = _pair_key(pattern)
    digest = hashlib.sha256("\x1f".join(map(str, fields)).encode()).hexdigest()
    return f"{prefix}_{digest[:ID_HEX_DIGITS]}"


def with_ids(patterns: Iterable[Pattern]) -> list[Pattern]:
    """Return the patterns with ids derived from them, unique within the list."""
    taken: set[str] = set()
    return [replace(p, pattern_id=_unique(pattern_id(p), taken)) for p in patterns]


def _unique(candidate: str, taken: set[str]) -> str:
    """Return `candidate`, or it with a suffix when taken; mark it taken."""
    unique, number = candidate, 1
    while unique in taken:
        number += 1
        unique = f"{candidate}_{number}"
    taken.add(unique)
    return unique


def compare_patterns(
    current: list[Pattern], previous: list[Pattern]
) -> PatternComparison:
    """Match this run's patterns with the previous run's.

    A routine matches a previous routine of the same entity, state and day class
    whose window overlaps its own (the closest in time when several do); a pair
    matches the previous pair of the same A, A's state, B and B's state. A
    matched pattern takes the previous id and is re-confirmed; an unmatched one
    keeps its own id (made unique) and is new; previous patterns left unmatched
    are gone.
    """
    previous_pairs = {
        _pair_key(p): p for p in previous if isinstance(p, UsedTogetherPattern)
    }
    previous_routines = [p for p in previous if isinstance(p, TimeOfDayPattern)]
    matched: dict[int, Pattern] = {}  # index in current -> previous
    used: set[int] = set()  # id() of previous patterns matched

    for index, pattern in enumerate(current):
        if isinstance(pattern, UsedTogetherPattern):
            same_pair = previous_pairs.get(_pair_key(pattern))
            if same_pair is not None and id(same_pair) not in used:
                matched[index] = same_pair
                used.add(id(same_pair))

    # Routines: closest couples first, so each keeps the nearest previous one.
    couples = sorted(
        (_distance(pattern, earlier), index, number)
        for index, pattern in enumerate(current)
        if isinstance(pattern, TimeOfDayPattern)
        for number, earlier in enumerate(previous_routines)
        if _same_routine(pattern, earlier)
    )
    for _, index, number in couples:
        routine = previous_routines[number]
        if index in matched or id(routine) in used:
            continue
        matched[index] = routine
        used.add(id(routine))

    taken = {p.pattern_id for p in matched.values()}
    patterns: list[Pattern] = []
    new: list[Pattern] = []
    reconfirmed: list[Pattern] = []
    for index, pattern in enumerate(current):
        earlier = matched.get(index)
        if earlier is not None:
            carried = replace(pattern, pattern_id=earlier.pattern_id)
            reconfirmed.append(carried)
        else:
            own = pattern.pattern_id or pattern_id(pattern)
            carried = replace(pattern, pattern_id=_unique(own, taken))
            new.append(carried)
        patterns.append(carried)
    gone = [p for p in previous if id(p) not in used]
    return PatternComparison(
        patterns=patterns, new=new, reconfirmed=reconfirmed, gone=gone
    )


def _pair_key(pattern: UsedTogetherPattern) -> tuple[str, str, str, str]:
    return (
        pattern.trigger_entity_id,
        pattern.trigger_state,
        pattern.entity_id,
        pattern.state,
    )


def _distance(first: TimeOfDayPattern, second: TimeOfDayPattern) -> int:
    """Return the minutes between two routines' typical times, on the clock."""
    return minutes_apart(first.minute_of_day, second.minute_of_day)


def _same_routine(first: TimeOfDayPattern, second: TimeOfDayPattern) -> bool:
    """Tell whether two routines are one: same entity, state, class; windows meet."""
    return (
        first.entity_id == second.entity_id
        and first.state == second.state
        and first.day_class == second.day_class
        and _distance(first, second) * 2 <= first.window_minutes + second.window_minutes
    )
