"""What the demo house shows a newcomer: its dashboard and the banner's steps.

The steps name the suggestions the first analysis really made; a fake API
stands in for Home Assistant's REST answers.
"""

from __future__ import annotations

from typing import Any

import yaml

from scripts.devenv.demo_guide import (
    DASHBOARD_FILE,
    DASHBOARD_URL,
    dashboard,
    dashboard_yaml,
    what_to_try,
)
from scripts.devenv.demo_history import demo_household

HOUSEHOLD = demo_household(
    "light.living_room", "switch.coffee_machine", ["light.hall", "switch.tv"]
)
NAMES = {
    "light.living_room": "Living room",
    "light.hall": "Hall",
    "switch.coffee_machine": "Coffee machine",
}
PAIR = {
    "kind": "used_together",
    "title": "Turn on Hall when Living room turns on",
    "entities": ["light.living_room", "light.hall"],
}
PLUG_PAIR = {
    "kind": "used_together",
    "title": "Turn off Coffee machine when Living room turns off",
    "entities": ["light.living_room", "switch.coffee_machine"],
}
ROUTINE = {
    "kind": "routine",
    "title": "Turn on Living room at 19:11 every day",
    "entities": ["light.living_room"],
}


class FakeApi:
    """Answers get_suggestions with `suggestions` and states with their names."""

    def __init__(self, suggestions: list[dict[str, Any]]) -> None:
        self.suggestions = suggestions

    async def call_service(
        self, domain: str, name: str, data: Any = None, **_: Any
    ) -> Any:
        assert (domain, name) == ("ha_ai", "get_suggestions")
        return {"service_response": {"suggestions": self.suggestions}}

    async def request(self, method: str, path: str, data: Any = None) -> Any:
        entity_id = path.rsplit("/", 1)[-1]
        return {"attributes": {"friendly_name": NAMES[entity_id]}}


async def steps(suggestions: list[dict[str, Any]]) -> list[str]:
    api: Any = FakeApi(suggestions)
    return await what_to_try(api, "http://127.0.0.1:8123", 1883)


def test_the_dashboard_shows_the_card_the_devices_and_the_cameras() -> None:
    config = yaml.safe_load(dashboard_yaml())
    declared = config["lovelace"]["dashboards"][DASHBOARD_URL]
    assert declared["mode"] == "yaml"
    assert declared["filename"] == DASHBOARD_FILE
    assert "-" in DASHBOARD_URL  # Home Assistant wants a hyphen in its path
    [view] = dashboard(HOUSEHOLD)["views"]
    cards = [card for section in view["sections"] for card in section["cards"]]
    assert cards[0]["type"] == "custom:ha-ai-card"
    tiles = {card["entity"] for card in cards if card["type"] == "tile"}
    assert set(HOUSEHOLD.entities) <= tiles
    assert {"sensor.front_door_events_today", "sensor.garden_events_today"} <= tiles


async def test_a_light_following_a_pair_is_what_to_watch() -> None:
    lines = await steps([ROUTINE, PLUG_PAIR, PAIR])
    assert lines == [
        "What to try:",
        "  1. Open the card: http://127.0.0.1:8123/ha-ai-demo (HA AI demo, in the "
        "sidebar)",
        '  2. Accept "Turn on Hall when Living room turns on" in the card',
        "  3. Switch Living room on (its tile): Hall follows, by its new automation",
        "  4. Publish a camera event: scripts/camera-event --port 1883 front_door "
        "--ring",
    ]


async def test_without_such_a_pair_a_routine_of_a_light_is_run() -> None:
    lines = await steps([PLUG_PAIR, ROUTINE])
    assert (
        lines[2] == '  2. Accept "Turn on Living room at 19:11 every day" in the card'
    )
    assert "Run actions" in lines[3]
    assert (await steps([PLUG_PAIR]))[2] == "  2. Accept a suggestion in the card"
