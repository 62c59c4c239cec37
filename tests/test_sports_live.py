"""Sports moments in Home Assistant: TeamTracker sensors in, MQTT and events out.

Each test registers TeamTracker-like sensors (platform `teamtracker` in the
entity registry), sets HA AI up, and replays the engine's timelines as the
sensor's states (and TeamTracker's `teamtracker.score_change` events) on a
frozen clock. The messages published and the events fired are compared with
the moments the engine gives for the same readings, and with the moments
written out by hand for one whole game.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.const import (
    DOMAIN,
)
from custom_components.ha_ai.engine.sports.timelines import (
    NFL_GAME,
    NFL_OVERTIME,
    TIMELINES,
    score_changes,
)

from .engine.sports.replay import play
from .sports_helpers import (
    Fired,
    Sensor,
    event_ids,
    expected,
    fired_as_messages,
    messages,
    register,
    replay,
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
