"""Games to play through the stand-in's sensor: timelines moved to now, fresh ids.

A timeline of `custom_components.ha_ai.engine.sports.timelines` is a stretch of
one team's season as TeamTracker shows it. To play it again and again against
the same Home Assistant (and the same HA AI, which remembers every game it
announced, across restarts), each play must be a game not seen before: its
steps are moved so that the team's game starts now (`Timeline.shifted`; the
other games of the timeline, yesterday's or tomorrow's, move with it), and every
ESPN event id in it gets the play's stamp appended (milliseconds since the
epoch, still all digits as ESPN's ids are). A later play therefore always shows
a later game, which is what a season looks like.

`score_changes` adds the `teamtracker.score_change` events TeamTracker's newer
releases fire, by their rule. Nothing here imports Home Assistant: the stand-in
runs it inside Home Assistant, tests and the bench outside.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

from custom_components.ha_ai.engine.sports.timelines import (
    TIMELINES,
    Fixture,
    ScoreChange,
    Step,
    Timeline,
    score_changes,
)

# The keys whose text names the game by its ESPN id.
ID_KEYS: Final = ("event_id", "event_url")


@dataclass(frozen=True, slots=True)
class Play:
    """One game to play: the states and score events, oldest first."""

    timeline: Timeline  # moved to now, with the play's event ids
    items: tuple[Step | ScoreChange, ...]
    stamp: int  # appended to every event id of the play

    @property
    def fixture(self) -> Fixture:
        """Return the team's game the play is about."""
        return self.timeline.fixture

    @property
    def steps(self) -> int:
        """Return how many states the play writes."""
        return sum(isinstance(item, Step) for item in self.items)


def team_timelines(league: str, team_abbr: str) -> list[Timeline]:
    """Return the timelines of a team (by league and abbreviation).

    They come in the engine's order, whose first of a team is a whole game.
    """
    return [
        timeline
        for timeline in TIMELINES.values()
        if timeline.fixture.league.upper() == league.upper()
        and timeline.fixture.team.abbr.upper() == team_abbr.upper()
    ]


def fresh_id(event_id: str, stamp: int) -> str:
    """Return the id of a game `event_id` in the play stamped `stamp`."""
    return f"{event_id}{stamp}"


def new_play(timeline: Timeline, *, now: datetime, entity_id: str, stamp: int) -> Play:
    """Return `timeline` as a game starting at `now`, its ids stamped `stamp`.

    `entity_id` goes into the score events, as TeamTracker puts its sensor's.
    """
    kick_off = timeline.fixture.date
    moved = timeline.shifted(timeline.start + (now.astimezone(UTC) - kick_off))
    ids = {
        str(step.attributes["event_id"])
        for step in moved.steps
        if step.attributes.get("event_id")
    }
    steps = tuple(_restamped(step, ids, stamp) for step in moved.steps)
    fixture = replace(moved.fixture, event_id=fresh_id(moved.fixture.event_id, stamp))
    played = replace(moved, fixture=fixture, steps=steps)
    return Play(played, tuple(score_changes(played, entity_id)), stamp)


def _restamped(step: Step, ids: set[str], stamp: int) -> Step:
    attributes = dict(step.attributes)
    for key in ID_KEYS:
        value = attributes.get(key)
        if not isinstance(value, str):
            continue
        for event_id in ids:
            value = value.replace(event_id, fresh_id(event_id, stamp))
        attributes[key] = value
    return Step(step.at, step.state, attributes)


def play_stamp(now: datetime, last: int | None) -> int:
    """Return a play's stamp: `now` in milliseconds, above the last one given."""
    stamp = int(now.timestamp() * 1000)
    return stamp if last is None or stamp > last else last + 1
