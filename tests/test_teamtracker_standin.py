"""The TeamTracker stand-in of the demo house, the bench and the end-to-end tests.

It must show what TeamTracker's sensor shows, or HA AI's end-to-end figures and
demo would be about something else. These tests load it into the harness as
Home Assistant loads it from a configuration directory (here from its package,
`scripts.devenv.teamtracker`), set its sensor up from YAML as TeamTracker's
own, and compare what Home Assistant holds with the engine's timelines: the
registry entry, each state and its attributes, the score events. The plays
(timelines moved to now, with fresh ids) are checked without Home Assistant.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from homeassistant import loader
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component

from custom_components.ha_ai.engine.sports.timelines import (
    NFL_GAME,
    NFL_OVERTIME,
    SCORE_CHANGE_EVENT,
    TIMELINES,
    ScoreChange,
    Step,
)
from scripts.devenv.common import TEAMTRACKER_DIR
from scripts.devenv.teamtracker.plays import (
    new_play,
    play_stamp,
    team_timelines,
)

SEAHAWKS = "sensor.seahawks"
NOW = datetime(2026, 12, 2, 10, 42, 17, tzinfo=UTC)
# What the stand-in sets at each write, and what a play moves: not compared.
MOVED = ("last_update", "event_id", "event_url", "date", "kickoff_in")


# The plays, without Home Assistant


def test_a_play_is_the_timeline_moved_to_now_with_ids_of_its_own() -> None:
    play = new_play(NFL_OVERTIME, now=NOW, entity_id=SEAHAWKS, stamp=17)
    # The team's game starts now (to the minute, as ESPN's do).
    assert play.fixture.date == datetime(2026, 12, 2, 10, 42, tzinfo=UTC)
    assert play.fixture.event_id == "40177281017"
    assert play.steps == len(NFL_OVERTIME.steps)
    steps = [item for item in play.items if isinstance(item, Step)]
    assert [s.state for s in steps] == [s.state for s in NFL_OVERTIME.steps]
    shift = play.timeline.start - NFL_OVERTIME.start
    assert all(
        new.at - old.at == shift
        for new, old in zip(steps, NFL_OVERTIME.steps, strict=True)
    )
    for new, old in zip(steps, NFL_OVERTIME.steps, strict=True):
        assert new.attributes["event_id"] == "40177281017"
        assert new.attributes["event_url"].endswith("/gameId/40177281017")
        assert new.attributes["date"] == "2026-12-02T10:42Z"
        assert {k: v for k, v in new.attributes.items() if k not in MOVED} == {
            k: v for k, v in old.attributes.items() if k not in MOVED
        }
    # The score events of TeamTracker's newer releases, naming the sensor.
    changes = [item for item in play.items if isinstance(item, ScoreChange)]
    assert [(c.data["team_score"], c.data["opponent_score"]) for c in changes] == [
        ("7", "0"),
        ("7", "3"),
        ("7", "10"),
        ("14", "10"),
        ("14", "17"),
        ("20", "17"),
        ("20", "20"),
        ("23", "20"),
    ]
    assert {c.data["entity_id"] for c in changes} == {SEAHAWKS}


def test_every_game_of_a_play_gets_the_plays_stamp() -> None:
    timeline = TIMELINES["mlb_flips"]  # yesterday's, today's, tomorrow's game
    play = new_play(timeline, now=NOW, entity_id="sensor.brewers", stamp=5)
    ids = {
        step.attributes["event_id"]
        for step in play.timeline.steps
        if step.attributes.get("event_id")
    }
    assert ids == {"4016962005", "4016962145", "4016962285"}


def test_later_plays_are_later_games() -> None:
    first = play_stamp(NOW, None)
    assert first == int(NOW.timestamp() * 1000)
    # Within the same millisecond, or with a clock set back, the stamp still rises.
    assert play_stamp(NOW, first) == first + 1
    assert play_stamp(NOW - timedelta(hours=1), first) == first + 1
    one = new_play(NFL_OVERTIME, now=NOW, entity_id=SEAHAWKS, stamp=first)
    two = new_play(
        NFL_OVERTIME,
        now=NOW + timedelta(minutes=5),
        entity_id=SEAHAWKS,
        stamp=first + 1,
    )
    assert two.fixture.date > one.fixture.date
    assert two.fixture.event_id != one.fixture.event_id


def test_a_team_plays_its_own_timelines() -> None:
    assert [t.name for t in team_timelines("nfl", "sea")] == [
        "nfl_overtime",
        "bye_week",
    ]
    assert team_timelines("NFL", "SF") == []


# The sensor, in Home Assistant


@pytest.fixture
async def standin(hass: HomeAssistant) -> None:
    """Make the stand-in loadable, as from a configuration directory."""
    manifest = json.loads((TEAMTRACKER_DIR / "manifest.json").read_text())
    integration = loader.Integration(
        hass,
        "scripts.devenv.teamtracker",
        TEAMTRACKER_DIR,
        manifest,
        {path.name for path in TEAMTRACKER_DIR.iterdir()},
    )
    found = await loader.async_get_custom_components(hass)
    hass.data[loader.DATA_CUSTOM_COMPONENTS] = {**found, "teamtracker": integration}


async def set_up(hass: HomeAssistant, **config: Any) -> None:
    sensor = {
        "platform": "teamtracker",
        "league_id": "NFL",
        "team_id": "SEA",
        "name": "Seahawks",
    } | config
    assert await async_setup_component(hass, "sensor", {"sensor": [sensor]})
    await hass.async_block_till_done()


def shown(hass: HomeAssistant) -> tuple[str, dict[str, Any]]:
    state = hass.states.get(SEAHAWKS)
    assert state is not None
    return state.state, dict(state.attributes)


def score_changes(hass: HomeAssistant) -> list[Event[Any]]:
    """Return the list the score events fired from now on go into."""
    changes: list[Event[Any]] = []

    @callback
    def record(event: Event[Any]) -> None:
        changes.append(event)

    hass.bus.async_listen(SCORE_CHANGE_EVENT, record)
    return changes


def without_moved(attributes: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if k not in MOVED}


async def step(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        "teamtracker",
        "play_step",
        {"entity_id": SEAHAWKS, **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    answer: dict[str, Any] = response[SEAHAWKS]  # type: ignore[assignment]
    return answer


async def test_the_sensor_is_registered_and_shown_as_teamtrackers(
    hass: HomeAssistant, standin: None
) -> None:
    await set_up(hass)
    entry = er.async_get(hass).async_get(SEAHAWKS)
    assert entry is not None
    assert (entry.platform, entry.unique_id, entry.device_id) == (
        "teamtracker",
        "seahawks_sea",
        None,
    )
    state, attributes = shown(hass)
    # Before any game: what TeamTracker shows when ESPN has none for the team.
    assert state == "NOT_FOUND"
    expected = NFL_GAME.not_found(NOW)
    assert attributes.pop("friendly_name") == "Seahawks"
    assert attributes.pop("icon") == "mdi:football"
    assert list(attributes) == list(expected.attributes)
    assert without_moved(attributes) | {"api_message": None} == without_moved(
        dict(expected.attributes)
    ) | {"api_message": None}


async def test_a_game_step_by_step_shows_the_timelines_states(
    hass: HomeAssistant, standin: None
) -> None:
    await set_up(hass)
    changes = score_changes(hass)
    answers = []
    for expected in NFL_OVERTIME.steps:
        answer = await step(hass)
        answers.append(answer)
        state, attributes = shown(hass)
        assert state == expected.state == answer["state"]
        assert attributes.pop("friendly_name") == "Seahawks"
        assert attributes.pop("icon") == "mdi:football"
        assert list(attributes) == list(expected.attributes)
        assert without_moved(attributes) == without_moved(dict(expected.attributes))
        assert attributes["event_id"] == answer["event_id"]
        assert attributes == answer["attributes"]
    assert [a["step"] for a in answers] == list(range(1, 16))
    assert [a["game_over"] for a in answers] == [False] * 14 + [True]
    assert len({a["event_id"] for a in answers}) == 1
    assert all(isinstance(a["written_at"], float) for a in answers)
    # Each score event comes right before the state that shows the score.
    assert len(changes) == 8
    assert [len(a["score_events"]) for a in answers].count(1) == 8
    assert changes[0].data == {
        "entity_id": SEAHAWKS,
        "team_name": "Seahawks",
        "team_score": "7",
        "opponent_score": "0",
        "prev_team_score": "0",
        "prev_opponent_score": "0",
    }
    # The next step begins a new game: another id, its preview first.
    again = await step(hass)
    assert (again["step"], again["state"]) == (1, "PRE")
    assert again["event_id"] != answers[0]["event_id"]


async def test_without_score_events_only_states_change(
    hass: HomeAssistant, standin: None
) -> None:
    await set_up(hass, score_events=False)
    changes = score_changes(hass)
    for _ in NFL_OVERTIME.steps:
        assert (await step(hass))["score_events"] == []
    await hass.async_block_till_done()
    assert changes == []


async def test_unavailable_shows_no_attributes_as_home_assistant_does(
    hass: HomeAssistant, standin: None
) -> None:
    await set_up(hass, league_id="NHL", team_id="NYI", name="Seahawks")
    answers = [await step(hass, timeline="reconnect_reset") for _ in range(4)]
    assert [a["state"] for a in answers] == ["PRE", "IN", "IN", "unavailable"]
    state = hass.states.get(SEAHAWKS)
    assert state is not None
    assert state.state == "unavailable"
    assert dict(state.attributes) == {
        "friendly_name": "Seahawks",
        "icon": "mdi:hockey-puck",
    }
    assert (await step(hass))["state"] == "PRE"
    assert hass.states.get(SEAHAWKS).attributes["team_abbr"] == "NYI"


async def test_a_game_played_in_the_background_ends_on_its_final(
    hass: HomeAssistant, standin: None
) -> None:
    await set_up(hass)
    await hass.services.async_call(
        "teamtracker",
        "play_game",
        {"entity_id": SEAHAWKS, "speed": 100000, "max_pause": 0},
        blocking=True,
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    state, attributes = shown(hass)
    assert (state, attributes["team_score"], attributes["clock"]) == (
        "POST",
        "23",
        "Final/OT",
    )


async def test_the_demo_plays_its_games_over_and_over(
    hass: HomeAssistant, standin: None
) -> None:
    await set_up(hass, autoplay=True, max_pause=0, autoplay_pause=3600)
    await hass.async_block_till_done()
    # The first game is played at once; the next waits for its pause.
    for _ in range(50):
        if shown(hass)[0] == "POST":
            break
        await hass.async_block_till_done()
    assert shown(hass)[0] == "POST"


async def test_the_actions_refuse_other_entities_and_timelines(
    hass: HomeAssistant, standin: None
) -> None:
    await set_up(hass)
    hass.states.async_set("sensor.other", "PRE")
    with pytest.raises(ServiceValidationError, match="sensor.other"):
        await hass.services.async_call(
            "teamtracker",
            "play_step",
            {"entity_id": ["sensor.other"]},
            blocking=True,
            return_response=True,
        )
    with pytest.raises(ServiceValidationError, match="nfl_overtime, bye_week"):
        await step(hass, timeline="soccer_tie")
    with pytest.raises(ServiceValidationError, match="soccer_tie"):
        await hass.services.async_call(
            "teamtracker",
            "play_game",
            {"entity_id": SEAHAWKS, "timeline": "soccer_tie"},
            blocking=True,
        )
    assert shown(hass)[0] == "NOT_FOUND"


async def test_a_team_without_timeline_is_refused_with_a_log_line(
    hass: HomeAssistant, standin: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        await set_up(hass, team_id="SF")
    assert hass.states.get(SEAHAWKS) is None
    assert "no timeline plays SF of NFL" in caplog.text
    assert "SEA of NFL" in caplog.text


async def test_a_timeline_of_another_team_is_replaced_with_a_log_line(
    hass: HomeAssistant, standin: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        await set_up(hass, timeline="soccer_tie")
    assert "timeline 'soccer_tie' is not one of SEA's" in caplog.text
    assert (await step(hass))["timeline"] == "nfl_overtime"
