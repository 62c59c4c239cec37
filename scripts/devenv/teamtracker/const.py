"""Names the stand-in shares between its set-up and its sensor."""

from __future__ import annotations

from typing import Final

DOMAIN: Final = "teamtracker"
# hass.data[DOMAIN][ENTITIES]: entity id -> the stand-in's sensor.
ENTITIES: Final = "entities"

CONF_LEAGUE_ID: Final = "league_id"
CONF_TEAM_ID: Final = "team_id"
CONF_TIMELINE: Final = "timeline"
CONF_SPEED: Final = "speed"
CONF_MAX_PAUSE: Final = "max_pause"
CONF_SCORE_EVENTS: Final = "score_events"
CONF_AUTOPLAY: Final = "autoplay"
CONF_AUTOPLAY_PAUSE: Final = "autoplay_pause"

DEFAULT_NAME: Final = "team_tracker"  # TeamTracker's own default
DEFAULT_SPEED: Final = 60.0
DEFAULT_MAX_PAUSE: Final = 30.0
DEFAULT_AUTOPLAY_PAUSE: Final = 60.0

SERVICE_PLAY_GAME: Final = "play_game"
SERVICE_PLAY_STEP: Final = "play_step"
