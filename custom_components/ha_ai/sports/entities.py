"""The entities of a followed team: its moments as events, its game as a sensor.

Each followed team is a device of its own (a service: nothing physical), named
after the team, identified by its TeamTracker sensor's unique id, so that it
stays the same when the sensor's entity id is renamed. The device has no
`via_device`: the team's data comes through TeamTracker, not through HA AI's
service device, which may not even exist yet when the first team is added.

The event entity fires `game_started`, `scored`, `opponent_scored`, `won`,
`lost` and `tied`, with the fields of the MQTT message, so the UI automation
editor can use the moments without MQTT. The sensor shows the game as HA AI
takes it in (`sports.live.shown_game`): its state, as an enum, and its score.

Entities and platforms follow the sports part through the dispatcher: a team's
entities its signal, each platform the signal of teams followed anew. A team no
longer followed loses its device, and with it its entities.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from ..data import HaAiConfigEntry
from ..engine.sports.model import GameState, Moment, MomentKind
from .live import (
    FollowedTeam,
    SportsLive,
    new_team_signal,
    team_identifier,
    team_signal,
)

# The game sensor's states: TeamTracker's, in lower case as enum states are.
GAME_STATES: Final[Mapping[GameState, str]] = {
    GameState.PRE: "pre",
    GameState.IN: "in",
    GameState.POST: "post",
    GameState.BYE: "bye",
    GameState.NOT_FOUND: "not_found",
}
ATTR_TEAM_SCORE: Final = "team_score"
ATTR_OPPONENT_SCORE: Final = "opponent_score"
ATTR_OPPONENT: Final = "opponent"
ATTR_PERIOD: Final = "period"
ATTR_CLOCK: Final = "clock"
ATTR_LEAGUE: Final = "league"
ATTR_DATE: Final = "date"
ATTR_GAME_ID: Final = "game_id"
ATTR_TOPIC: Final = "topic"

TEAM_EVENT: Final = EventEntityDescription(
    key="moments",
    translation_key="team_moments",
    event_types=[kind.value for kind in MomentKind],
)
TEAM_GAME: Final = SensorEntityDescription(
    key="game",
    translation_key="team_game",
    device_class=SensorDeviceClass.ENUM,
    options=list(GAME_STATES.values()),
)

type TeamEntityFactory = Callable[[HaAiConfigEntry, str], Iterable[Entity]]
"""Builds a platform's entities for one team (entry, the sensor's unique id)."""


@callback
def async_add_team_entities(
    entry: HaAiConfigEntry,
    async_add_entities: AddEntitiesCallback,
    factory: TeamEntityFactory,
) -> None:
    """Add a platform's entities for every followed team, and for each new one."""
    sports = entry.runtime_data.sports
    for unique_id in sports.teams:
        async_add_entities(factory(entry, unique_id))

    @callback
    def add(unique_id: str) -> None:
        async_add_entities(factory(entry, unique_id))

    entry.async_on_unload(
        async_dispatcher_connect(sports.hass, new_team_signal(entry.entry_id), add)
    )


def team_events(entry: HaAiConfigEntry, unique_id: str) -> list[TeamEventEntity]:
    """Return the event entity of one team."""
    return [TeamEventEntity(entry, unique_id, TEAM_EVENT)]


def team_sensors(entry: HaAiConfigEntry, unique_id: str) -> list[TeamGameSensor]:
    """Return the game sensor of one team."""
    return [TeamGameSensor(entry, unique_id, TEAM_GAME)]


class TeamEntity(Entity):
    """An entity of one followed team, updated when the team changes."""

    _attr_has_entity_name = True
    _attr_should_poll = False

    def __init__(
        self, entry: HaAiConfigEntry, unique_id: str, description: EntityDescription
    ) -> None:
        """Attach the entity to the team's device."""
        self.entity_description = description
        self.sports: SportsLive = entry.runtime_data.sports
        self.team_id = unique_id
        team = self.sports.teams.get(unique_id)
        self._attr_unique_id = f"team_{unique_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            identifiers={team_identifier(unique_id)},
            name=team.name if team is not None else unique_id,
            model="Sports team",
            entry_type=DeviceEntryType.SERVICE,
        )

    @property
    def team(self) -> FollowedTeam | None:
        """Return the team, or None once it is no longer followed."""
        return self.sports.teams.get(self.team_id)

    @property
    def available(self) -> bool:
        """Return False once the team is no longer followed (it is being removed)."""
        return self.team is not None

    async def async_added_to_hass(self) -> None:
        """Follow the team's signal; the connection goes when the entity does."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass,
                team_signal(self.sports.entry.entry_id, self.team_id),
                self._handle_team,
            )
        )

    @callback
    def _handle_team(self, moment: Moment | None) -> None:
        """Show the team's new state; `moment` is set when one was just announced."""
        self.async_write_ha_state()


class TeamEventEntity(TeamEntity, EventEntity):
    """Fires each moment of the team as it is announced."""

    @callback
    def _handle_team(self, moment: Moment | None) -> None:
        if moment is not None:
            self._trigger_event(moment.kind.value, moment.payload())
            self.async_write_ha_state()


class TeamGameSensor(TeamEntity, SensorEntity):
    """The team's game as HA AI takes it in: its state, and its score."""

    @property
    def native_value(self) -> str | None:
        """Return the game's state, or None before the sensor showed one."""
        team = self.team
        if team is None or team.shown is None:
            return None
        return GAME_STATES.get(team.shown.state)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the score, the opponent, the period and where moments go."""
        team = self.team
        if team is None:
            return None
        game = team.shown if team.shown is not None and team.shown.is_game else None
        return {
            ATTR_TEAM_SCORE: game.team_score if game else None,
            ATTR_OPPONENT_SCORE: game.opponent_score if game else None,
            ATTR_OPPONENT: game.opponent_label if game else None,
            ATTR_PERIOD: game.period if game else None,
            ATTR_CLOCK: game.clock if game else None,
            ATTR_LEAGUE: game.league if game else None,
            ATTR_DATE: game.date.isoformat() if game and game.date else None,
            ATTR_GAME_ID: game.game_id if game else None,
            ATTR_TOPIC: self.sports.topic(team),
        }
