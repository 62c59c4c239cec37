"""Whatever TeamTracker shows, in any order: no moment twice, no score going down."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from custom_components.ha_ai.engine.sports.follower import GameFollower
from custom_components.ha_ai.engine.sports.model import (
    RESULT_KINDS,
    GameSnapshot,
    Moment,
    MomentKind,
)

START = datetime(2025, 12, 6, 0, 0, tzinfo=UTC)
GAMES = (
    ("g0", START),
    ("g1", START + timedelta(hours=6)),
    ("g2", START + timedelta(days=1)),
)
STATES = ("PRE", "IN", "IN", "IN", "POST", "BYE", "NOT_FOUND", "unavailable", "unknown")
SCORES = st.one_of(st.integers(0, 6), st.sampled_from(["", "x", None, "2(1)", -1]))
FLAGS = st.sampled_from([True, False, None])

state_change = st.tuples(
    st.just("state"),
    st.sampled_from(STATES),
    st.integers(0, len(GAMES) - 1),
    SCORES,
    SCORES,
    FLAGS,
    FLAGS,
    st.booleans(),  # the event id is left out (the game is known by its start)
)
score_event = st.tuples(st.just("event"), SCORES, SCORES)
restart = st.tuples(st.just("restart"))
operation = st.tuples(
    st.integers(-5, 120),  # seconds since the last operation; the clock may go back
    st.one_of(state_change, state_change, score_event, restart),
)


def attributes(op: tuple[Any, ...]) -> dict[str, Any]:
    _, state, index, ours, theirs, team_winner, opponent_winner, no_id = op
    event_id, date = GAMES[index]
    return {
        "state": state,
        "sport": "hockey",
        "league": "NHL",
        "team_abbr": "NYI",
        "team_name": "Islanders",
        "opponent_abbr": "PHI",
        "event_id": None if no_id else event_id,
        "date": date.strftime("%Y-%m-%dT%H:%MZ"),
        "team_score": ours,
        "opponent_score": theirs,
        "team_winner": team_winner,
        "opponent_winner": opponent_winner,
        "quarter": 2,
        "clock": "10:00 - 2nd",
    }


def run(
    operations: list[tuple[int, tuple[Any, ...]]], delay: timedelta
) -> list[Moment]:
    follower = GameFollower("nhl_nyi", delay)
    now = START - timedelta(hours=1)
    moments: list[Moment] = []
    for seconds, op in operations:
        now += timedelta(seconds=seconds)
        if op[0] == "state":
            snapshot = GameSnapshot.from_state(op[1], attributes(op), now)
            out = follower.observe(snapshot)
            if op[1] in ("unavailable", "unknown") and delay == timedelta(0):
                assert out == []
            moments += out
        elif op[0] == "event":
            moments += follower.score_event(
                {"team_score": op[1], "opponent_score": op[2]}, now
            )
        else:
            stored = json.loads(json.dumps(follower.as_dict()))
            restored = GameFollower.restore(stored, team="nhl_nyi", delay=delay)
            assert restored.drops.dropped_count == 0
            assert restored.value.as_dict() == follower.as_dict()
            follower = restored.value
    moments += follower.due(now + timedelta(days=7))
    assert follower.pending == ()
    return moments


def game_key(moment: Moment) -> str:
    """Return the game a moment is of, whichever of its names it carries."""
    for event_id, date in GAMES:
        if moment.game_id in (event_id, date.isoformat()):
            return event_id
    raise AssertionError(moment.game_id)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(operation, max_size=60),
    st.sampled_from([timedelta(0), timedelta(seconds=30)]),
)
def test_no_moment_twice_and_no_announced_score_goes_down(
    operations: list[tuple[int, tuple[Any, ...]]], delay: timedelta
) -> None:
    moments = run(operations, delay)
    starts: dict[str, int] = defaultdict(int)
    results: dict[str, int] = defaultdict(int)
    scores: dict[tuple[str, MomentKind], list[int]] = defaultdict(list)
    for moment in moments:
        game = game_key(moment)
        if moment.kind is MomentKind.GAME_STARTED:
            starts[game] += 1
        elif moment.kind in RESULT_KINDS:
            results[game] += 1
        else:
            side = (
                moment.team_score
                if moment.kind is MomentKind.SCORED
                else moment.opponent_score
            )
            assert side is not None
            assert moment.points is not None
            assert moment.points >= 1
            scores[game, moment.kind].append(side)
    assert all(count == 1 for count in starts.values())
    assert all(count == 1 for count in results.values())
    for announced in scores.values():
        assert announced == sorted(set(announced))
