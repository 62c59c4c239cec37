"""The TeamTracker stand-in's sensors, as configuration.yaml lines.

`scripts/develop` gives the demo house two teams that play their games over
and over (`DEMO_TEAMS`), so HA AI's sports moments show; `scripts/bench --only
sports` and the end-to-end tests configure their own, played step by step. The
stand-in itself is `scripts/devenv/teamtracker` (see its docstring).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterable

import yaml

from custom_components.ha_ai.engine.sports.slug import TeamIdentity, base_slug

from .common import JSON
from .hass_api import HassApi

SPORTS_TOPIC = "ha-ai/events/sports"
# HA AI finds a team when its sensor is registered and names the team.
SPORTS_CHECK_TIMEOUT = 30.0

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
    def topic(self) -> str:
        """Return the topic HA AI gives the team's moments (no team shares it)."""
        slug = base_slug(TeamIdentity(league=self.league, abbr=self.team))
        return f"{SPORTS_TOPIC}/{slug}"

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


async def check_sports(api: HassApi, teams: Iterable[StandInTeam]) -> bool:
    """Verify HA AI follows every stand-in team; print each team's game sensor.

    A team is followed once HA AI's game sensor of the team names its topic.
    """
    wanted = {team.topic: team for team in teams}
    start = time.monotonic()
    while True:
        states: list[JSON] = await api.request("GET", "/api/states")
        games = {
            state["attributes"].get("topic"): state
            for state in states
            if state["entity_id"].startswith("sensor.")
            and state["attributes"].get("topic") in wanted
        }
        if len(games) == len(wanted) or time.monotonic() - start > SPORTS_CHECK_TIMEOUT:
            break
        await asyncio.sleep(1)
    missing = [wanted[topic].entity_id for topic in wanted if topic not in games]
    if missing:
        print(
            f"CHECK FAILED after {SPORTS_CHECK_TIMEOUT:.0f} s: HA AI follows none "
            f"of {', '.join(missing)}",
            flush=True,
        )
        return False
    lines = ["HA AI follows the stand-in's teams:"]
    lines += [
        f"  {wanted[topic].entity_id} -> {state['entity_id']} = {state['state']} "
        f"({topic}/<moment>)"
        for topic, state in sorted(games.items())
    ]
    print("\n".join(lines), flush=True)
    return True
