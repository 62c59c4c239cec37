"""What a household routine's automation does: what usually follows its start.

"At bedtime, turn off the lights that are usually turned off within 15 minutes":
a routine's suggested automation repeats its usual actions, not the one that
started it (a person just did that), and only those a service can do, that come
soon after the start on most of its days. Forming routines suggest nothing: their
evidence is too young to act on.
"""

from __future__ import annotations

from ..habits.model import PatternLevel
from .model import HouseholdRoutine, RoutineStep

FOLLOW_WITHIN_SECONDS = 15 * 60
MIN_SHARE = 0.5
MAX_ACTIONS = 10


def usual_followers(routine: HouseholdRoutine) -> tuple[RoutineStep, ...]:
    """Return the steps the routine's automation repeats, in their usual order.

    At most one step per entity (its first), none that started the routine
    (`starters`), none later than FOLLOW_WITHIN_SECONDS or on fewer than
    MIN_SHARE of its days, at most MAX_ACTIONS. Empty for a forming routine.
    Whether a service can do each step is the renderer's question.
    """
    if routine.level is not PatternLevel.ESTABLISHED:
        return ()
    starters = set(routine.starters)
    chosen: list[RoutineStep] = []
    seen: set[str] = set()
    for step in sorted(routine.steps, key=lambda step: step.typical_delay_seconds):
        if (
            (step.entity_id, step.state) in starters
            or step.entity_id in seen
            or not 0 <= step.typical_delay_seconds <= FOLLOW_WITHIN_SECONDS
            or step.share < MIN_SHARE
        ):
            continue
        seen.add(step.entity_id)
        chosen.append(step)
        if len(chosen) == MAX_ACTIONS:
            break
    return tuple(chosen)
