"""Sports moments in Home Assistant: TeamTracker sensors in, MQTT and events out.

Each test registers TeamTracker-like sensors (platform `teamtracker` in the
entity registry), sets HA AI up, and replays the engine's timelines as the
sensor's states (and TeamTracker's `teamtracker.score_change` events) on a
frozen clock. The messages published and the events fired are compared with
the moments the engine gives for the same readings, and with the moments
written out by hand for one whole game.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import (
    CONF_SPORTS_DELAYS,
    CONF_SPORTS_UNFOLLOWED,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.ha_ai.engine.sports.timelines import (
    HOCKEY_GAME,
    NFL_GAME,
    NFL_OVERTIME,
    SCORE_CHANGE_EVENT,
    SOCCER_GAME,
    SOCCER_TIE,
    TIMELINES,
    Fixture,
    Side,
    Step,
    score_changes,
)
from custom_components.ha_ai.store_loading import async_store_reports

from .conftest import published
from .engine.sports.replay import play
from .sports_helpers import (
    SPORTS,
    Fired,
    Sensor,
    event_ids,
    expected,
    fired_as_messages,
    messages,
    register,
    replay,
    show,
)

SLUGS = {
    "nfl_overtime": "nfl_sea",
    "soccer_tie": "mls_clb",
    "nhl_shootout": "nhl_nyi",
    "mlb_flips": "mlb_mil",
    "bye_week": "nfl_sea",
    "doubleheader": "mlb_mil",
    "reconnect_reset": "nhl_nyi",
}
MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


async def start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    at: datetime,
) -> None:
    """Set HA AI up at `at`."""
    freezer.move_to(at)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def entity(hass: HomeAssistant, domain: str, sensor: Sensor) -> str:
    """Return the entity id of a team's event entity or game sensor."""
    device = dr.async_get(hass).async_get_device(
        identifiers={(DOMAIN, f"team_{sensor.unique_id}")}
    )
    assert device is not None
    [found] = [
        entry.entity_id
        for entry in er.async_entries_for_device(er.async_get(hass), device.id)
        if entry.domain == domain
    ]
    return found


# Whole games


@pytest.mark.parametrize("events", [False, True], ids=["states", "score_events"])
@pytest.mark.parametrize("name", list(TIMELINES))
async def test_a_timeline_publishes_exactly_the_engines_moments_once(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    name: str,
    events: bool,
) -> None:
    timeline = TIMELINES[name]
    sensor = register(hass, timeline.fixture)
    await start(hass, freezer, config_entry, timeline.start - MINUTE)
    fired = Fired(hass, entity(hass, "event", sensor))
    items = (
        list(score_changes(timeline, sensor.entity_id))
        if events
        else list(timeline.steps)
    )
    await replay(hass, freezer, sensor, items)

    moments = play(timeline, events=events, team=SLUGS[name])
    assert messages(mqtt_mock) == expected(moments)
    assert fired_as_messages(fired) == expected(moments)
    ids = event_ids(mqtt_mock)
    assert len(set(ids)) == len(ids)


async def test_an_overtime_win_is_announced_moment_by_moment(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    sensor = register(hass, NFL_GAME)
    await start(hass, freezer, config_entry, NFL_OVERTIME.start - MINUTE)
    await replay(hass, freezer, sensor, NFL_OVERTIME.steps)

    sent = messages(mqtt_mock)
    assert [
        (
            topic.removeprefix("ha-ai/events/sports/nfl_sea/"),
            fields["team_score"],
            fields["opponent_score"],
            fields["points"],
        )
        for topic, fields in sent
    ] == [
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
    ]
    _, won = sent[-1]
    assert won == {
        "moment": "won",
        "team": "nfl_sea",
        "team_name": "Seahawks",
        "team_abbr": "SEA",
        "opponent": "49ers",
        "opponent_abbr": "SF",
        "team_score": 23,
        "opponent_score": 20,
        "points": None,
        "team_shootout": None,
        "opponent_shootout": None,
        "team_winner": True,
        "opponent_winner": False,
        "period": 5,
        "clock": "Final/OT",
        "league": "NFL",
        "game_id": "401772810",
        "date": "2025-11-16T21:25:00+00:00",
        "team_colors": ["#002a5c", "#69be28"],
    }


# Which teams


def hockey_steps(fixture: Fixture = HOCKEY_GAME) -> list[Step]:
    """Return a short hockey game: preview, start, a goal each way, a win."""
    k = fixture.date
    return [
        fixture.pre(k - 10 * MINUTE),
        fixture.live(k + 1 * MINUTE, 0, 0, period=1, clock="20:00 - 1st"),
        fixture.live(k + 10 * MINUTE, 1, 0, period=1, clock="10:00 - 1st"),
        fixture.live(k + 30 * MINUTE, 1, 1, period=2, clock="15:00 - 2nd"),
        fixture.live(k + 50 * MINUTE, 2, 1, period=3, clock="5:00 - 3rd"),
        fixture.final(k + 70 * MINUTE, 2, 1, period=3),
    ]


HOCKEY_MOMENTS = [
    ("nhl_nyi/game_started", 0, 0),
    ("nhl_nyi/scored", 1, 0),
    ("nhl_nyi/opponent_scored", 1, 1),
    ("nhl_nyi/scored", 2, 1),
    ("nhl_nyi/won", 2, 1),
]


def briefs(mqtt_mock: MqttMockHAClient) -> list[tuple[str, int, int]]:
    """Return each sports message as its topic's end and the score."""
    return [
        (topic.removeprefix(SPORTS), fields["team_score"], fields["opponent_score"])
        for topic, fields in messages(mqtt_mock)
    ]


def team_devices(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """Return the names of the entry's team devices by their identifier."""
    return {
        identifier: str(device.name)
        for device in dr.async_entries_for_config_entry(
            dr.async_get(hass), entry.entry_id
        )
        for domain, identifier in device.identifiers
        if domain == DOMAIN and identifier.startswith("team_")
    }


def entry_with(**options: Any) -> MockConfigEntry:
    """Return an HA AI entry with sports options on top of the defaults."""
    return MockConfigEntry(
        domain=DOMAIN, title="HA AI", data={}, options={**DEFAULT_OPTIONS, **options}
    )


async def test_a_team_not_followed_is_neither_announced_nor_a_device(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    crew = register(hass, SOCCER_GAME)
    entry = entry_with(**{CONF_SPORTS_UNFOLLOWED: [crew.unique_id]})
    await start(hass, freezer, entry, SOCCER_TIE.start - MINUTE)
    await replay(hass, freezer, crew, SOCCER_TIE.steps)
    await replay(hass, freezer, islanders, hockey_steps())

    assert briefs(mqtt_mock) == HOCKEY_MOMENTS
    assert team_devices(hass, entry) == {f"team_{islanders.unique_id}": "Islanders"}
    assert hass.states.get("sensor.crew_game") is None


async def test_standings_disabled_and_other_teamtracker_entities_are_no_teams(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    registry = er.async_get(hass)
    registry.async_get_or_create("sensor", "teamtracker", "standings_01jentry")
    registry.async_get_or_create(
        "sensor",
        "teamtracker",
        "nhl_01jdisabled",
        disabled_by=er.RegistryEntryDisabler.USER,
    )
    registry.async_get_or_create("binary_sensor", "teamtracker", "nhl_01jbinary")
    registry.async_get_or_create("sensor", "espn", "seahawks_01jother")
    await start(hass, freezer, config_entry, HOCKEY_GAME.date)
    assert team_devices(hass, config_entry) == {}
    assert config_entry.runtime_data.sports.found == {}


async def test_a_team_added_later_is_followed_and_one_removed_lets_go(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    steps = hockey_steps()
    await start(hass, freezer, config_entry, steps[0].at - MINUTE)
    assert team_devices(hass, config_entry) == {}

    islanders = register(hass, HOCKEY_GAME)
    await hass.async_block_till_done()
    assert team_devices(hass, config_entry) == {
        f"team_{islanders.unique_id}": "Islanders"
    }
    assert hass.states.get("sensor.islanders_game") is not None
    fired = Fired(hass, "event.islanders_moments")
    await replay(hass, freezer, islanders, steps[:3])
    assert briefs(mqtt_mock) == HOCKEY_MOMENTS[:2]
    assert [event_type for event_type, _ in fired.events] == [
        "game_started",
        "scored",
    ]

    er.async_get(hass).async_remove(islanders.entity_id)
    await hass.async_block_till_done()
    assert team_devices(hass, config_entry) == {}
    assert hass.states.get("sensor.islanders_game") is None
    assert hass.states.get("event.islanders_moments") is None
    await replay(hass, freezer, islanders, steps[3:])
    assert briefs(mqtt_mock) == HOCKEY_MOMENTS[:2]


async def test_a_team_whose_sensor_is_renamed_goes_on_where_it_was(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    steps = hockey_steps()
    await start(hass, freezer, config_entry, steps[0].at - MINUTE)
    await replay(hass, freezer, islanders, steps[:3])
    er.async_get(hass).async_update_entity(
        islanders.entity_id, new_entity_id="sensor.isles"
    )
    await hass.async_block_till_done()
    renamed = replace(islanders, entity_id="sensor.isles")
    await replay(hass, freezer, renamed, steps[2:])
    assert briefs(mqtt_mock) == HOCKEY_MOMENTS
    assert team_devices(hass, config_entry) == {
        f"team_{islanders.unique_id}": "Islanders"
    }


# The delay


async def test_a_delay_holds_moments_back_and_a_withdrawn_score_is_never_sent(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    entry = entry_with(**{CONF_SPORTS_DELAYS: {islanders.unique_id: 30}})
    g, k = HOCKEY_GAME, HOCKEY_GAME.date
    await start(hass, freezer, entry, k - 20 * MINUTE)
    fired = Fired(hass, "event.islanders_moments")

    async def wait(until: datetime) -> None:
        freezer.move_to(until)
        async_fire_time_changed(hass, until)
        await hass.async_block_till_done()

    await show(hass, freezer, islanders, g.pre(k - 10 * MINUTE))
    await show(hass, freezer, islanders, g.live(k, 0, 0, period=1, clock="20:00"))
    assert briefs(mqtt_mock) == []
    await wait(k + 29 * SECOND)
    assert briefs(mqtt_mock) == []
    await wait(k + 30 * SECOND)
    assert briefs(mqtt_mock) == [("nhl_nyi/game_started", 0, 0)]
    [(_, payload, _, _)] = published(mqtt_mock, SPORTS)
    assert datetime.fromisoformat(payload["timestamp"]) == k + 30 * SECOND

    # A goal shown, then taken back by the feed within the delay: never sent.
    goal = k + 10 * MINUTE
    await show(hass, freezer, islanders, g.live(goal, 1, 0, period=1, clock="9:00"))
    await show(
        hass, freezer, islanders, g.live(goal + 10 * SECOND, 0, 0, period=1, clock="9")
    )
    await wait(goal + 5 * MINUTE)
    assert briefs(mqtt_mock) == [("nhl_nyi/game_started", 0, 0)]

    # The next goal stands: it goes out 30 s after it was seen.
    goal = k + 20 * MINUTE
    await show(hass, freezer, islanders, g.live(goal, 1, 0, period=1, clock="2:00"))
    await wait(goal + 30 * SECOND)
    await show(hass, freezer, islanders, g.final(k + 70 * MINUTE, 1, 0, period=3))
    await wait(k + 71 * MINUTE)
    assert briefs(mqtt_mock) == [
        ("nhl_nyi/game_started", 0, 0),
        ("nhl_nyi/scored", 1, 0),
        ("nhl_nyi/won", 1, 0),
    ]
    assert [event_type for event_type, _ in fired.events] == [
        "game_started",
        "scored",
        "won",
    ]


# Score events


async def test_a_score_event_announces_first_and_the_state_after_it_adds_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    g, k = HOCKEY_GAME, HOCKEY_GAME.date
    await start(hass, freezer, config_entry, k - 20 * MINUTE)
    await show(hass, freezer, islanders, g.pre(k - 10 * MINUTE))
    await show(hass, freezer, islanders, g.live(k, 0, 0, period=1, clock="20:00"))

    def score(team: object, opponent: object, entity_id: object) -> dict[str, Any]:
        return {
            "entity_id": entity_id,
            "team_name": "Islanders",
            "team_score": team,
            "opponent_score": opponent,
            "prev_team_score": "0",
            "prev_opponent_score": "0",
        }

    freezer.move_to(k + 5 * MINUTE)
    hass.bus.async_fire(SCORE_CHANGE_EVENT, score("1", "0", islanders.entity_id))
    await hass.async_block_till_done()
    assert briefs(mqtt_mock)[-1] == ("nhl_nyi/scored", 1, 0)
    await show(
        hass, freezer, islanders, g.live(k + 5 * MINUTE, 1, 0, period=1, clock="15")
    )
    # Events of other sensors, and events that say nothing, change nothing.
    for data in (
        score("2", "0", "sensor.someone_else"),
        score("2", "0", 42),
        score("two", None, islanders.entity_id),
    ):
        hass.bus.async_fire(SCORE_CHANGE_EVENT, data)
    await hass.async_block_till_done()
    assert briefs(mqtt_mock) == [
        ("nhl_nyi/game_started", 0, 0),
        ("nhl_nyi/scored", 1, 0),
    ]
    assert (
        "score event without a score: ignored"
        in (config_entry.runtime_data.sports.as_diagnostics()["teams"][0]["notes"])
    )


# Restarts


async def restart(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, entry: MockConfigEntry
) -> None:
    """Reload HA AI (its stores are written and read again)."""
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()


async def test_a_reload_mid_game_repeats_nothing_and_misses_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    sensor = register(hass, NFL_GAME)
    await start(hass, freezer, config_entry, NFL_OVERTIME.start - MINUTE)
    halftime = 7
    await replay(hass, freezer, sensor, NFL_OVERTIME.steps[:halftime])
    await restart(hass, freezer, config_entry)

    stored = hass_storage["ha_ai.sports"]["data"]["teams"][sensor.unique_id]
    assert stored["slug"] == "nfl_sea"
    assert stored["name"] == "Seahawks"
    [game] = stored["follower"]["games"]
    assert (game["game_id"], game["started"], game["final"]) == (
        "401772810",
        True,
        False,
    )
    assert (game["team_score"], game["opponent_score"]) == (7, 10)

    fired = Fired(hass, "event.seahawks_moments")
    await replay(hass, freezer, sensor, NFL_OVERTIME.steps[halftime:])
    everything = expected(play(NFL_OVERTIME, team="nfl_sea"))
    assert messages(mqtt_mock) == everything
    assert fired_as_messages(fired) == everything[4:]  # those after half-time


async def test_what_happened_while_ha_ai_was_away_briefly_is_announced(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    g, k = HOCKEY_GAME, HOCKEY_GAME.date
    await start(hass, freezer, config_entry, k - 20 * MINUTE)
    await show(hass, freezer, islanders, g.pre(k - 10 * MINUTE))
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    # The game starts and the team scores while HA AI is not running.
    await show(hass, freezer, islanders, g.live(k, 0, 0, period=1, clock="20:00"))
    await show(hass, freezer, islanders, g.live(k + MINUTE, 1, 0, period=1, clock="19"))
    freezer.move_to(k + 2 * MINUTE)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert briefs(mqtt_mock) == [
        ("nhl_nyi/game_started", 1, 0),
        ("nhl_nyi/scored", 1, 0),
    ]
    state = hass.states.get("event.islanders_moments")
    assert state is not None
    assert state.attributes["event_type"] == "scored"


async def test_a_goal_long_past_when_ha_ai_comes_back_is_not_announced(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    g, k = HOCKEY_GAME, HOCKEY_GAME.date
    await start(hass, freezer, config_entry, k - 20 * MINUTE)
    await show(hass, freezer, islanders, g.pre(k - 10 * MINUTE))
    await show(hass, freezer, islanders, g.live(k, 0, 0, period=1, clock="20:00"))
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    await show(hass, freezer, islanders, g.live(k + MINUTE, 1, 0, period=1, clock="19"))
    freezer.move_to(k + 20 * MINUTE)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await show(
        hass, freezer, islanders, g.live(k + 21 * MINUTE, 1, 1, period=1, clock="1")
    )
    assert briefs(mqtt_mock) == [
        ("nhl_nyi/game_started", 0, 0),
        ("nhl_nyi/opponent_scored", 1, 1),
    ]


async def test_a_damaged_team_record_starts_that_team_afresh_and_says_so(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    seahawks = register(hass, NFL_GAME)
    crew = register(hass, SOCCER_GAME)
    hass_storage["ha_ai.sports"] = {
        "version": 1,
        "minor_version": 1,
        "key": "ha_ai.sports",
        "data": {
            "version": 1,
            "teams": {
                islanders.unique_id: {"slug": "nhl_nyi", "follower": "a game"},
                seahawks.unique_id: {"slug": "+/#", "follower": None},
                crew.unique_id: {
                    "slug": "mls_clb",
                    "name": 7,
                    "follower": {
                        "version": 1,
                        "games": [
                            {"game_id": 5},
                            {"game_id": "623574", "event_id": "623574", "final": 1},
                        ],
                    },
                },
                "gone_01jremoved": {"slug": "mls_clb", "follower": None},
            },
        },
    }
    g, k = HOCKEY_GAME, HOCKEY_GAME.date
    # The game is under way: the team's fresh follower takes its score as known.
    hass.states.async_set(
        islanders.entity_id,
        "IN",
        g.live(k + 5 * MINUTE, 1, 0, period=1, clock="15:00").attributes,
    )
    await start(hass, freezer, config_entry, k + 5 * MINUTE)
    await show(
        hass, freezer, islanders, g.live(k + 6 * MINUTE, 2, 0, period=1, clock="14")
    )

    assert briefs(mqtt_mock) == [("nhl_nyi/scored", 2, 0)]
    assert "damaged records dropped" in caplog.text
    report = async_store_reports(hass)["ha_ai.sports"]
    assert report["dropped"] == {
        "team: slug is not a safe topic segment": 1,
        "team: its slug is held by another team": 1,
        "team follower: the sports follower is text, not an object; the team "
        "starts afresh": 1,
        "game: game_id is a number, not text": 1,
    }
    assert report["fields_reset"] == {"team.name": 1, "game.final": 1}
    sports = config_entry.runtime_data.sports
    assert sports.slugs == {islanders.unique_id: "nhl_nyi", crew.unique_id: "mls_clb"}
    await hass.config_entries.async_unload(config_entry.entry_id)
    kept = hass_storage["ha_ai.sports"]["data"]["teams"]
    assert set(kept) == {islanders.unique_id, crew.unique_id}
    assert kept[islanders.unique_id]["follower"]["games"][0]["team_score"] == 2


async def test_an_unreadable_store_is_reported_and_every_team_starts_afresh(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    hass_storage["ha_ai.sports"] = {
        "version": 1,
        "minor_version": 1,
        "key": "ha_ai.sports",
        "data": {"version": 1, "teams": ["nhl_nyi"]},
    }
    steps = hockey_steps()
    await start(hass, freezer, config_entry, steps[0].at - MINUTE)
    await replay(hass, freezer, islanders, steps)
    assert briefs(mqtt_mock) == HOCKEY_MOMENTS
    # The harness keeps stores in memory: there is no file to copy aside.
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, "store_left_in_place_ha_ai.sports"
    )
    assert issue is not None


# Names and readings from outside


async def test_hostile_team_names_make_safe_topics_devices_and_log_lines(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.ha_ai")
    forged = Side(
        "+/#",
        "Kings\n2025-01-01 ERROR forged\u202e",
        "x" * 5_000,
        "1",
        ("#000000", "x"),
    )
    cyrillic = Side("ЦСК", "ЦСКА", "ЦСКА Москва", "2", ("#ff0000", "#0000ff"))
    kings = register(
        hass,
        replace(HOCKEY_GAME, team=forged, league="N/H#L+", league_path="a/b"),
        name="Kings",
    )
    cska = register(
        hass, replace(HOCKEY_GAME, team=cyrillic, league="KHL"), name="Cska"
    )
    await start(hass, freezer, config_entry, HOCKEY_GAME.date - 20 * MINUTE)
    for sensor in (kings, cska):
        await replay(hass, freezer, sensor, hockey_steps(sensor.fixture))

    topics = [topic for topic, _ in messages(mqtt_mock)]
    assert len(topics) == 2 * len(HOCKEY_MOMENTS)
    slugs = {topic.split("/")[3] for topic in topics}
    assert len(slugs) == 2
    for slug in slugs:
        assert re.fullmatch(r"[a-z0-9_]{1,64}", slug), slug
    assert "n_h_l_kings_2025_01_01_error_forged" in slugs
    _, fields = messages(mqtt_mock)[0]
    assert fields["team_name"] == "Kings 2025-01-01 ERROR forged"
    assert fields["team_colors"] == ["#000000"]
    names = set(team_devices(hass, config_entry).values())
    assert names == {"Kings 2025-01-01 ERROR forged", "ЦСКА"}
    assert not [record for record in caplog.records if "\n" in record.getMessage()]


@pytest.mark.parametrize("state", ["unavailable", "unknown", "SOMETHING", ""])
async def test_unavailable_and_unknown_readings_announce_nothing(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    state: str,
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    g, k = HOCKEY_GAME, HOCKEY_GAME.date
    await start(hass, freezer, config_entry, k - 20 * MINUTE)
    await show(hass, freezer, islanders, g.pre(k - 10 * MINUTE))
    await show(hass, freezer, islanders, g.live(k, 0, 0, period=1, clock="20:00"))
    broken = g.live(k + MINUTE, "3", "junk", period=1, clock="19:00")
    for minute in (1, 2):
        freezer.move_to(k + minute * MINUTE)
        hass.states.async_set(islanders.entity_id, state, broken.attributes)
        await hass.async_block_till_done()
    await show(
        hass, freezer, islanders, g.live(k + 3 * MINUTE, 1, 0, period=1, clock="17")
    )
    assert briefs(mqtt_mock) == [
        ("nhl_nyi/game_started", 0, 0),
        ("nhl_nyi/scored", 1, 0),
    ]
    game = hass.states.get("sensor.islanders_game")
    assert game is not None
    assert (game.state, game.attributes["team_score"]) == ("in", 1)


async def test_removing_ha_ai_deletes_what_it_kept_of_the_teams(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    steps = hockey_steps()
    await start(hass, freezer, config_entry, steps[0].at - MINUTE)
    await replay(hass, freezer, islanders, steps[:3])
    await hass.config_entries.async_unload(config_entry.entry_id)
    assert "ha_ai.sports" in hass_storage
    await hass.config_entries.async_remove(config_entry.entry_id)
    await hass.async_block_till_done()
    assert "ha_ai.sports" not in hass_storage
    assert team_devices(hass, config_entry) == {}
