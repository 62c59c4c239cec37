"""Whole games as TeamTracker shows them, replayed: the exact moments of each."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.ha_ai.engine.sports.follower import GameFollower
from custom_components.ha_ai.engine.sports.model import GameSnapshot, GameState
from custom_components.ha_ai.engine.sports.timelines import (
    ATTRIBUTION,
    BYE_WEEK,
    DOUBLEHEADER,
    FIELDS,
    MLB_FLIPS,
    NFL_GAME,
    NFL_OVERTIME,
    NHL_SHOOTOUT,
    RECONNECT_RESET,
    SCORE_CHANGE_EVENT,
    SOCCER_TIE,
    TIMELINES,
    ScoreChange,
    Step,
    humanize,
    score_changes,
)

from .replay import ENTITY_ID, brief, play, replay, snapshot

EXPECTED = {
    "nfl_overtime": [
        ("game_started", 0, 0, None),
        ("scored", 7, 0, 7),
        ("opponent_scored", 7, 3, 3),
        ("opponent_scored", 7, 10, 7),
        ("scored", 14, 10, 7),
        ("opponent_scored", 14, 17, 7),
        ("scored", 20, 17, 6),
        ("opponent_scored", 20, 20, 3),
        ("scored", 23, 20, 3),
        ("won", 23, 20, None),
    ],
    "soccer_tie": [
        ("game_started", 0, 0, None),
        ("opponent_scored", 0, 1, 1),
        ("scored", 1, 1, 1),
        ("tied", 1, 1, None),
    ],
    "nhl_shootout": [
        ("game_started", 0, 0, None),
        ("opponent_scored", 0, 1, 1),
        ("scored", 1, 1, 1),
        ("scored", 2, 1, 1),
        ("opponent_scored", 2, 2, 1),
        # The shoot-out's deciding goal shows first with the end.
        ("scored", 3, 2, 1),
        ("won", 3, 2, None),
    ],
    "mlb_flips": [
        ("game_started", 0, 0, None),
        ("opponent_scored", 0, 2, 2),
        ("scored", 3, 2, 3),
        ("opponent_scored", 3, 3, 1),
        ("scored", 4, 3, 1),  # the walk-off run, seen with the end
        ("won", 4, 3, None),
    ],
    "bye_week": [],
    "doubleheader": [
        ("game_started", 0, 0, None),
        ("opponent_scored", 0, 1, 1),
        ("scored", 2, 1, 2),
        ("opponent_scored", 2, 4, 3),
        ("lost", 2, 4, None),
        ("game_started", 0, 0, None),
        ("scored", 1, 0, 1),
        ("scored", 6, 0, 5),
        ("won", 6, 0, None),
    ],
    "reconnect_reset": [
        ("game_started", 0, 0, None),
        ("scored", 1, 0, 1),
        ("opponent_scored", 1, 1, 1),
        ("scored", 2, 1, 1),
        ("won", 2, 1, None),
    ],
}


def test_every_timeline_has_its_expected_moments() -> None:
    assert set(TIMELINES) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_timeline_gives_exactly_its_moments(name: str) -> None:
    assert brief(play(TIMELINES[name])) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_score_events_before_the_states_give_the_same_moments(name: str) -> None:
    assert brief(play(TIMELINES[name], events=True)) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_delay_holds_every_moment_and_changes_none(name: str) -> None:
    delay = timedelta(seconds=40)
    moments = play(TIMELINES[name], delay=delay)
    assert brief(moments) == EXPECTED[name]
    assert all(m.due == m.at + delay for m in moments)


def test_the_overtime_winner_carries_the_whole_game() -> None:
    moments = play(NFL_OVERTIME, team="nfl_sea")
    assert moments[-2].payload() == {
        "moment": "scored",
        "team": "nfl_sea",
        "team_name": "Seahawks",
        "team_abbr": "SEA",
        "opponent": "49ers",
        "opponent_abbr": "SF",
        "team_score": 23,
        "opponent_score": 20,
        "points": 3,
        "team_shootout": None,
        "opponent_shootout": None,
        "team_winner": None,
        "opponent_winner": None,
        "period": 5,
        "clock": "4:21 - OT",
        "league": "NFL",
        "game_id": "401772810",
        "date": "2025-11-16T21:25:00+00:00",
        "team_colors": ["#002a5c", "#69be28"],
    }
    won = moments[-1]
    assert won.path == ("events", "sports", "nfl_sea", "won")
    assert (won.team_winner, won.opponent_winner, won.clock) == (
        True,
        False,
        "Final/OT",
    )


def test_a_tie_has_neither_winner() -> None:
    tied = play(SOCCER_TIE)[-1]
    assert (tied.team_winner, tied.opponent_winner) == (False, False)
    assert tied.opponent == "CF Montréal"


def test_stale_flips_leave_the_game_that_is_played() -> None:
    follower = GameFollower("mlb_mil")
    replay(follower, MLB_FLIPS.steps[:5])  # up to yesterday's final in play
    assert follower.notes == ("a game older than one already played: stale, ignored",)
    current = follower.current
    assert current is not None
    assert (current.game_id, current.clock) == ("401696214", "Top 2nd")


def test_a_bye_week_says_nothing_and_follows_the_next_game() -> None:
    follower = GameFollower("nfl_sea")
    assert replay(follower, BYE_WEEK.steps) == []
    assert [g.game_id for g in follower.games] == ["401772790", "401772830"]
    assert [(g.started, g.final) for g in follower.games] == [
        (True, True),
        (False, False),
    ]


def test_two_games_in_a_day_are_two_games() -> None:
    moments = play(DOUBLEHEADER)
    assert [m.game_id for m in moments if m.kind.value == "game_started"] == [
        "401696301",
        "401696302",
    ]


def test_the_shootout_winner_is_told_by_the_flags() -> None:
    moments = play(NHL_SHOOTOUT)
    assert moments[-1].clock == "Final/SO"
    assert moments[-1].period == 5


# What the timelines show is what TeamTracker shows


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_states_carry_teamtrackers_attributes_in_its_order(name: str) -> None:
    for step in TIMELINES[name].steps:
        if step.state == "unavailable":
            assert step.attributes == {}
            continue
        assert list(step.attributes) == ["attribution", *FIELDS]
        assert step.attributes["attribution"] == ATTRIBUTION
        assert step.attributes["state"] == step.state
        if step.state in ("PRE", "IN", "POST"):
            assert isinstance(step.attributes["team_score"], str)
            assert re.fullmatch(
                r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", str(step.attributes["date"])
            )
            read = snapshot(step)
            assert read.notes == ()
            assert read.game_id is not None


def test_the_steps_of_a_timeline_go_forward_in_time() -> None:
    for timeline in TIMELINES.values():
        times = [step.at for step in timeline.steps]
        assert times == sorted(times), timeline.name


def test_soccer_shows_no_winner_until_the_end_as_false() -> None:
    live = SOCCER_TIE.steps[2].attributes
    assert (live["team_winner"], live["opponent_winner"]) == (False, False)
    assert NFL_OVERTIME.steps[3].attributes["team_winner"] is None


def test_preview_refreshes_fast_in_its_last_twenty_minutes() -> None:
    early, late = NFL_OVERTIME.steps[:2]
    assert early.attributes["private_fast_refresh"] is False
    assert late.attributes["private_fast_refresh"] is True
    assert early.attributes["clock"] == "11/16 - 9:25 PM UTC"
    assert early.attributes["kickoff_in"] == "in 2 hours"


def test_not_found_and_bye_keep_only_a_few_attributes() -> None:
    error = RECONNECT_RESET.steps[6]
    assert error.state == "NOT_FOUND"
    assert error.attributes["api_message"] == "API error, no data returned"
    assert error.attributes["team_name"] is None
    assert snapshot(error).state is GameState.NOT_FOUND
    bye = BYE_WEEK.steps[1]
    assert {k for k, v in bye.attributes.items() if v is not None} == {
        "attribution",
        "state",
        "team_abbr",
        "team_name",
        "last_update",
        "private_fast_refresh",
    }
    empty = NFL_GAME.not_found(NFL_GAME.date)
    assert str(empty.attributes["api_message"]).startswith(
        "No competition scheduled for 'SEA' between "
    )


def test_a_shifted_timeline_moves_its_games_too() -> None:
    start = datetime(2030, 1, 1, 12, tzinfo=UTC)
    moved = NFL_OVERTIME.shifted(start)
    delta = start - NFL_OVERTIME.start
    assert moved.start == start
    assert moved.fixture.date == (NFL_GAME.date + delta).replace(second=0)
    assert snapshot(moved.steps[-1]).date == moved.fixture.date
    assert brief(play(moved)) == EXPECTED["nfl_overtime"]
    assert moved.steps[-1].at - moved.steps[0].at == (
        NFL_OVERTIME.steps[-1].at - NFL_OVERTIME.steps[0].at
    )


def test_a_shifted_timeline_keeps_states_without_a_game() -> None:
    start = datetime(2030, 1, 1, 12, tzinfo=UTC)
    moved = RECONNECT_RESET.shifted(start)
    assert [s.state for s in moved.steps] == [s.state for s in RECONNECT_RESET.steps]
    assert moved.steps[3].attributes == {}
    assert brief(play(moved)) == EXPECTED["reconnect_reset"]


def test_fixtures_carry_the_sensors_name_and_icon() -> None:
    assert (NFL_GAME.friendly_name, NFL_GAME.icon) == ("Seahawks", "mdi:football")
    assert replace(NFL_GAME, sport="curling").icon == "mdi:scoreboard"


def test_score_change_events_follow_teamtrackers_rule() -> None:
    items = list(score_changes(RECONNECT_RESET, ENTITY_ID))
    events = [item for item in items if isinstance(item, ScoreChange)]
    assert [
        (e.data["team_score"], e.data["opponent_score"], e.data["prev_team_score"])
        for e in events
    ] == [
        ("1", "0", "0"),  # a goal
        ("1", "0", "0"),  # back from the reset to 0-0
        ("1", "1", None),  # back from the API error
        ("2", "1", "1"),
    ]
    assert events[0].data["entity_id"] == ENTITY_ID
    assert events[0].data["team_name"] == "Islanders"
    assert SCORE_CHANGE_EVENT == "teamtracker.score_change"
    # Each event comes right before the state that carries its score.
    for index, item in enumerate(items):
        if isinstance(item, ScoreChange):
            following = items[index + 1]
            assert isinstance(following, Step)
            assert following.attributes["team_score"] == item.data["team_score"]


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=10), "just now"),
        (timedelta(seconds=-10), "just now"),
        (timedelta(seconds=50), "in a minute"),
        (timedelta(minutes=44), "in 44 minutes"),
        (timedelta(minutes=-44), "44 minutes ago"),
        (timedelta(hours=1), "in an hour"),
        (timedelta(hours=-3), "3 hours ago"),
        (timedelta(days=1), "in a day"),
        (timedelta(days=-6), "6 days ago"),
    ],
)
def test_kickoff_in_is_worded_like_teamtracker(delta: timedelta, text: str) -> None:
    assert humanize(delta) == text


def test_a_snapshot_of_every_state_reads_without_notes() -> None:
    for timeline in TIMELINES.values():
        for step in timeline.steps:
            read = GameSnapshot.from_state(step.state, step.attributes, step.at)
            assert read.notes == (), (timeline.name, step)
