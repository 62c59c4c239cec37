"""Whether an existing automation already does what a habit pattern does.

Acting on the same entity is not enough: an automation turning a plug off at
night does not do a morning routine of turning it on. It counts when it does
the same thing at the same moment:

- a routine (entity to a state at about a time): an automation with a fixed
  `time` trigger within the routine's window (half its width either side, at
  least `MIN_TOLERANCE_MINUTES`) that sets the entity to that state. Sun,
  pattern and calendar triggers, and times held by entities, are not compared.
- a pair (A to a state, then B to a state): an automation triggered by A
  changing to that state (or by any change of A) that sets B to its state.

The day class of a routine and an automation's conditions are not compared:
an automation covering the time on some days covers the routine.
"""

from __future__ import annotations

from typing import Final

from .model import AutomationCoverage, TimeOfDayPattern, UsedTogetherPattern
from .time_of_day import minutes_apart

MIN_TOLERANCE_MINUTES: Final = 15


def routine_is_automated(
    routine: TimeOfDayPattern, coverage: AutomationCoverage
) -> bool:
    """Return whether a timed automation sets the entity to the state in time."""
    tolerance = max(routine.window_minutes // 2, MIN_TOLERANCE_MINUTES)
    return any(
        entity == routine.entity_id
        and state == routine.state
        and minutes_apart(minute, routine.minute_of_day) <= tolerance
        for entity, state, minute in coverage.timed_actions
    )


def pair_is_automated(pair: UsedTogetherPattern, coverage: AutomationCoverage) -> bool:
    """Return whether the pair's trigger already sets its target's state."""
    return any(
        source == pair.trigger_entity_id
        and to_state in (None, pair.trigger_state)
        and target == pair.entity_id
        and state == pair.state
        for source, to_state, target, state in coverage.triggered_actions
    )
