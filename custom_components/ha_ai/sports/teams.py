"""The TeamTracker teams HA AI finds, and the settings that say which it follows.

TeamTracker (`vasqued2/ha-teamtracker`) makes one sensor per team. HA AI finds
them in the entity registry, by their platform (`teamtracker`), never by
guessing entity ids: a sensor renamed by the user, or one named `team_tracker_2`,
is found all the same. Its league standings sensors (unique ids starting with
`standings_`) show no game and are left out, as are disabled sensors, which
have no state.

A team is known by its sensor's unique id, which survives a rename of the entity
id. The options keep the teams *not* followed, so that a team added later is
followed without anyone going back to the options, and each team's delay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from ..engine.sports.follower import MAX_DELAY

TEAMTRACKER: Final = "teamtracker"
SCORE_CHANGE_EVENT: Final = "teamtracker.score_change"
STANDINGS_PREFIX: Final = "standings_"
MAX_DELAY_SECONDS: Final = int(MAX_DELAY.total_seconds())


@dataclass(frozen=True, slots=True)
class FoundTeam:
    """One TeamTracker team sensor in the entity registry."""

    unique_id: str
    entity_id: str
    name: str  # the sensor's name as the user sees it


def is_team_sensor(entry: er.RegistryEntry) -> bool:
    """Tell whether a registry entry is a TeamTracker team sensor in use."""
    return (
        entry.platform == TEAMTRACKER
        and entry.domain == Platform.SENSOR
        and entry.disabled_by is None
        and not entry.unique_id.startswith(STANDINGS_PREFIX)
    )


def found_teams(hass: HomeAssistant) -> dict[str, FoundTeam]:
    """Return the TeamTracker team sensors of the entity registry, by unique id."""
    teams: dict[str, FoundTeam] = {}
    for entry in er.async_get(hass).entities.values():
        if is_team_sensor(entry):
            teams[entry.unique_id] = FoundTeam(
                unique_id=entry.unique_id,
                entity_id=entry.entity_id,
                name=entry.name or entry.original_name or entry.entity_id,
            )
    return teams


@dataclass(frozen=True, slots=True)
class SportsSettings:
    """Which teams are followed, and how long each one's moments are held."""

    unfollowed: frozenset[str] = frozenset()  # sensors' unique ids
    delays: Mapping[str, int] = field(default_factory=dict)  # seconds by unique id

    @classmethod
    def from_options(cls, unfollowed: object, delays: object) -> SportsSettings:
        """Return the settings from the entry's options, leaving out what is not.

        The options flow writes them; an entry edited by hand may hold anything,
        and what is not a unique id or a whole number of seconds is ignored.
        """
        teams = frozenset(
            item
            for item in (unfollowed if isinstance(unfollowed, list) else ())
            if isinstance(item, str)
        )
        seconds: dict[str, int] = {}
        if isinstance(delays, Mapping):
            for unique_id, value in delays.items():
                if (
                    isinstance(unique_id, str)
                    and isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and 0 < value <= MAX_DELAY_SECONDS
                ):
                    seconds[unique_id] = int(value)
        return cls(unfollowed=teams, delays=seconds)

    def follows(self, unique_id: str) -> bool:
        """Tell whether the team of this sensor is followed."""
        return unique_id not in self.unfollowed

    def delay_of(self, unique_id: str) -> timedelta:
        """Return how long the team's moments are held."""
        return timedelta(seconds=self.delays.get(unique_id, 0))
