"""One team's games followed: each guard on its own, the delay, restarts."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from custom_components.ha_ai.engine.sports.follower import (
    MAX_DELAY,
    MAX_GAMES_KEPT,
    STORE_VERSION,
    GameFollower,
    bounded_delay,
    result_of,
)
from custom_components.ha_ai.engine.sports.model import (
    GameSnapshot,
    MomentKind,
)
from custom_components.ha_ai.engine.sports.timelines import (
    HOCKEY_GAME,
    SOCCER_GAME,
    Step,
)
from custom_components.ha_ai.engine.stored import UnreadableStoreError

from .replay import brief, replay, snapshot

G = HOCKEY_GAME
K = G.date
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


def at(minutes: float) -> datetime:
    return K + minutes * MINUTE


def live(minutes: float, ours: int | str, theirs: int | str, **values: Any) -> Step:
    values.setdefault("period", 1)
    values.setdefault("clock", "10:00 - 1st")
    return G.live(at(minutes), ours, theirs, **values)


def pre(minutes: float = -10, **values: Any) -> Step:
    return G.pre(at(minutes), **values)


def final(minutes: float, ours: int, theirs: int, **values: Any) -> Step:
    values.setdefault("period", 3)
    return G.final(at(minutes), ours, theirs, **values)


def event(minutes: float, ours: object, theirs: object) -> dict[str, Any]:
    return {
        "entity_id": "sensor.islanders",
        "team_name": "Islanders",
        "team_score": ours,
        "opponent_score": theirs,
        "prev_team_score": None,
        "prev_opponent_score": None,
    }


def following(*steps: Step, delay: timedelta = timedelta(0)) -> GameFollower:
    follower = GameFollower("nhl_nyi", delay)
    replay(follower, steps)
    return follower


STARTED = [("game_started", 0, 0, None)]


# A game going live


def test_a_game_seen_before_its_start_starts_once() -> None:
    follower = following(pre())
    moments = follower.observe(snapshot(live(1, 0, 0)))
    assert brief(moments) == STARTED
    started = moments[0]
    assert (started.team, started.game_id, started.at) == ("nhl_nyi", G.event_id, at(1))
    assert started.payload()["team_name"] == "Islanders"


def test_a_first_reading_live_and_scored_starts_then_scores() -> None:
    follower = following(pre())
    assert brief(follower.observe(snapshot(live(1, 1, 0)))) == [
        ("game_started", 1, 0, None),
        ("scored", 1, 0, 1),
    ]


def test_in_pre_in_starts_once() -> None:
    follower = following(pre(), live(1, 0, 0))
    assert replay(follower, [pre(2), live(3, 0, 0), pre(4), live(5, 0, 0)]) == []


def test_in_post_in_starts_once_and_ends_once() -> None:
    follower = following(pre(), live(1, 0, 0), live(20, 1, 0))
    flip = replay(follower, [final(21, 1, 0), live(22, 1, 0)])
    assert brief(flip) == [("won", 1, 0, None)]
    rest = replay(follower, [live(40, 2, 0), final(60, 2, 0)])
    assert brief(rest) == [("scored", 2, 0, 1)]


def test_a_game_first_seen_live_later_on_starts_with_its_score() -> None:
    follower = following(G.not_found(at(-60)))
    assert brief(follower.observe(snapshot(live(30, 2, 1)))) == [
        ("game_started", 2, 1, None)
    ]
    assert brief(follower.observe(snapshot(live(31, 3, 1)))) == [("scored", 3, 1, 1)]


def test_the_first_reading_after_a_start_is_the_baseline() -> None:
    follower = GameFollower("nhl_nyi")
    assert follower.observe(snapshot(live(30, 2, 1))) == []
    assert brief(follower.observe(snapshot(live(31, 2, 2)))) == [
        ("opponent_scored", 2, 2, 1)
    ]


def test_a_game_first_seen_over_gives_no_result() -> None:
    follower = GameFollower("nhl_nyi")
    assert follower.observe(snapshot(final(200, 3, 1))) == []
    assert follower.notes == ("the game was over when first seen: no result",)
    assert replay(follower, [live(201, 3, 1), final(202, 3, 1)]) == []


def test_a_game_over_without_being_seen_live_gives_its_result_only() -> None:
    follower = following(pre())
    assert brief(follower.observe(snapshot(final(200, 3, 1)))) == [("won", 3, 1, None)]
    assert follower.games[-1].started
    # The game "goes on": no start after the end; a later score is a score.
    assert brief(replay(follower, [live(201, 3, 1), live(202, 4, 1)])) == [
        ("scored", 4, 1, 1)
    ]


# Scores


def test_a_correction_downwards_is_no_moment() -> None:
    follower = following(pre(), live(1, 0, 0), live(10, 3, 0))
    assert replay(follower, [live(11, 2, 0), live(12, 3, 0)]) == []
    assert brief(follower.observe(snapshot(live(20, 5, 0)))) == [("scored", 5, 0, 2)]


def test_stale_scores_after_a_reconnect_are_no_moment() -> None:
    follower = following(pre(), live(1, 0, 0), live(10, 2, 1))
    stale = [G.unavailable(at(11)), live(12, 1, 1), live(13, 2, 1)]
    assert replay(follower, stale) == []
    assert brief(follower.observe(snapshot(live(20, 3, 1)))) == [("scored", 3, 1, 1)]


def test_a_jump_the_feed_withdraws_is_announced_once() -> None:
    follower = following(pre(), live(1, 0, 0))
    assert brief(follower.observe(snapshot(live(10, 1, 0)))) == [("scored", 1, 0, 1)]
    assert replay(follower, [live(11, 0, 0), live(12, 1, 0)]) == []
    assert brief(follower.observe(snapshot(live(30, 2, 0)))) == [("scored", 2, 0, 1)]


def test_a_reset_to_a_preview_at_nil_nil_is_ignored() -> None:
    follower = following(pre(), live(1, 0, 0), live(10, 1, 0))
    emptied = pre(11, team_score="0", opponent_score="0", api_message="Cached data")
    assert replay(follower, [emptied, live(12, 1, 0)]) == []


def test_a_goal_seen_after_a_long_outage_is_taken_as_known() -> None:
    follower = following(pre(), live(1, 0, 0), live(10, 1, 0))
    outage = [G.unavailable(at(11)), G.unavailable(at(12)), live(25, 2, 1)]
    assert replay(follower, outage) == []
    assert follower.notes == (
        "the game was not read live for a while: scores taken as known",
    )
    assert brief(follower.observe(snapshot(live(26, 2, 2)))) == [
        ("opponent_scored", 2, 2, 1)
    ]


def test_an_end_seen_after_a_long_outage_gives_its_result_only() -> None:
    follower = following(pre(), live(1, 0, 0), live(10, 1, 0))
    error = G.not_found(at(11), "API error, no data returned")
    assert brief(replay(follower, [error, final(150, 3, 0)])) == [("won", 3, 0, None)]


def test_a_quiet_spell_without_readings_is_no_outage() -> None:
    # Attributes that do not change write no state: a half-time without a
    # reading is no reason to doubt the goal after it.
    follower = following(pre(), live(1, 0, 0), live(45, 1, 0, clock="Halftime"))
    assert brief(follower.observe(snapshot(live(65, 2, 0)))) == [("scored", 2, 0, 1)]


def test_an_api_error_between_two_readings_loses_nothing() -> None:
    follower = following(pre(), live(1, 0, 0))
    error = G.not_found(at(5), "API error, no data returned")
    assert brief(replay(follower, [error, live(6, 1, 0)])) == [("scored", 1, 0, 1)]


def test_unavailable_and_unknown_never_give_a_moment() -> None:
    follower = following(pre(), live(1, 0, 0))
    for state in ("unavailable", "unknown", "garbage"):
        reading = GameSnapshot.from_state(state, live(2, 5, 5).attributes, at(2))
        assert follower.observe(reading) == []
    assert follower.notes == ("the sensor is unknown: no moment",)
    assert brief(follower.observe(snapshot(live(3, 1, 0)))) == [("scored", 1, 0, 1)]


def test_both_sides_rising_at_once_give_two_moments() -> None:
    follower = following(pre(), live(1, 0, 0))
    assert brief(follower.observe(snapshot(live(30, 2, 1)))) == [
        ("scored", 2, 1, 2),
        ("opponent_scored", 2, 1, 1),
    ]


def test_a_garbled_score_is_read_again_as_known() -> None:
    follower = following(G.not_found(at(-60)))
    assert brief(follower.observe(snapshot(live(1, "?", "?")))) == [
        ("game_started", None, None, None)
    ]
    assert follower.observe(snapshot(live(2, 1, 0))) == []  # the first score read
    assert brief(follower.observe(snapshot(live(3, 2, 0)))) == [("scored", 2, 0, 1)]


def test_sports_without_running_scores_have_no_score_moments() -> None:
    volleyball = replace(
        G, league="NCAAVBW", sport="volleyball", league_path="womens-college-volleyball"
    )
    follower = GameFollower("ncaavbw_army")
    steps = [
        volleyball.pre(at(-10)),
        volleyball.live(at(1), 0, 0, period=1, clock="1st Set"),
        volleyball.live(at(20), 25, 20, period=1, clock="1st Set"),
        volleyball.live(at(21), 0, 0, period=2, clock="2nd Set"),
        volleyball.final(at(90), 3, 1, period=4),
    ]
    assert brief(replay(follower, steps)) == [
        ("game_started", 0, 0, None),
        ("won", 3, 1, None),
    ]


def test_a_game_without_an_id_or_a_start_is_ignored() -> None:
    follower = following(pre())
    reading = snapshot(live(1, 1, 0, event_id=None, date=None))
    assert follower.observe(reading) == []
    assert follower.notes == ("the game has neither an event id nor a date: ignored",)


# Stale games


def test_an_older_game_shown_during_a_game_is_stale() -> None:
    yesterday = G.with_game("401688300", K - timedelta(days=1))
    follower = following(pre(), live(1, 0, 0))
    stale = [
        yesterday.final(at(2), 4, 1, period=3),
        yesterday.live(at(3), 5, 1, period=3, clock="1:00 - 3rd"),
    ]
    assert replay(follower, stale) == []
    assert follower.notes == ("a game older than one already played: stale, ignored",)
    assert brief(follower.observe(snapshot(live(4, 1, 0)))) == [("scored", 1, 0, 1)]


def test_tomorrows_preview_during_a_game_changes_nothing() -> None:
    tomorrow = G.with_game("401688500", K + timedelta(days=1))
    follower = following(pre(), live(1, 0, 0))
    assert replay(follower, [tomorrow.pre(at(2)), live(3, 0, 0)]) == []
    assert brief(follower.observe(snapshot(final(90, 0, 1)))) == [
        ("opponent_scored", 0, 1, 1),
        ("lost", 0, 1, None),
    ]


def test_a_start_corrected_earlier_during_play_is_not_stale() -> None:
    follower = following(pre(), live(1, 0, 0))
    earlier = live(2, 1, 0, date=(K - 5 * MINUTE).strftime("%Y-%m-%dT%H:%MZ"))
    assert brief(follower.observe(snapshot(earlier))) == [("scored", 1, 0, 1)]


def test_a_postponed_game_keeps_its_place() -> None:
    later = K + timedelta(days=1)
    follower = following(
        pre(-60), G.pre(at(-30), date=later.strftime("%Y-%m-%dT%H:%MZ"))
    )
    assert follower.games[0].date == later
    assert (
        brief(
            follower.observe(
                snapshot(
                    G.live(
                        later,
                        0,
                        0,
                        period=1,
                        clock="x",
                        date=later.strftime("%Y-%m-%dT%H:%MZ"),
                    )
                )
            )
        )
        == STARTED
    )


def test_a_game_matched_by_its_start_takes_the_event_id_seen_later() -> None:
    follower = following(pre(event_id=None))
    assert follower.games[0].game_id == "2025-12-06T00:00:00+00:00"
    assert follower.games[0].event_id is None
    moments = follower.observe(snapshot(live(1, 0, 0)))
    assert [m.game_id for m in moments] == ["2025-12-06T00:00:00+00:00"]
    assert follower.games[0].event_id == G.event_id
    # From then on a reading without a start still finds the game.
    assert follower.observe(snapshot(live(2, 0, 0, date=None))) == []


# The end


def test_post_falling_back_to_pre_gives_one_result() -> None:
    follower = following(pre(), live(1, 0, 0), live(50, 2, 0))
    assert brief(follower.observe(snapshot(final(150, 2, 0)))) == [("won", 2, 0, None)]
    assert replay(follower, [pre(151), final(152, 2, 0), pre(160)]) == []


def test_the_next_game_after_an_end_is_a_new_game() -> None:
    follower = following(pre(), live(1, 0, 0), final(150, 0, 2))
    tomorrow = G.with_game("401688500", K + timedelta(days=1))
    steps = [
        tomorrow.pre(at(151)),
        tomorrow.live(tomorrow.date + MINUTE, 0, 0, period=1, clock="20:00 - 1st"),
        tomorrow.final(tomorrow.date + 150 * MINUTE, 1, 0, period=3),
    ]
    assert brief(replay(follower, steps)) == [
        ("game_started", 0, 0, None),
        ("scored", 1, 0, 1),
        ("won", 1, 0, None),
    ]


def test_a_result_the_flags_cannot_tell_waits_for_the_next_post() -> None:
    follower = following(pre(), live(1, 0, 0), live(100, 1, 1))
    both = final(150, 1, 1, team_winner=True, opponent_winner=True)
    assert follower.observe(snapshot(both)) == []
    assert follower.notes == ("the result is not told by the flags or scores: waiting",)
    assert brief(follower.observe(snapshot(final(152, 1, 1, team_winner=False)))) == [
        ("lost", 1, 1, None)
    ]


def read(state: str = "POST", **values: Any) -> GameSnapshot:
    base: dict[str, Any] = {"sport": "hockey", "event_id": "1"}
    return GameSnapshot.from_state(state, base | values, K)


@pytest.mark.parametrize(
    ("values", "result"),
    [
        ({"team_winner": True, "opponent_winner": False}, MomentKind.WON),
        ({"team_winner": True, "opponent_winner": None}, MomentKind.WON),
        ({"team_winner": False, "opponent_winner": True}, MomentKind.LOST),
        ({"team_winner": True, "opponent_winner": True}, None),
        ({"team_score": "2", "opponent_score": "1"}, MomentKind.WON),
        ({"team_score": "1", "opponent_score": "2"}, MomentKind.LOST),
        ({"team_score": "1", "opponent_score": "1"}, MomentKind.TIED),
        (
            {
                "team_score": "1",
                "opponent_score": "1",
                "team_winner": False,
                "opponent_winner": False,
            },
            MomentKind.TIED,
        ),
        ({"team_score": "3(4)", "opponent_score": "3(2)"}, MomentKind.WON),
        ({"team_score": "3(1)", "opponent_score": "3"}, MomentKind.WON),
        ({"team_score": "3", "opponent_score": "3(3)"}, MomentKind.LOST),
        ({"team_score": "1"}, None),
        ({"sport": "tennis", "team_score": "2", "opponent_score": "0"}, None),
        (
            {"sport": "tennis", "team_winner": True, "opponent_winner": False},
            MomentKind.WON,
        ),
    ],
)
def test_results(values: dict[str, Any], result: MomentKind | None) -> None:
    assert result_of(read(**values)) is result


def test_a_shootout_win_on_level_scores_is_won() -> None:
    soccer = SOCCER_GAME
    follower = following(soccer.not_found(soccer.date - MINUTE))
    steps = [
        soccer.live(soccer.date + 100 * MINUTE, 3, 3, period=4, clock="120'"),
        soccer.live(soccer.date + 110 * MINUTE, "3(2)", "3(1)", period=5, clock="Pens"),
        soccer.final(
            soccer.date + 115 * MINUTE, "3(4)", "3(2)", period=5, clock="FT-Pens"
        ),
    ]
    moments = replay(follower, steps)
    assert brief(moments) == [("game_started", 3, 3, None), ("won", 3, 3, None)]
    assert (moments[-1].team_shootout, moments[-1].opponent_shootout) == (4, 2)


# Score events


def test_a_score_seen_first_in_an_event_is_not_counted_again() -> None:
    follower = following(pre(), live(1, 0, 0))
    assert brief(follower.score_event(event(10, "1", "0"), at(10))) == [
        ("scored", 1, 0, 1)
    ]
    assert follower.observe(snapshot(live(10, 1, 0))) == []


def test_a_score_seen_first_in_the_state_is_not_counted_again() -> None:
    follower = following(pre(), live(1, 0, 0), live(10, 1, 0))
    assert follower.score_event(event(10, "1", "0"), at(10)) == []


def test_an_events_moment_has_the_last_states_clock() -> None:
    follower = following(pre(), live(1, 0, 0, clock="20:00 - 1st"))
    moment = follower.score_event(event(2, 1, "0"), at(2))[0]
    assert (moment.clock, moment.at, moment.opponent_score) == ("20:00 - 1st", at(2), 0)


def test_a_score_event_while_no_game_is_live_is_left_to_the_state() -> None:
    note = ("score event while no game is live: the state will tell",)
    follower = GameFollower("nhl_nyi")
    assert follower.score_event(event(1, "1", "0"), at(1)) == []
    assert follower.notes == note
    replay(follower, [pre(), live(1, 0, 0), final(150, 0, 0)])
    assert follower.score_event(event(151, "1", "0"), at(151)) == []
    assert follower.notes == note


@pytest.mark.parametrize(
    "data",
    [
        {"team_score": "x", "opponent_score": None},
        {},
        {"team_score": True, "opponent_score": [1]},
    ],
)
def test_a_score_event_without_a_score_is_ignored(data: dict[str, Any]) -> None:
    follower = following(pre(), live(1, 0, 0))
    assert follower.score_event(data, at(2)) == []
    assert follower.notes == ("score event without a score: ignored",)


def test_score_event_data_that_is_no_object_is_ignored() -> None:
    follower = following(pre(), live(1, 0, 0))
    bad: Any = "1-0"
    assert follower.score_event(bad, at(2)) == []
    assert follower.notes == ("score event data is not an object: ignored",)


def test_a_score_event_with_one_side_keeps_the_other() -> None:
    follower = following(pre(), live(1, 0, 2))
    assert brief(follower.score_event({"team_score": 1}, at(2))) == [
        ("scored", 1, 2, 1)
    ]


def test_a_lower_score_in_an_event_is_no_moment() -> None:
    follower = following(pre(), live(1, 0, 0), live(2, 2, 0))
    assert follower.score_event(event(3, "1", "0"), at(3)) == []


def test_a_score_event_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        GameFollower("t").score_event({}, datetime(2025, 1, 1))  # noqa: DTZ001


# The delay


DELAY = timedelta(seconds=30)


def test_a_delay_holds_moments_until_they_are_due() -> None:
    follower = following(pre(), delay=DELAY)
    assert follower.observe(snapshot(live(1, 0, 0))) == []
    assert follower.next_due == at(1) + DELAY
    assert brief(follower.pending) == STARTED
    assert follower.due(at(1) + DELAY - SECOND) == []
    assert brief(follower.due(at(1) + DELAY)) == STARTED
    assert follower.next_due is None
    assert follower.due(at(2)) == []


def test_a_score_withdrawn_within_the_delay_is_never_sent() -> None:
    follower = following(pre(), live(1, 0, 0), delay=DELAY)
    follower.due(at(2))
    assert follower.observe(snapshot(live(10, 1, 0))) == []
    assert follower.observe(snapshot(live(10.2, 0, 0))) == []  # no goal after all
    assert follower.pending == ()
    assert follower.due(at(20)) == []
    assert follower.games[0].team_score == 0
    # The next real goal is announced, once.
    follower.observe(snapshot(live(30, 1, 0)))
    assert brief(follower.due(at(31))) == [("scored", 1, 0, 1)]


def test_only_the_withdrawn_part_of_a_held_jump_is_dropped() -> None:
    follower = following(pre(), live(1, 0, 0), delay=DELAY)
    follower.due(at(2))
    replay(follower, [live(10, 1, 0), live(10.1, 2, 0), live(10.2, 1, 0)])
    assert brief(follower.due(at(20))) == [("scored", 1, 0, 1)]


def test_a_score_withdrawn_by_an_event_is_never_sent() -> None:
    follower = following(pre(), live(1, 0, 0), delay=DELAY)
    follower.due(at(2))
    follower.score_event(event(10, "1", "0"), at(10))
    follower.score_event(event(10, "0", "0"), at(10.1))
    assert follower.due(at(20)) == []


def test_a_held_result_is_withdrawn_when_the_game_goes_on() -> None:
    follower = following(pre(), live(1, 0, 0), live(50, 1, 0), delay=DELAY)
    follower.due(at(60))
    replay(follower, [final(100, 1, 0), live(100.1, 1, 0)])
    assert follower.pending == ()
    ending = replay(follower, [live(120, 1, 1), final(150, 1, 2)])
    assert brief(ending + follower.due(at(160))) == [
        ("opponent_scored", 1, 1, 1),
        ("opponent_scored", 1, 2, 1),
        ("lost", 1, 2, None),
    ]


def test_a_held_start_survives_a_preview_glitch() -> None:
    follower = following(pre(), live(1, 0, 0), pre(1.1), live(1.2, 0, 0), delay=DELAY)
    assert brief(follower.due(at(2))) == STARTED


def test_held_moments_due_come_first_in_the_next_reading() -> None:
    follower = following(pre(), live(1, 0, 0), live(1.1, 1, 0), delay=DELAY)
    moments = follower.observe(snapshot(live(10, 1, 1)))
    assert brief(moments) == [*STARTED, ("scored", 1, 0, 1)]
    assert brief(follower.pending) == [("opponent_scored", 1, 1, 1)]


def test_changing_the_delay_retimes_what_is_held() -> None:
    follower = following(pre(), live(1, 0, 0), live(1.1, 1, 0), delay=DELAY)
    follower.delay = timedelta(0)
    assert follower.next_due == at(1)
    assert brief(follower.due(at(5))) == [*STARTED, ("scored", 1, 0, 1)]
    assert brief(follower.observe(snapshot(live(6, 2, 0)))) == [("scored", 2, 0, 1)]


def test_the_delay_is_bounded() -> None:
    assert bounded_delay(timedelta(seconds=-5)) == timedelta(0)
    assert bounded_delay(timedelta(hours=5)) == MAX_DELAY
    assert GameFollower("t", timedelta(seconds=-1)).delay == timedelta(0)


# Restarts


def stored(follower: GameFollower) -> Any:
    return json.loads(json.dumps(follower.as_dict()))


def restored(follower: GameFollower, delay: timedelta = timedelta(0)) -> GameFollower:
    result = GameFollower.restore(stored(follower), team="nhl_nyi", delay=delay)
    assert result.drops.dropped_count == result.drops.reset_count == 0
    return result.value


def test_a_restart_mid_game_repeats_nothing() -> None:
    follower = following(pre(), live(1, 0, 0), live(10, 1, 0), live(20, 1, 1))
    again = restored(follower)
    assert again.as_dict() == follower.as_dict()
    assert replay(again, [live(30, 1, 1)]) == []
    assert brief(replay(again, [live(40, 2, 1), final(90, 2, 1)])) == [
        ("scored", 2, 1, 1),
        ("won", 2, 1, None),
    ]


def test_a_goal_while_home_assistant_restarted_is_announced_live() -> None:
    follower = following(pre(), live(1, 0, 0), live(10, 1, 0))
    again = restored(follower)
    assert brief(again.observe(snapshot(live(12, 2, 0)))) == [("scored", 2, 0, 1)]


def test_a_goal_during_a_long_restart_is_taken_as_known() -> None:
    follower = following(pre(), live(1, 0, 0), live(10, 1, 0))
    again = restored(follower)
    assert again.observe(snapshot(live(25, 2, 0))) == []
    assert again.notes == (
        "the game was not read live for a while: scores taken as known",
    )
    assert brief(again.observe(snapshot(live(26, 3, 0)))) == [("scored", 3, 0, 1)]


def test_a_game_that_ended_during_a_restart_gives_its_result_only() -> None:
    follower = following(pre(), live(1, 0, 0), live(10, 1, 0))
    again = restored(follower)
    assert brief(again.observe(snapshot(final(150, 3, 0)))) == [("won", 3, 0, None)]


def test_a_game_that_started_during_a_restart_starts() -> None:
    follower = following(pre())
    again = restored(follower)
    assert brief(again.observe(snapshot(live(5, 0, 0)))) == STARTED


def test_moments_held_at_a_restart_are_found_again() -> None:
    follower = following(pre(), live(1, 0, 0), live(1.1, 1, 0), delay=DELAY)
    assert follower.games[0].started is False
    again = restored(follower, DELAY)
    again.observe(snapshot(live(2, 1, 0)))
    assert brief(again.due(at(3))) == [
        ("game_started", 1, 0, None),
        ("scored", 1, 0, 1),
    ]


def test_a_restart_remembers_which_game_was_played_last() -> None:
    yesterday = G.with_game("401688300", K - timedelta(days=1))
    again = restored(following(pre(), live(1, 0, 0)))
    assert again.observe(snapshot(yesterday.final(at(2), 4, 1, period=3))) == []
    assert again.notes == ("a game older than one already played: stale, ignored",)


def test_only_the_last_games_are_kept() -> None:
    follower = GameFollower("nhl_nyi")
    for day in range(MAX_GAMES_KEPT + 4):
        game = G.with_game(f"game-{day}", K + timedelta(days=day))
        follower.observe(snapshot(game.pre(game.date - MINUTE)))
    assert len(follower.games) == MAX_GAMES_KEPT
    assert follower.games[0].game_id == "game-4"


def test_the_store_keeps_what_was_announced() -> None:
    follower = following(pre(), live(1, 0, 0), live(10, 2, 1))
    assert follower.as_dict() == {
        "version": STORE_VERSION,
        "latest_played": "2025-12-06T00:00:00+00:00",
        "games": [
            {
                "game_id": "401688402",
                "event_id": "401688402",
                "date": "2025-12-06T00:00:00+00:00",
                "started": True,
                "final": False,
                "team_score": 2,
                "opponent_score": 1,
                "read_at": "2025-12-06T00:10:00+00:00",
            }
        ],
    }
    assert GameFollower("t").as_dict() == {
        "version": STORE_VERSION,
        "latest_played": None,
        "games": [],
    }


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "not an object"),
        ({"version": 2}, "version 2"),
        ({"games": {}}, "`games` is an object"),
    ],
)
def test_a_store_of_another_shape_is_unreadable(data: object, message: str) -> None:
    with pytest.raises(UnreadableStoreError, match=message):
        GameFollower.restore(data, team="t")


def game(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "game_id": "401",
        "event_id": "401",
        "date": "2025-12-06T00:00:00+00:00",
        "started": True,
        "final": False,
        "team_score": 1,
        "opponent_score": 0,
    }
    return {k: v for k, v in (base | changes).items() if v is not ...}


def test_bad_games_are_dropped_and_bad_fields_reset() -> None:
    data = {
        "latest_played": "yesterday",
        "games": [
            "not a game",
            game(game_id=""),
            game(game_id=7),
            game(game_id="x" * 65),
            game(game_id="a", event_id=None, date=None),
            game(game_id="a2", event_id=None, date="soon"),
            game(game_id="b", event_id=5, started="yes"),
            game(game_id="c", event_id="y" * 65, team_score=-1, opponent_score=True),
            game(game_id="d", team_score=10**6, final=...),
            game(game_id="e", opponent_score=2.5, read_at="later"),
        ],
    }
    result = GameFollower.restore(data, team="t")
    drops = result.drops
    assert drops.dropped == {
        "game: is text, not an object": 1,
        "game: game_id is empty": 1,
        "game: game_id is a number, not text": 1,
        "game: game_id is too long": 1,
        "game: names no game (no event id, no date)": 2,
    }
    assert drops.reset == {
        "the sports follower.latest_played": 1,
        "game.event_id": 2,
        "game.date": 1,
        "game.started": 1,
        "game.team_score": 2,
        "game.opponent_score": 2,
        "game.read_at": 1,
    }
    games = result.value.games
    assert [g.game_id for g in games] == ["b", "c", "d", "e"]
    assert (games[0].event_id, games[0].started) == (None, False)
    assert (games[1].event_id, games[1].team_score, games[1].opponent_score) == (
        None,
        None,
        None,
    )
    assert (games[2].team_score, games[2].final) == (None, False)


def test_a_reset_score_is_taken_as_known_again_not_sent() -> None:
    data = {"games": [game(event_id=G.event_id, date=K.isoformat(), team_score="1")]}
    follower = GameFollower.restore(data, team="t").value
    assert follower.observe(snapshot(live(5, 1, 0))) == []
    assert brief(follower.observe(snapshot(live(6, 2, 0)))) == [("scored", 2, 0, 1)]


def test_duplicate_and_surplus_games_are_dropped() -> None:
    items = [game(game_id=f"g{n}", event_id=f"g{n}") for n in range(MAX_GAMES_KEPT)]
    items += [game(game_id="g3", event_id="g3", team_score=5), game()]
    result = GameFollower.restore({"games": items}, team="t")
    assert result.drops.dropped == {
        "game: more games than are kept": 2,
        "game: a second record of one game": 1,
    }
    games = result.value.games
    assert len(games) == MAX_GAMES_KEPT - 1
    assert [g.team_score for g in games if g.game_id == "g3"] == [5]


def test_a_store_without_version_or_games_is_an_empty_follower() -> None:
    result = GameFollower.restore({}, team="t", delay=DELAY)
    assert result.value.games == ()
    assert result.value.delay == DELAY
    assert result.value.team == "t"


# Hostile names


def test_hostile_names_reach_the_payload_bounded_and_plain() -> None:
    hostile = replace(
        G,
        team=replace(G.team, name="Isles\nERROR fake\u202e" + "x" * 500),
        opponent=replace(G.opponent, name="[x](http://e) <b>"),
    )
    follower = GameFollower("nhl_nyi")
    moments = replay(
        follower,
        [hostile.pre(at(-1)), hostile.live(at(1), 0, 0, period=1, clock="\x00" * 99)],
    )
    payload = moments[0].payload()
    assert payload["team_name"].startswith("Isles ERROR fake ")
    assert len(payload["team_name"]) == 100
    assert (
        payload["opponent"] == "[x](http://e) <b>"
    )  # plain text; escaping is the reader's
    assert payload["clock"] is None


def test_a_held_start_is_sent_even_when_the_game_flips_to_its_end() -> None:
    follower = following(pre(), delay=DELAY)
    replay(follower, [live(1, 0, 0), final(1.1, 0, 0), live(1.2, 0, 0)])
    assert brief(follower.due(at(2))) == STARTED
    assert follower.games[0].final is False


def test_a_clock_going_backwards_never_lowers_the_announced_score() -> None:
    follower = following(pre(), live(1, 0, 0), delay=DELAY)
    follower.due(at(2))
    follower.observe(snapshot(live(10, 1, 0)))
    follower.observe(snapshot(live(5, 2, 0)))  # the clock was set back
    # The later reading is due first; the earlier, lower one is then no news.
    assert brief(follower.due(at(20))) == [("scored", 2, 0, 1)]
    assert follower.games[0].team_score == 2


def test_a_held_moment_of_a_game_no_longer_remembered_is_still_sent() -> None:
    follower = following(pre(), live(1, 0, 0), delay=DELAY)
    for day in range(1, MAX_GAMES_KEPT + 1):
        game = G.with_game(f"game-{day}", K + timedelta(days=day))
        follower.observe(snapshot(game.pre(at(1.1))))
    assert G.event_id not in [g.game_id for g in follower.games]
    assert brief(follower.due(at(2))) == STARTED


def test_a_stored_game_without_scores_reads_them_as_known() -> None:
    data = {"games": [game(team_score=None, opponent_score=None)]}
    result = GameFollower.restore(data, team="t")
    assert result.drops.reset_count == 0
    assert (result.value.games[0].team_score, result.value.games[0].opponent_score) == (
        None,
        None,
    )
