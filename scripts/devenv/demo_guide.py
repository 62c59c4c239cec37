"""What a newcomer to the demo house sees first: a dashboard, and what to try.

`scripts/develop` gives the demo house a dashboard of its own (`/ha-ai-demo`,
in the sidebar as *HA AI demo*): the HA AI card beside the devices its
suggestions are about and the cameras. It is a YAML dashboard, rewritten on
every run like configuration.yaml; one's own dashboards are made in the UI as
usual. At the end of start-up the banner says what to try there, naming the
suggestions the first analysis actually made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .camera_demo import camera_event_command
from .camera_standin import DEMO_CAMERAS
from .common import JSON, DevEnvError
from .demo_history import DemoHousehold
from .hass_api import HassApi

DASHBOARD_URL = "ha-ai-demo"
DASHBOARD_FILE = "ha_ai_demo_dashboard.yaml"
STOP_LINE = "Ctrl-C stops everything."


def dashboard_yaml() -> str:
    """Return configuration.yaml lines declaring the demo's dashboard."""
    return yaml.safe_dump(
        {
            "lovelace": {
                "dashboards": {
                    DASHBOARD_URL: {
                        "mode": "yaml",
                        "filename": DASHBOARD_FILE,
                        "title": "HA AI demo",
                        "icon": "mdi:home-lightbulb-outline",
                        "show_in_sidebar": True,
                        "require_admin": False,
                    }
                }
            }
        },
        sort_keys=False,
    )


def _tiles(entity_ids: list[str]) -> list[dict[str, Any]]:
    return [{"type": "tile", "entity": entity_id} for entity_id in entity_ids]


def dashboard(household: DemoHousehold) -> dict[str, Any]:
    """Return the demo dashboard: the card, the household's devices, the cameras."""
    cameras: list[dict[str, Any]] = [{"type": "heading", "heading": "Cameras"}]
    for camera in DEMO_CAMERAS:
        key = camera.camera_id
        cameras += _tiles(
            [
                f"sensor.{key}_events_today",
                f"sensor.{key}_last_description",
                f"binary_sensor.{key}_recent_activity",
            ]
        )
    return {
        "title": "HA AI demo",
        "views": [
            {
                "title": "Demo house",
                "path": "house",
                "icon": "mdi:home-lightbulb-outline",
                "type": "sections",
                "max_columns": 3,
                "sections": [
                    {
                        "type": "grid",
                        "cards": [
                            {
                                "type": "custom:ha-ai-card",
                                "title": "HA AI",
                                "grid_options": {"columns": "full"},
                            }
                        ],
                    },
                    # One column beside the card: the devices, then the cameras.
                    {
                        "type": "grid",
                        "cards": [
                            {"type": "heading", "heading": "The household's devices"},
                            *_tiles(household.entities),
                            *cameras,
                        ],
                    },
                ],
            }
        ],
    }


def write_dashboard(config_dir: Path, household: DemoHousehold) -> None:
    """Write the demo dashboard's file into the configuration directory."""
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / DASHBOARD_FILE).write_text(
        "# Rewritten on every run of scripts/develop.\n"
        + yaml.safe_dump(dashboard(household), sort_keys=False),
        encoding="utf-8",
    )


async def _name(api: HassApi, entity_id: str) -> str:
    try:
        state = await api.request("GET", f"/api/states/{entity_id}")
    except DevEnvError:
        return entity_id
    return str(state["attributes"].get("friendly_name") or entity_id)


def _follows_light(suggestion: JSON) -> bool:
    entities = suggestion.get("entities") or []
    return (
        suggestion.get("kind") == "used_together"
        and len(entities) == 2  # noqa: PLR2004 - A, then B
        and str(entities[1]).startswith("light.")
    )


async def light_step(api: HassApi) -> list[str]:
    """Return how to accept a suggestion and watch a light follow its automation.

    Best a pair whose follower is a light (switch A on, the light follows);
    else a routine of a light, whose automation can be run at once.
    """
    try:
        response = await api.call_service(
            "ha_ai", "get_suggestions", {"status": "new"}, return_response=True
        )
    except DevEnvError:
        return ["Accept a suggestion in the card (none yet: see the log)"]
    suggestions: list[JSON] = response["service_response"]["suggestions"]
    if pair := next(filter(_follows_light, suggestions), None):
        leader, light = pair["entities"]
        return [
            f'Accept "{pair["title"]}" in the card',
            f"Switch {await _name(api, leader)} on (its tile): "
            f"{await _name(api, light)} follows, by its new automation",
        ]
    routine = next(
        (
            s
            for s in suggestions
            if s.get("kind") == "routine"
            and any(str(e).startswith("light.") for e in s.get("entities") or [])
        ),
        None,
    )
    if routine is None:
        return ["Accept a suggestion in the card"]
    return [
        f'Accept "{routine["title"]}" in the card',
        "Open its automation (the card links to it), ⋮ > Run actions: the light "
        "follows its new automation (it runs by itself at its time every day)",
    ]


async def what_to_try(api: HassApi, base_url: str, mqtt_port: int) -> list[str]:
    """Return the banner's lines saying what to try in the demo house."""
    steps = [
        f"Open the card: {base_url}/{DASHBOARD_URL} (HA AI demo, in the sidebar)",
        *await light_step(api),
        f"Publish a camera event: {camera_event_command(mqtt_port)}",
    ]
    return ["What to try:"] + [f"  {n}. {step}" for n, step in enumerate(steps, 1)]
