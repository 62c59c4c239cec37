"""The options flow's sports step: which teams are followed, each one's delay.

The step lists the TeamTracker teams found, each named with its key (the
`<team>` level of its topics) once it has one, ticked when followed. The options
keep the teams unticked, so a team added later is followed; a team unticked
stays so while its sensor is gone for a while. Below the list, one delay field
per team that has its key (the field is named by the key: names are not
unique, and a key is what the user's MQTT triggers name anyway). A team gets its
key with its first game, so its delay can be set from then on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

import voluptuous as vol
from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)

from ..const import CONF_SPORTS_DELAYS, CONF_SPORTS_UNFOLLOWED
from .teams import MAX_DELAY_SECONDS, SportsSettings, found_teams

CONF_FOLLOWED_TEAMS: Final = "followed_teams"
SECTION_DELAYS: Final = "delays"


@dataclass(frozen=True, slots=True)
class TeamChoice:
    """One team found, as the step shows it."""

    unique_id: str
    name: str
    slug: str | None

    @property
    def label(self) -> str:
        """Return the team's name, with its key once it has one."""
        return f"{self.name} ({self.slug})" if self.slug else self.name


def team_choices(hass: HomeAssistant, entry: ConfigEntry[Any]) -> list[TeamChoice]:
    """Return the teams found, by name; with their keys while the entry runs."""
    sports = (
        entry.runtime_data.sports if entry.state is ConfigEntryState.LOADED else None
    )
    choices = [
        TeamChoice(
            unique_id=unique_id,
            name=(sports.team_name(unique_id) if sports else None) or sensor.name,
            slug=sports.slugs.get(unique_id) if sports else None,
        )
        for unique_id, sensor in found_teams(hass).items()
    ]
    return sorted(choices, key=lambda choice: (choice.name.casefold(), choice.label))


def sports_schema(choices: list[TeamChoice]) -> vol.Schema:
    """Return the step's form: the teams to follow, then each team's delay."""
    fields: dict[vol.Marker, Any] = {
        vol.Optional(CONF_FOLLOWED_TEAMS, default=[]): SelectSelector(
            SelectSelectorConfig(
                options=[
                    SelectOptionDict(value=choice.unique_id, label=choice.label)
                    for choice in choices
                ],
                multiple=True,
                mode=SelectSelectorMode.LIST,
            )
        )
    }
    slugs = sorted(choice.slug for choice in choices if choice.slug)
    if slugs:
        delay = NumberSelector(
            NumberSelectorConfig(
                min=0,
                max=MAX_DELAY_SECONDS,
                step=1,
                mode=NumberSelectorMode.BOX,
                unit_of_measurement="s",
            )
        )
        fields[vol.Optional(SECTION_DELAYS)] = section(
            vol.Schema({vol.Required(slug, default=0): delay for slug in slugs}),
            {"collapsed": False},
        )
    return vol.Schema(fields)


def sports_form_values(
    choices: list[TeamChoice], settings: SportsSettings
) -> dict[str, Any]:
    """Return what the form shows: the teams followed, and each team's delay."""
    return {
        CONF_FOLLOWED_TEAMS: [
            choice.unique_id for choice in choices if settings.follows(choice.unique_id)
        ],
        SECTION_DELAYS: {
            choice.slug: settings.delays.get(choice.unique_id, 0)
            for choice in choices
            if choice.slug
        },
    }


def sports_options(
    user_input: Mapping[str, Any],
    choices: list[TeamChoice],
    unfollowed: Collection[str],
    delays: Mapping[str, int],
) -> dict[str, Any]:
    """Return the options from the form; teams it did not show keep theirs."""
    found = {choice.unique_id for choice in choices}
    followed = set(user_input.get(CONF_FOLLOWED_TEAMS) or ())
    by_slug = {choice.slug: choice.unique_id for choice in choices if choice.slug}
    seconds = {
        unique_id: value
        for unique_id, value in delays.items()
        if unique_id not in by_slug.values()
    }
    for slug, value in (user_input.get(SECTION_DELAYS) or {}).items():
        if (unique_id := by_slug.get(slug)) is not None and int(value) > 0:
            seconds[unique_id] = int(value)
    return {
        CONF_SPORTS_UNFOLLOWED: sorted((set(unfollowed) - found) | (found - followed)),
        CONF_SPORTS_DELAYS: dict(sorted(seconds.items())),
    }
