"""The options flow's sports step: the teams found, which to follow, their delays."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import voluptuous as vol
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, section
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry
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
    SOCCER_GAME,
)
from custom_components.ha_ai.entry_settings import split_settings
from custom_components.ha_ai.sports.teams import SportsSettings

from .sports_helpers import register, show

MINUTE = timedelta(minutes=1)
_, DEFAULT_TUNABLES = split_settings(DEFAULT_OPTIONS)


async def set_up(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, **options: Any
) -> MockConfigEntry:
    """Set HA AI up before the hockey game, with sports options on the defaults."""
    freezer.move_to(HOCKEY_GAME.date - 20 * MINUTE)
    entry = MockConfigEntry(
        domain=DOMAIN, title="HA AI", data={}, options={**DEFAULT_OPTIONS, **options}
    )
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


async def open_sports_step(hass: HomeAssistant, entry: MockConfigEntry) -> Any:
    """Open the options and go past the settings, unchanged, to the sports step."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    return await hass.config_entries.options.async_configure(result["flow_id"], {})


def form(result: Any) -> dict[str, Any]:
    """Return the fields of a form: the teams offered, each delay's suggestion."""
    fields: dict[str, Any] = {}
    for key, value in result["data_schema"].schema.items():
        if isinstance(value, section):
            assert key.default is vol.UNDEFINED
            fields[key.schema] = {
                inner.schema: inner.description["suggested_value"]
                for inner in value.schema.schema
            }
        else:
            fields["offered"] = [
                (option["value"], option["label"]) for option in value.config["options"]
            ]
            fields[key.schema] = key.description["suggested_value"]
    return fields


def devices(hass: HomeAssistant, entry: MockConfigEntry) -> set[str]:
    """Return the names of the entry's team devices."""
    return {
        str(device.name)
        for device in dr.async_entries_for_config_entry(
            dr.async_get(hass), entry.entry_id
        )
        if any(identifier.startswith("team_") for _, identifier in device.identifiers)
    }


async def test_without_teamtracker_the_options_ask_nothing_of_sports(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    entry = await set_up(hass, freezer)
    result = await open_sports_step(hass, entry)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == DEFAULT_TUNABLES


async def test_the_teams_found_are_offered_and_the_choice_is_kept_by_unique_id(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    crew = register(hass, SOCCER_GAME)
    entry = await set_up(hass, freezer)
    # The Islanders' sensor has shown a game: they have their key.
    await show(hass, freezer, islanders, HOCKEY_GAME.pre(HOCKEY_GAME.date - MINUTE))

    result = await open_sports_step(hass, entry)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "sports"
    assert form(result) == {
        "offered": [
            (crew.unique_id, "Crew"),
            (islanders.unique_id, "Islanders (nhl_nyi)"),
        ],
        "followed_teams": [crew.unique_id, islanders.unique_id],
        "delays": {"nhl_nyi": 0},
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"followed_teams": [islanders.unique_id], "delays": {"nhl_nyi": 45.0}},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options[CONF_SPORTS_UNFOLLOWED] == [crew.unique_id]
    assert entry.options[CONF_SPORTS_DELAYS] == {islanders.unique_id: 45}
    # Reloaded: the Crew's device is gone, the Islanders' moments are held 45 s.
    assert devices(hass, entry) == {"Islanders"}
    sports = entry.runtime_data.sports
    assert sports.teams[islanders.unique_id].delay == timedelta(seconds=45)

    result = await open_sports_step(hass, entry)
    assert form(result)["followed_teams"] == [islanders.unique_id]
    assert form(result)["delays"] == {"nhl_nyi": 45}


async def test_a_team_found_after_the_choice_is_followed(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    crew = register(hass, SOCCER_GAME)
    entry = await set_up(hass, freezer, **{CONF_SPORTS_UNFOLLOWED: [crew.unique_id]})
    seahawks = register(hass, NFL_GAME)
    await hass.async_block_till_done()
    assert devices(hass, entry) == {"Islanders", "Seahawks"}

    result = await open_sports_step(hass, entry)
    assert form(result)["followed_teams"] == [islanders.unique_id, seahawks.unique_id]


async def test_a_team_unticked_stays_unticked_while_its_sensor_is_away(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, freezer: FrozenDateTimeFactory
) -> None:
    islanders = register(hass, HOCKEY_GAME)
    entry = await set_up(
        hass,
        freezer,
        **{
            CONF_SPORTS_UNFOLLOWED: ["crew_01jaway"],
            CONF_SPORTS_DELAYS: {"crew_01jaway": 30, islanders.unique_id: 10},
        },
    )
    await show(hass, freezer, islanders, HOCKEY_GAME.pre(HOCKEY_GAME.date - MINUTE))
    result = await open_sports_step(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"followed_teams": [islanders.unique_id], "delays": {"nhl_nyi": 0}},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_SPORTS_UNFOLLOWED] == ["crew_01jaway"]
    assert entry.options[CONF_SPORTS_DELAYS] == {"crew_01jaway": 30}


async def test_an_entry_not_running_offers_the_teams_without_their_keys(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient
) -> None:
    islanders = register(hass, HOCKEY_GAME, name="team_tracker")
    entry = MockConfigEntry(
        domain=DOMAIN, title="HA AI", data={}, options=dict(DEFAULT_OPTIONS)
    )
    entry.add_to_hass(hass)
    result = await open_sports_step(hass, entry)
    assert form(result) == {
        "offered": [(islanders.unique_id, "team_tracker")],
        "followed_teams": [islanders.unique_id],
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"followed_teams": []}
    )
    assert result["data"][CONF_SPORTS_UNFOLLOWED] == [islanders.unique_id]


def test_settings_edited_by_hand_keep_only_what_makes_sense() -> None:
    settings = SportsSettings.from_options(
        ["team_a", 7, None],
        {"team_a": 30, "team_b": -5, "team_c": True, "team_d": 601.0, 8: 10},
    )
    assert settings.unfollowed == frozenset({"team_a"})
    assert settings.delays == {"team_a": 30}
    assert SportsSettings.from_options("team_a", ["team_b"]) == SportsSettings()
