"""A TeamTracker sensor read defensively: every field, bad and hostile values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from custom_components.ha_ai.engine.sports.model import (
    ELLIPSIS,
    MAX_CLOCK_LENGTH,
    MAX_NAME_LENGTH,
    MAX_SCORE,
    GameSnapshot,
    GameState,
    Moment,
    MomentKind,
    parse_date,
    parse_flag,
    parse_score,
    parse_state,
    plain_text,
)

AT = datetime(2025, 9, 8, 1, 0, tzinfo=UTC)


def attributes(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "attribution": "Data provided by ESPN",
        "state": "IN",
        "sport": "baseball",
        "league": "MLB",
        "league_path": "mlb",
        "team_abbr": "MIL",
        "opponent_abbr": "SF",
        "event_id": "401356264",
        "date": "2022-09-08T20:10Z",
        "team_name": "Brewers",
        "opponent_name": "Giants",
        "team_colors": ["#13294b", "#ffc52f"],
        "team_score": "2",
        "opponent_score": "1",
        "team_winner": None,
        "opponent_winner": None,
        "quarter": 6,
        "clock": "Top 6th",
    }
    base.update(changes)
    return base


def read(state: str = "IN", **changes: Any) -> GameSnapshot:
    return GameSnapshot.from_state(state, attributes(**changes), AT)


def test_a_live_baseball_game_is_read_whole() -> None:
    snapshot = read()
    assert snapshot == GameSnapshot(
        state=GameState.IN,
        at=AT,
        league="MLB",
        league_path="mlb",
        sport="baseball",
        event_id="401356264",
        date=datetime(2022, 9, 8, 20, 10, tzinfo=UTC),
        team_abbr="MIL",
        team_name="Brewers",
        opponent_abbr="SF",
        opponent_name="Giants",
        team_score=2,
        opponent_score=1,
        period=6,
        clock="Top 6th",
        team_colors=("#13294b", "#ffc52f"),
    )
    assert snapshot.notes == ()
    assert snapshot.is_game
    assert snapshot.counts_points
    assert snapshot.game_id == "401356264"


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("PRE", GameState.PRE),
        ("IN", GameState.IN),
        ("POST", GameState.POST),
        ("BYE", GameState.BYE),
        ("NOT_FOUND", GameState.NOT_FOUND),
        (" in ", GameState.IN),
        ("post", GameState.POST),
        ("unavailable", GameState.UNAVAILABLE),
        ("Unavailable", GameState.UNAVAILABLE),
        ("unknown", GameState.UNKNOWN),
    ],
)
def test_states_are_read_in_any_case(state: str, expected: GameState) -> None:
    notes: list[str] = []
    assert parse_state(state, notes) is expected
    assert notes == []


@pytest.mark.parametrize("state", ["DELAYED", "", "IN\nPOST", None, 3, "UNAVAILABLE_X"])
def test_any_other_state_is_unknown_with_a_note(state: object) -> None:
    notes: list[str] = []
    assert parse_state(state, notes) is GameState.UNKNOWN
    assert len(notes) == 1
    assert "\n" not in notes[0]
    assert parse_state(state) is GameState.UNKNOWN


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", (3, None)),
        (" 12 ", (12, None)),
        ("0", (0, None)),
        (7, (7, None)),
        (20.0, (20, None)),
        ("3(4)", (3, 4)),
        ("1 (3)", (1, 3)),
        (str(MAX_SCORE), (MAX_SCORE, None)),
        (str(MAX_SCORE + 1), (None, None)),
        (MAX_SCORE + 1, (None, None)),
        ("1(99999)", (None, None)),
        (-4, (None, None)),
        ("-4", (None, None)),  # golf: against par
        ("155/6", (None, None)),  # cricket
        ("314 & 145/7 (47 ov, target 145)", (None, None)),
        ("", (None, None)),
        (None, (None, None)),
        (True, (None, None)),
        (2.5, (None, None)),
        (float("nan"), (None, None)),
        (float("inf"), (None, None)),
        ("\uff13", (None, None)),  # a full-width 3 is no ASCII digit
        ("1" * 40, (None, None)),
        (["3"], (None, None)),
    ],
)
def test_scores(value: object, expected: tuple[int | None, int | None]) -> None:
    assert parse_score(value) == expected


def test_a_shootout_is_read_beside_the_score() -> None:
    snapshot = read("POST", team_score="3(4)", opponent_score="3(2)", sport="soccer")
    assert (snapshot.team_score, snapshot.team_shootout) == (3, 4)
    assert (snapshot.opponent_score, snapshot.opponent_shootout) == (3, 2)


def test_a_score_that_is_none_leaves_a_note_unless_empty() -> None:
    assert read(team_score="").notes == ()
    assert read(team_score=None).notes == ()
    snapshot = read(team_score="two")
    assert snapshot.team_score is None
    assert snapshot.notes == ("team_score 'two' is not a score; ignored",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("true", True),
        (" False ", False),
        ("yes", None),
        (1, None),
        (None, None),
    ],
)
def test_winner_flags(value: object, expected: bool | None) -> None:
    assert parse_flag(value) is expected


def test_a_garbled_winner_flag_is_noted() -> None:
    snapshot = read("POST", team_winner="won")
    assert snapshot.team_winner is None
    assert snapshot.notes == ("team_winner 'won' is not true or false; ignored",)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2022-09-08T22:45Z", datetime(2022, 9, 8, 22, 45, tzinfo=UTC)),
        ("2022-09-08T22:45:00+00:00", datetime(2022, 9, 8, 22, 45, tzinfo=UTC)),
        (
            "2022-09-08T18:45-04:00",
            datetime(2022, 9, 8, 18, 45, tzinfo=timezone(timedelta(hours=-4))),
        ),
        ("2022-09-08T22:45", datetime(2022, 9, 8, 22, 45, tzinfo=UTC)),
        (datetime(2022, 9, 8, 22, 45), datetime(2022, 9, 8, 22, 45, tzinfo=UTC)),  # noqa: DTZ001
        ("tomorrow", None),
        ("2022-13-40T99:99Z", None),
        ("2" * 100, None),
        (1662677100, None),
        (None, None),
    ],
)
def test_dates(value: object, expected: datetime | None) -> None:
    assert parse_date(value) == expected


def test_the_same_start_in_two_notations_is_the_same_game() -> None:
    first = read(event_id=None, date="2022-09-08T22:45Z")
    second = read(event_id=None, date="2022-09-08T18:45:00-04:00")
    assert first.game_id == second.game_id == "2022-09-08T22:45:00+00:00"


def test_a_game_without_event_id_or_date_has_no_id() -> None:
    snapshot = read(event_id=None, date="garbage")
    assert snapshot.game_id is None
    assert snapshot.notes == ("date 'garbage' is not an ISO 8601 time; ignored",)


@pytest.mark.parametrize(
    ("value", "expected", "noted"),
    [
        ("401", "401", False),
        (401, "401", False),
        (" 401\n", "401", False),
        ("", None, True),
        ("x" * 65, None, True),
        (True, None, True),
        (["401"], None, True),
        (None, None, False),
    ],
)
def test_event_ids(value: object, expected: str | None, noted: bool) -> None:
    snapshot = read(event_id=value)
    assert snapshot.event_id == expected
    assert bool(snapshot.notes) is noted


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (4, 4),
        (0, 0),
        ("5", 5),
        ("OT", "OT"),
        ("Race", "Race"),
        ("", None),
        (None, None),
        (1000, None),
        ("1000", None),
        (-1, None),
        (True, None),
        (2.5, None),
    ],
)
def test_periods(value: object, expected: int | str | None) -> None:
    assert read(quarter=value).period == expected


def test_colors_keep_only_hex_colors() -> None:
    assert read(team_colors=["#FFFF00", "#c9c7c8", "#000000"]).team_colors == (
        "#ffff00",
        "#c9c7c8",
    )
    snapshot = read(team_colors=["red", "#c9c7c8"])
    assert snapshot.team_colors == ("#c9c7c8",)
    assert snapshot.notes == (
        "team_colors holds something other than #rrggbb; left out",
    )
    assert read(team_colors="#ffffff").team_colors == ()
    assert read(team_colors=None).team_colors == ()


def test_sports_without_running_scores_count_no_points() -> None:
    for sport in ("golf", "racing", "tennis", "volleyball", "cricket", "mma"):
        assert not read(sport=sport).counts_points
    assert read(sport="Soccer").counts_points
    assert read(sport=None).counts_points
    assert read(sport=None, sport_path="tennis").sport == "tennis"


def test_numbers_in_text_fields_are_text() -> None:
    snapshot = read(team_name=1860, opponent_name=True)
    assert snapshot.team_name == "1860"
    assert snapshot.opponent_name is None
    assert snapshot.notes == ("opponent_name is bool, not text; ignored",)


HOSTILE_NAMES = [
    "Seahawks\nERROR homeassistant: fake",
    "\u202eskwahaes",
    "a\x00b",
    "x" * 10_000,
    "<script>alert(1)</script>",
    "[link](http://evil)",
    "../../#/+",
    "\ud800broken",
    "   ",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_become_one_bounded_line(name: str) -> None:
    snapshot = read(team_name=name, opponent_name=name, clock=name)
    for text, limit in (
        (snapshot.team_name, MAX_NAME_LENGTH),
        (snapshot.opponent_name, MAX_NAME_LENGTH),
        (snapshot.clock, MAX_CLOCK_LENGTH),
    ):
        if text is None:
            continue
        assert len(text) <= limit
        assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in text)
        assert "\u202e" not in text
        assert "\ud800" not in text
    assert read(team_name="   ").team_name is None


def test_plain_text_cuts_with_an_ellipsis() -> None:
    assert plain_text("a  b\n\tc", 10) == "a b c"
    assert plain_text("abcdefghijk", 5) == "abcd" + ELLIPSIS
    assert len(plain_text("y" * 1_000_000, 64)) == 64


def test_attributes_that_are_no_mapping_are_noted() -> None:
    bad: Any = ["IN"]
    snapshot = GameSnapshot.from_state("IN", bad, AT)
    assert snapshot.state is GameState.IN
    assert snapshot.game_id is None
    assert snapshot.notes == ("attributes are list; ignored",)


def test_a_snapshot_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        GameSnapshot.from_state("IN", {}, datetime(2025, 1, 1))  # noqa: DTZ001


def test_labels_fall_back_to_abbreviations() -> None:
    snapshot = read(team_name=None, opponent_name=None)
    assert (snapshot.team_label, snapshot.opponent_label) == ("MIL", "SF")


def test_a_moment_needs_a_game_id() -> None:
    snapshot = read(event_id=None, date=None)
    with pytest.raises(ValueError, match="id or a date"):
        Moment.of(MomentKind.SCORED, snapshot, team="mlb_mil", delay=timedelta(0))


def test_a_moment_carries_the_winner_flags_of_results_only() -> None:
    final = read("POST", team_winner=True, opponent_winner=False, clock="Final")
    won = Moment.of(MomentKind.WON, final, team="mlb_mil", delay=timedelta(0))
    scored = Moment.of(MomentKind.SCORED, final, team="mlb_mil", delay=timedelta(0))
    assert (won.team_winner, won.opponent_winner) == (True, False)
    assert (scored.team_winner, scored.opponent_winner) == (None, None)


def test_a_moments_payload_has_every_field() -> None:
    moment = Moment.of(
        MomentKind.SCORED,
        read(),
        team="mlb_mil",
        delay=timedelta(seconds=30),
        points=1,
        game_id="earlier-id",
    )
    assert moment.due == AT + timedelta(seconds=30)
    payload: Mapping[str, object] = moment.payload()
    assert payload == {
        "moment": "scored",
        "team": "mlb_mil",
        "team_name": "Brewers",
        "team_abbr": "MIL",
        "opponent": "Giants",
        "opponent_abbr": "SF",
        "team_score": 2,
        "opponent_score": 1,
        "points": 1,
        "team_shootout": None,
        "opponent_shootout": None,
        "team_winner": None,
        "opponent_winner": None,
        "period": 6,
        "clock": "Top 6th",
        "league": "MLB",
        "game_id": "earlier-id",
        "date": "2022-09-08T20:10:00+00:00",
        "team_colors": ["#13294b", "#ffc52f"],
    }
    without_date = Moment.of(
        MomentKind.GAME_STARTED, read(date=None), team="t", delay=timedelta(0)
    )
    assert without_date.payload()["date"] is None
