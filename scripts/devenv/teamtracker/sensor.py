"""The stand-in's sensor: one team, shown as TeamTracker's sensor shows it.

Configured in YAML as TeamTracker's own (`sensor: - platform: teamtracker`,
`league_id`, `team_id`, `name`), plus the stand-in's keys: which timeline to play
(default the team's first), the speed and longest pause of a timed game,
whether `teamtracker.score_change` events are fired (TeamTracker's newer
releases do; older ones do not), and `autoplay` (the demo house plays its games
over and over).

What Home Assistant sees is what the real sensor gives it: the entity under
the platform `teamtracker` with TeamTracker's unique id (`<name>_<team_id>`,
slugified, for YAML set-ups), its name and sport icon, no device, the state
`PRE`/`IN`/`POST`/`BYE`/`NOT_FOUND` and the attributes in TeamTracker's order
(`attribution` first, every field, null when not set), `last_update` kept out
of the recorder and set at each write, and `unavailable` with no attributes
when a timeline says the data could not be fetched.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import voluptuous as vol
from homeassistant.components.sensor import PLATFORM_SCHEMA, SensorEntity
from homeassistant.const import CONF_NAME
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import ConfigType, DiscoveryInfoType
from homeassistant.util import slugify

from custom_components.ha_ai.engine.sports.timelines import (
    SCORE_CHANGE_EVENT,
    TIMELINES,
    ScoreChange,
    Step,
    Timeline,
)

from .const import (
    CONF_AUTOPLAY,
    CONF_AUTOPLAY_PAUSE,
    CONF_LEAGUE_ID,
    CONF_MAX_PAUSE,
    CONF_SCORE_EVENTS,
    CONF_SPEED,
    CONF_TEAM_ID,
    CONF_TIMELINE,
    DEFAULT_AUTOPLAY_PAUSE,
    DEFAULT_MAX_PAUSE,
    DEFAULT_NAME,
    DEFAULT_SPEED,
    DOMAIN,
    ENTITIES,
)
from .plays import Play, new_play, play_stamp, team_timelines

LOGGER = logging.getLogger(__name__)
UNAVAILABLE = "unavailable"

PLATFORM_SCHEMA = PLATFORM_SCHEMA.extend(
    {
        vol.Required(CONF_LEAGUE_ID): vol.All(cv.string, vol.Upper),
        vol.Required(CONF_TEAM_ID): vol.All(cv.string, vol.Upper),
        vol.Optional(CONF_NAME, default=DEFAULT_NAME): cv.string,
        vol.Optional(CONF_TIMELINE): cv.string,
        vol.Optional(CONF_SPEED, default=DEFAULT_SPEED): vol.All(
            vol.Coerce(float), vol.Range(min=1)
        ),
        vol.Optional(CONF_MAX_PAUSE, default=DEFAULT_MAX_PAUSE): vol.All(
            vol.Coerce(float), vol.Range(min=0)
        ),
        vol.Optional(CONF_SCORE_EVENTS, default=True): cv.boolean,
        vol.Optional(CONF_AUTOPLAY, default=False): cv.boolean,
        vol.Optional(CONF_AUTOPLAY_PAUSE, default=DEFAULT_AUTOPLAY_PAUSE): vol.All(
            vol.Coerce(float), vol.Range(min=0)
        ),
    }
)


async def async_setup_platform(
    hass: HomeAssistant,
    config: ConfigType,
    async_add_entities: AddEntitiesCallback,
    discovery_info: DiscoveryInfoType | None = None,
) -> None:
    """Add one sensor for the configured team, if a timeline plays it."""
    league, team = config[CONF_LEAGUE_ID], config[CONF_TEAM_ID]
    timelines = team_timelines(league, team)
    if not timelines:
        LOGGER.error(
            "%s: no timeline plays %s of %s; the stand-in knows: %s",
            config[CONF_NAME],
            team,
            league,
            ", ".join(sorted({_team_of(t) for t in TIMELINES.values()})),
        )
        return
    chosen = config.get(CONF_TIMELINE)
    first = timelines[0]
    if chosen is not None:
        found = [t for t in timelines if t.name == chosen]
        if not found:
            LOGGER.error(
                "%s: timeline %r is not one of %s's (%s); playing %s",
                config[CONF_NAME],
                chosen,
                team,
                ", ".join(t.name for t in timelines),
                first.name,
            )
        else:
            first = found[0]
    async_add_entities([TeamTrackerStandIn(config, first, timelines)])


def _team_of(timeline: Timeline) -> str:
    return f"{timeline.fixture.team.abbr} of {timeline.fixture.league}"


class TeamTrackerStandIn(SensorEntity):
    """A team's sensor whose data comes from a timeline instead of ESPN."""

    _attr_should_poll = False
    # TeamTracker keeps its time of update out of the recorder.
    _unrecorded_attributes = frozenset({"last_update"})

    def __init__(
        self, config: ConfigType, timeline: Timeline, timelines: list[Timeline]
    ) -> None:
        """Show the team of `timeline`; play `timeline` unless told another."""
        name: str = config[CONF_NAME]
        self._attr_name = name
        # TeamTracker's unique id of a sensor set up in YAML.
        self._attr_unique_id = f"{slugify(name)}_{slugify(config[CONF_TEAM_ID])}"
        self._attr_icon = timeline.fixture.icon
        self._timeline = timeline
        self._timelines = {t.name: t for t in timelines}
        self._speed: float = config[CONF_SPEED]
        self._max_pause: float = config[CONF_MAX_PAUSE]
        self._score_events: bool = config[CONF_SCORE_EVENTS]
        self._autoplay: bool = config[CONF_AUTOPLAY]
        self._autoplay_pause: float = config[CONF_AUTOPLAY_PAUSE]
        self._attributes: dict[str, Any] = {}
        self._play: Play | None = None
        self._next = 0  # the index in the play's items of the next one
        self._last_stamp: int | None = None
        self._task: asyncio.Task[None] | None = None
        self._show(timeline.fixture.not_found(datetime.now(UTC)))

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """Return TeamTracker's attributes of the state shown."""
        return self._attributes

    async def async_added_to_hass(self) -> None:
        """Be found by the actions; start the demo's games if asked."""
        entities = self.hass.data.setdefault(DOMAIN, {}).setdefault(ENTITIES, {})
        entities[self.entity_id] = self
        self.async_on_remove(lambda: entities.pop(self.entity_id, None))
        self.async_on_remove(self._stop)
        if self._autoplay:
            self._start(self._play_forever(), "autoplay")

    # What the actions do

    def timeline_named(self, name: str | None) -> Timeline:
        """Return the team's timeline `name` (the configured one for None)."""
        if name is None:
            return self._timeline
        timeline = self._timelines.get(name)
        if timeline is None:
            raise ServiceValidationError(
                f"{self.entity_id} plays none of {name!r}; its timelines are "
                + ", ".join(self._timelines)
            )
        return timeline

    def play_game(
        self, timeline: Timeline, speed: float | None, max_pause: float | None
    ) -> None:
        """Play a new game in the background (the game played so far stops)."""
        self._start(
            self._play_timed(
                timeline,
                self._speed if speed is None else speed,
                self._max_pause if max_pause is None else max_pause,
            ),
            timeline.name,
        )

    @callback
    def play_step(self, timeline: Timeline | None) -> dict[str, Any]:
        """Write the next state now; say what it was and when it was written.

        A game played in the background stops, and its next state is the one
        written. After the last state of a game (or before the first), a new
        game of `timeline` begins. `written_at` is
        `time.monotonic()` right before the score event (if any) and the state
        are written: the start of the sensor's update, on the clock every
        process of the machine shares.
        """
        self._stop()
        if self._play is None or self._next >= len(self._play.items):
            self._begin(timeline or self._timeline)
        play = self._play
        if play is None:  # _begin sets it; keeps the type exact
            raise RuntimeError("no game to play")
        written_at = time.monotonic()
        step, score_events = self._write_next()
        return {
            "written_at": written_at,
            "timeline": play.timeline.name,
            "event_id": play.fixture.event_id,
            "step": sum(isinstance(item, Step) for item in play.items[: self._next]),
            "steps": play.steps,
            "game_over": self._next >= len(play.items),
            "state": None if step is None else step.state,
            "attributes": dict(self._attributes),
            "score_events": score_events,
        }

    # Playing

    def _begin(self, timeline: Timeline) -> None:
        now = datetime.now(UTC)
        self._last_stamp = play_stamp(now, self._last_stamp)
        self._play = new_play(
            timeline, now=now, entity_id=self.entity_id, stamp=self._last_stamp
        )
        self._next = 0

    def _write_next(self) -> tuple[Step | None, list[dict[str, Any]]]:
        """Fire the next score events and write the state they come before.

        Returns the state written (None past a play's end) and the events' data.
        """
        play = self._play
        fired: list[dict[str, Any]] = []
        while play is not None and self._next < len(play.items):
            item = play.items[self._next]
            self._next += 1
            if isinstance(item, ScoreChange):
                if self._score_events:
                    data = dict(item.data)
                    self.hass.bus.async_fire(SCORE_CHANGE_EVENT, data)
                    fired.append(data)
                continue
            self._show(item)
            self.async_write_ha_state()
            return item, fired
        return None, fired

    async def _play_timed(
        self, timeline: Timeline, speed: float, max_pause: float
    ) -> None:
        self._begin(timeline)
        play = self._play
        last: datetime | None = None
        while play is not None and self._next < len(play.items):
            at = play.items[self._next].at
            if last is not None:
                pause = min((at - last).total_seconds() / speed, max_pause)
                await asyncio.sleep(max(pause, 0))
            last = at
            self._write_next()
        LOGGER.debug("%s: %s played", self.entity_id, timeline.name)

    async def _play_forever(self) -> None:
        while True:
            await self._play_timed(self._timeline, self._speed, self._max_pause)
            await asyncio.sleep(self._autoplay_pause)

    def _show(self, step: Step) -> None:
        self._attr_available = step.state != UNAVAILABLE
        self._attr_native_value = step.state if self._attr_available else None
        attributes = dict(step.attributes)
        if "last_update" in attributes:
            # TeamTracker's time of its last update: the real one.
            attributes["last_update"] = datetime.now(UTC).strftime(
                "%Y-%m-%d %H:%M:%S+00:00"
            )
        self._attributes = attributes

    def _start(self, game: Any, name: str) -> None:  # noqa: ANN401 - a coroutine
        self._stop()
        self._task = self.hass.async_create_background_task(
            game, f"{DOMAIN} stand-in {self.entity_id} {name}"
        )

    @callback
    def _stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
