"""A followed team's device and entities: the game sensor through the feed's
glitches, the event entity in an automation, the device's name, its removal, and
the diagnostics.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components import automation
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.ha_ai import async_remove_config_entry_device
from custom_components.ha_ai.const import (
    CONF_SPORTS_DELAYS,
    CONF_SPORTS_UNFOLLOWED,
    DEFAULT_OPTIONS,
    DOMAIN,
)
from custom_components.ha_ai.engine.sports.timelines import (
    BYE_WEEK,
    HOCKEY_GAME,
    MLB_FLIPS,
    NFL_GAME,
    RECONNECT_RESET,
    SOCCER_GAME,
    Timeline,
)

from .sports_helpers import Sensor, register, replay, show

MINUTE = timedelta(minutes=1)


async def start(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entry: MockConfigEntry,
    at: datetime,
) -> MockConfigEntry:
    freezer.move_to(at)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def game_states(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    sensor: Sensor,
    timeline: Timeline,
    entity_id: str,
) -> list[tuple[str, Any, Any]]:
    """Replay a timeline; return the game sensor's state and score after each step."""
    seen = []
    for step in timeline.steps:
        await show(hass, freezer, sensor, step)
        state = hass.states.get(entity_id)
        assert state is not None
        seen.append(
            (
                state.state,
                state.attributes["team_score"],
                state.attributes["opponent_score"],
            )
        )
    return seen


# The game sensor


async def test_the_game_sensor_shows_the_game_without_the_feeds_flips(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    brewers = register(hass, MLB_FLIPS.fixture)
    await start(hass, freezer, config_entry, MLB_FLIPS.start - MINUTE)
    game = "sensor.brewers_game"
    assert hass.states.get(game).state == "unknown"  # type: ignore[union-attr]
    assert await game_states(hass, freezer, brewers, MLB_FLIPS, game) == [
        ("post", 5, 2),  # yesterday's final, as first seen
        ("pre", 0, 0),
        ("in", 0, 0),
        ("in", 0, 2),
        ("in", 0, 2),  # yesterday's final again: stale
        ("in", 0, 2),
        ("in", 3, 2),
        ("in", 3, 2),  # tomorrow's preview for a moment
        ("in", 3, 2),
        ("in", 3, 3),
        ("in", 3, 3),  # yesterday's final again
        ("in", 3, 3),
        ("in", 3, 3),
        ("post", 4, 3),
        ("pre", 0, 0),  # the next game, once this one is over
    ]
    state = hass.states.get(game)
    assert state is not None
    assert state.attributes == {
        "team_score": 0,
        "opponent_score": 0,
        "opponent": "Cubs",
        "period": 0,
        "clock": "9/8 - 6:10 PM UTC",
        "league": "MLB",
        "date": "2025-09-08T18:10:00+00:00",
        "game_id": "401696228",
        "topic": "ha-ai/events/sports/mlb_mil",
        "device_class": "enum",
        "options": ["pre", "in", "post", "bye", "not_found"],
        "friendly_name": "Brewers Game",
    }


async def test_the_game_sensor_keeps_the_game_through_outages_and_resets(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    await start(hass, freezer, config_entry, RECONNECT_RESET.start - MINUTE)
    seen = await game_states(
        hass, freezer, islanders, RECONNECT_RESET, "sensor.islanders_game"
    )
    assert seen == [
        ("pre", 0, 0),
        ("in", 0, 0),
        ("in", 1, 0),
        ("in", 1, 0),  # unavailable
        ("in", 1, 0),  # reset to a 0-0 preview
        ("in", 1, 0),
        ("in", 1, 0),  # an API error
        ("in", 1, 1),
        ("in", 2, 1),
        ("post", 2, 1),
        ("post", 2, 1),  # the preview again after the end
        ("post", 2, 1),
    ]


async def test_the_game_sensor_shows_a_bye_week(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    seahawks = register(hass, NFL_GAME)
    await start(hass, freezer, config_entry, BYE_WEEK.start - MINUTE)
    seen = await game_states(hass, freezer, seahawks, BYE_WEEK, "sensor.seahawks_game")
    assert seen == [
        ("post", 17, 24),
        ("bye", None, None),
        ("bye", None, None),
        ("bye", None, None),
        ("pre", 0, 0),
    ]


async def test_the_game_sensor_shows_no_game_when_teamtracker_finds_none(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    seahawks = register(hass, NFL_GAME)
    await start(hass, freezer, config_entry, NFL_GAME.date)
    await show(hass, freezer, seahawks, NFL_GAME.not_found(NFL_GAME.date))
    state = hass.states.get("sensor.seahawks_game")
    assert state is not None
    assert state.state == "not_found"
    assert state.attributes["league"] is None
    assert state.attributes["topic"] == "ha-ai/events/sports/nfl_sea"


async def test_a_game_lost_to_an_outage_gives_way_to_the_next_preview(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    g, k = HOCKEY_GAME, HOCKEY_GAME.date
    following = g.with_game("401688420", k + timedelta(days=2))
    await start(hass, freezer, config_entry, k - 20 * MINUTE)
    for step in (
        g.pre(k - 10 * MINUTE),
        g.live(k + 30 * MINUTE, 1, 0, period=2, clock="20:00 - 2nd"),
        g.not_found(k + 31 * MINUTE, "API error, no data returned"),
        following.pre(k + 31.5 * MINUTE),  # a flash of another game: kept live
    ):
        await show(hass, freezer, islanders, step)
    assert hass.states.get("sensor.islanders_game").state == "in"  # type: ignore[union-attr]
    # The feed comes back a day later, with the next game only.
    await show(hass, freezer, islanders, following.pre(k + timedelta(days=1)))
    state = hass.states.get("sensor.islanders_game")
    assert state is not None
    assert (state.state, state.attributes["game_id"]) == ("pre", "401688420")


# The device


async def test_the_device_is_named_after_the_team_once_its_sensor_says(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    sensor = register(hass, NFL_GAME, name="team_tracker")
    await start(hass, freezer, config_entry, NFL_GAME.date - 60 * MINUTE)
    identifiers = {(DOMAIN, f"team_{sensor.unique_id}")}
    device = dr.async_get(hass).async_get_device(identifiers=identifiers)
    assert device is not None
    assert (device.name, device.model, device.entry_type) == (
        "team_tracker",
        "Sports team",
        dr.DeviceEntryType.SERVICE,
    )
    await show(hass, freezer, sensor, NFL_GAME.pre(NFL_GAME.date - 30 * MINUTE))
    device = dr.async_get(hass).async_get_device(identifiers=identifiers)
    assert device is not None
    assert device.name == "Seahawks"
    # Its entities keep the ids they were given.
    assert hass.states.get("event.team_tracker_moments") is not None
    assert hass.states.get("sensor.team_tracker_game") is not None
    # The name is kept, so a restart before TeamTracker is back keeps it too.
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    device = dr.async_get(hass).async_get_device(identifiers=identifiers)
    assert device is not None
    assert device.name == "Seahawks"


async def test_a_team_unticked_loses_its_device_and_only_such_a_device_can_go(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    hass_ws_client: WebSocketGenerator,
) -> None:
    # Connected first: its token would not be valid yet on the clock of the game.
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    islanders = register(hass, HOCKEY_GAME)
    crew = register(hass, SOCCER_GAME)
    entry = await start(
        hass,
        freezer,
        MockConfigEntry(domain=DOMAIN, data={}, options=dict(DEFAULT_OPTIONS)),
        HOCKEY_GAME.date,
    )
    registry = dr.async_get(hass)
    isles = registry.async_get_device(
        identifiers={(DOMAIN, f"team_{islanders.unique_id}")}
    )
    assert isles is not None
    assert registry.async_get_device(identifiers={(DOMAIN, f"team_{crew.unique_id}")})

    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": isles.id,
        }
    )
    assert not (await client.receive_json())["success"]

    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_SPORTS_UNFOLLOWED: [crew.unique_id]}
    )
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert (
        registry.async_get_device(identifiers={(DOMAIN, f"team_{crew.unique_id}")})
        is None
    )
    assert hass.states.get("sensor.crew_game") is None
    assert er.async_get(hass).async_get("event.crew_moments") is None

    # A device of the team left behind (an older HA AI's) may be deleted.
    leftover = registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={(DOMAIN, f"team_{crew.unique_id}")}
    )
    assert await async_remove_config_entry_device(hass, entry, leftover)
    assert not await async_remove_config_entry_device(hass, entry, isles)


# An automation on the event entity


async def test_an_automation_flashes_the_lights_when_the_team_scores(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    g, k = HOCKEY_GAME, HOCKEY_GAME.date
    await start(hass, freezer, config_entry, k - 20 * MINUTE)
    calls: list[ServiceCall] = []

    @callback
    def flash(call: ServiceCall) -> None:
        calls.append(call)

    hass.services.async_register("light", "turn_on", flash)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "triggers": [
                    {
                        "trigger": "state",
                        "entity_id": "event.islanders_moments",
                        "attribute": "event_type",
                        "to": None,
                    }
                ],
                "conditions": [
                    "{{ trigger.to_state.attributes.event_type == 'scored' }}"
                ],
                "actions": [
                    {
                        "action": "light.turn_on",
                        "target": {"entity_id": "light.living_room"},
                        "data": {
                            "flash": "short",
                            "rgb_color": "{{ trigger.to_state.attributes"
                            ".team_colors[0] | regex_findall('[0-9a-f]{2}') "
                            "| map('int', base=16) | list }}",
                        },
                    }
                ],
            }
        },
    )
    await replay(
        hass,
        freezer,
        islanders,
        [
            g.pre(k - 10 * MINUTE),
            g.live(k, 0, 0, period=1, clock="20:00"),
            g.live(k + 5 * MINUTE, 1, 0, period=1, clock="15:00"),
            g.live(k + 9 * MINUTE, 1, 1, period=1, clock="11:00"),
        ],
    )
    await hass.async_block_till_done()
    assert [call.data["rgb_color"] for call in calls] == [[0, 82, 155]]


# Diagnostics


@pytest.fixture
def hockey_clock(
    mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> FrozenDateTimeFactory:
    """Freeze the clock before the game, before an API client's token is made."""
    freezer.move_to(HOCKEY_GAME.date - 20 * MINUTE)
    return freezer


async def test_the_diagnostics_list_teams_by_name_and_key_only(
    hass: HomeAssistant,
    hockey_clock: FrozenDateTimeFactory,
    hass_client: ClientSessionGenerator,
) -> None:
    freezer = hockey_clock
    islanders = register(hass, HOCKEY_GAME)
    crew = register(hass, SOCCER_GAME)
    entry = await start(
        hass,
        freezer,
        MockConfigEntry(
            domain=DOMAIN,
            data={},
            options={
                **DEFAULT_OPTIONS,
                CONF_SPORTS_UNFOLLOWED: [crew.unique_id],
                CONF_SPORTS_DELAYS: {islanders.unique_id: 20},
            },
        ),
        HOCKEY_GAME.date - 20 * MINUTE,
    )
    g, k = HOCKEY_GAME, HOCKEY_GAME.date
    await replay(
        hass,
        freezer,
        islanders,
        [
            g.pre(k - 10 * MINUTE),
            g.live(k, 0, 0, period=1, clock="20:00"),
            g.live(k + MINUTE, 1, 0, period=1, clock="19:00"),
            g.live(k + 2 * MINUTE, "2", "x", period=1, clock="18:00"),
        ],
    )
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["sports"] == {
        "teams_found": 2,
        "teams_followed": 1,
        "moments_sent": 2,
        "teams": [
            {"name": "Crew", "followed": False, "slug": None},
            {
                "name": "Islanders",
                "followed": True,
                "slug": "nhl_nyi",
                "delay_seconds": 20.0,
                "state": "IN",
                "moments_sent": {"game_started": 1, "scored": 1},
                "moments_held": 1,
                "games_remembered": 1,
                "notes": ["opponent_score 'x' is not a score; ignored"],
            },
        ],
    }
    text = str(diagnostics["sports"])
    for inner in (islanders.entity_id, islanders.unique_id, crew.unique_id):
        assert inner not in text
    # The options name the teams by their sensors' unique ids, as they are kept.
    assert diagnostics["options"][CONF_SPORTS_UNFOLLOWED] == [crew.unique_id]


async def test_a_team_without_a_league_waits_for_its_key(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> None:
    seahawks = register(hass, NFL_GAME)
    await start(hass, freezer, config_entry, BYE_WEEK.steps[1].at - MINUTE)
    await show(hass, freezer, seahawks, BYE_WEEK.steps[1])
    sports = config_entry.runtime_data.sports
    assert sports.slugs == {}
    game = hass.states.get("sensor.seahawks_game")
    assert game is not None
    assert (game.state, game.attributes["topic"]) == ("bye", None)
    hass.bus.async_fire(
        "teamtracker.score_change",
        {"entity_id": seahawks.entity_id, "team_score": "3", "opponent_score": "0"},
    )
    await hass.async_block_till_done()
    assert config_entry.runtime_data.sports.as_diagnostics()["moments_sent"] == 0
    await show(hass, freezer, seahawks, BYE_WEEK.steps[-1])
    assert sports.slugs == {seahawks.unique_id: "nfl_sea"}
