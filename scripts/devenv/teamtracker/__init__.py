"""A stand-in for TeamTracker (`vasqued2/ha-teamtracker`), for HA AI's demo and tests.

HA AI follows TeamTracker's sensors. Its demo house (`scripts/develop`), its
end-to-end tests and `scripts/bench --only sports` need one that plays a game
on demand, not when ESPN says: this integration has TeamTracker's domain and a
sensor that shows exactly what TeamTracker's shows (see `sensor.py`), fed from
the timelines of HA AI's engine (`custom_components/ha_ai/engine/sports/
timelines.py`) instead of ESPN. `scripts/devenv` links it into the
configuration directory as `custom_components/teamtracker`; it is not part of
HA AI and never installed with it.

Two actions drive it (`services.yaml`):

- `teamtracker.play_game` plays a game in the background, the time between
  two states divided by `speed` and at most `max_pause` seconds;
- `teamtracker.play_step` writes the next state at once and responds with it
  and the `time.monotonic()` it was written at, so that a client on the same
  machine can time what follows from that very write.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import voluptuous as vol
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.typing import ConfigType

from .const import (
    CONF_MAX_PAUSE,
    CONF_SPEED,
    CONF_TIMELINE,
    DOMAIN,
    ENTITIES,
    SERVICE_PLAY_GAME,
    SERVICE_PLAY_STEP,
)

if TYPE_CHECKING:
    from .sensor import TeamTrackerStandIn

CONFIG_SCHEMA = cv.platform_only_config_schema(DOMAIN)

PLAY_GAME_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_ENTITY_ID): cv.entity_ids,
        vol.Optional(CONF_TIMELINE): cv.string,
        vol.Optional(CONF_SPEED): vol.All(vol.Coerce(float), vol.Range(min=1)),
        vol.Optional(CONF_MAX_PAUSE): vol.All(vol.Coerce(float), vol.Range(min=0)),
    }
)
PLAY_STEP_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_ENTITY_ID): cv.entity_ids,
        vol.Optional(CONF_TIMELINE): cv.string,
    }
)


def _sensors(hass: HomeAssistant, call: ServiceCall) -> list[TeamTrackerStandIn]:
    """Return the stand-in's sensors the call names; refuse any other entity."""
    known: dict[str, TeamTrackerStandIn] = hass.data.get(DOMAIN, {}).get(ENTITIES, {})
    missing = [e for e in call.data[ATTR_ENTITY_ID] if e not in known]
    if missing:
        raise ServiceValidationError(
            f"not sensors of the TeamTracker stand-in: {', '.join(missing)}"
        )
    return [known[e] for e in call.data[ATTR_ENTITY_ID]]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Register the stand-in's actions; its sensors come from YAML."""

    async def play_game(call: ServiceCall) -> None:
        sensors = _sensors(hass, call)
        games = [
            (sensor, sensor.timeline_named(call.data.get(CONF_TIMELINE)))
            for sensor in sensors
        ]
        for sensor, timeline in games:
            sensor.play_game(
                timeline, call.data.get(CONF_SPEED), call.data.get(CONF_MAX_PAUSE)
            )

    async def play_step(call: ServiceCall) -> ServiceResponse:
        name = call.data.get(CONF_TIMELINE)
        sensors = _sensors(hass, call)
        timelines = [
            None if name is None else sensor.timeline_named(name) for sensor in sensors
        ]
        return {
            sensor.entity_id: sensor.play_step(timeline)
            for sensor, timeline in zip(sensors, timelines, strict=True)
        }

    hass.services.async_register(
        DOMAIN, SERVICE_PLAY_GAME, play_game, schema=PLAY_GAME_SCHEMA
    )
    hass.services.async_register(
        DOMAIN,
        SERVICE_PLAY_STEP,
        play_step,
        schema=PLAY_STEP_SCHEMA,
        supports_response=SupportsResponse.OPTIONAL,
    )
    return True
