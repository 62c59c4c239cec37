"""The TeamTracker stand-in's sensors, as configuration.yaml lines.

`scripts/develop` gives the demo house two teams that play their games over
and over (`DEMO_TEAMS`), so HA AI's sports moments show; `scripts/bench --only
sports` and the end-to-end tests configure their own, played step by step. The
stand-in itself is `scripts/devenv/teamtracker` (see its docstring).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import yaml

# A key of its own (`sensor <label>:`), so that a `sensor:` of the developer's
# packages or of another part of the demo never clashes with it.
SENSOR_KEY = "sensor teamtracker"


@dataclasses.dataclass(frozen=True)
class StandInTeam:
    """One sensor of the stand-in: TeamTracker's keys, then the stand-in's."""

    name: str
    league: str
    team: str
    timeline: str
    score_events: bool = True
    autoplay: bool = False
    speed: float = 60.0
    max_pause: float = 30.0
    autoplay_pause: float = 60.0

    @property
    def entity_id(self) -> str:
        """Return the entity id Home Assistant gives the sensor (from its name)."""
        return f"sensor.{self.name.lower().replace(' ', '_')}"

    def config(self) -> dict[str, object]:
        """Return the sensor's platform configuration."""
        return {
            "platform": "teamtracker",
            "league_id": self.league,
            "team_id": self.team,
            "name": self.name,
            "timeline": self.timeline,
            "score_events": self.score_events,
            "autoplay": self.autoplay,
            "speed": self.speed,
            "max_pause": self.max_pause,
            "autoplay_pause": self.autoplay_pause,
        }


# The demo house's teams: an MLS game that ends level, an NFL game won in
# overtime; a game minute is a second, no wait longer than 30 s.
DEMO_TEAMS = (
    StandInTeam("Crew", "MLS", "CLB", "soccer_tie", autoplay=True),
    StandInTeam("Seahawks", "NFL", "SEA", "nfl_overtime", autoplay=True),
)


def teamtracker_yaml(teams: Iterable[StandInTeam]) -> str:
    """Return configuration.yaml lines setting the stand-in's sensors up."""
    sensors = [team.config() for team in teams]
    if not sensors:
        return ""
    return yaml.safe_dump({SENSOR_KEY: sensors}, sort_keys=False)


def sports_line(teams: Iterable[StandInTeam]) -> str:
    """Describe the demo's teams for the banner."""
    names = ", ".join(
        f"{team.entity_id} ({team.league} {team.team}, {team.timeline})"
        for team in teams
    )
    return (
        f"{names}: TeamTracker stand-in, a game every few minutes "
        "(moments on ha-ai/events/sports/#)"
    )
