"""Replaying TeamTracker timelines through a follower, for exact assertions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from custom_components.ha_ai.engine.sports.follower import GameFollower
from custom_components.ha_ai.engine.sports.model import GameSnapshot, Moment
from custom_components.ha_ai.engine.sports.timelines import (
    ScoreChange,
    Step,
    Timeline,
    score_changes,
)

ENTITY_ID = "sensor.team_tracker"

# A moment in short: its kind, the score after it, and the points of a score.
Brief = tuple[str, int | None, int | None, int | None]


def snapshot(step: Step) -> GameSnapshot:
    return GameSnapshot.from_state(step.state, step.attributes, step.at)


def feed(follower: GameFollower, item: Step | ScoreChange) -> list[Moment]:
    if isinstance(item, Step):
        return follower.observe(snapshot(item))
    return follower.score_event(item.data, item.at)


def replay(
    follower: GameFollower,
    items: Iterable[Step | ScoreChange],
    *,
    until: datetime | None = None,
) -> list[Moment]:
    """Feed every item; with `until`, release what is held until then."""
    moments: list[Moment] = []
    for item in items:
        moments += feed(follower, item)
    if until is not None:
        moments += follower.due(until)
    return moments


def brief(moments: Iterable[Moment]) -> list[Brief]:
    return [(m.kind.value, m.team_score, m.opponent_score, m.points) for m in moments]


def play(
    timeline: Timeline,
    *,
    events: bool = False,
    delay: timedelta = timedelta(0),
    team: str = "team",
) -> list[Moment]:
    """Return the moments of a whole timeline, all held ones released."""
    follower = GameFollower(team, delay)
    items = score_changes(timeline, ENTITY_ID) if events else timeline.steps
    end = timeline.steps[-1].at + delay + timedelta(seconds=1)
    return replay(follower, items, until=end)
