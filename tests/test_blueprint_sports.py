"""The blueprint that flashes the lights in the team's colours when the team scores.

The whole way runs in the harness: a TeamTracker-like sensor (platform
`teamtracker` in the entity registry) shows a game, HA AI publishes its moments
on the mocked MQTT client, which hands them to the automation made from the
blueprint; its lights and phone are recorded service calls, its delays pass on
a frozen clock.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.blueprint.errors import MissingInput
from homeassistant.components.blueprint.models import BlueprintInputs
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_mqtt_message,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from custom_components.ha_ai.engine.sports.timelines import (
    NFL_GAME,
    NFL_OVERTIME,
    Step,
)

from .blueprint_helpers import BLUEPRINTS, install_blueprint, load_blueprint
from .fixtures_common import mock_hass_config, no_cooldown  # noqa: F401
from .sports_helpers import Sensor, attributes, register

BLUEPRINT = BLUEPRINTS / "flash_lights_when_my_team_scores.yaml"
PHONE = "mobile_app_phone"
LIGHTS = ["light.living_room", "light.kitchen"]
AUTOMATION = "automation.seahawks_goal_lights"
SCENE = "scene.seahawks_goal_lights_before_flash"
TOPIC = "ha-ai/events/sports/nfl_sea/scored"
SEAHAWKS = [[0, 42, 92], [105, 190, 40]]  # #002a5c, #69be28
WHITE = [255, 255, 255]
RGB_LIGHT = {"supported_color_modes": ["rgb"]}


def test_the_blueprint_is_valid_and_asks_for_team_lights_and_phone() -> None:
    blueprint = load_blueprint(BLUEPRINT)
    assert blueprint.validate() is None
    assert blueprint.domain == "automation"
    assert set(blueprint.inputs) == {
        "team",
        "lights",
        "notify_action",
        "flashes",
        "prefix",
    }
    use: dict[str, Any] = {"use_blueprint": {"path": BLUEPRINT.name, "input": {}}}
    with pytest.raises(MissingInput, match="team"):
        BlueprintInputs(blueprint, use).validate()
    use["use_blueprint"]["input"] = {
        "team": "nfl_sea",
        "lights": LIGHTS,
        "notify_action": f"notify.{PHONE}",
    }
    inputs = BlueprintInputs(blueprint, use)
    inputs.validate()
    automation = inputs.async_substitute()
    assert automation["trigger_variables"] == {"prefix": "ha-ai", "team": "nfl_sea"}
    assert automation["triggers"][0]["topic"] == (
        "{{ prefix }}/events/sports/{{ team }}/scored"
    )
    assert automation["variables"]["lights"] == LIGHTS
    assert automation["variables"]["flashes"] == 6


@pytest.fixture
def configuration(tmp_path: Path) -> None:
    """The blueprint where Home Assistant looks, and an automation using it."""
    install_blueprint(tmp_path, BLUEPRINT)
    (tmp_path / "automations.yaml").write_text(
        "- id: seahawks_goal_lights\n"
        "  alias: Seahawks goal lights\n"
        "  use_blueprint:\n"
        f"    path: ha_ai/{BLUEPRINT.name}\n"
        "    input:\n"
        "      team: nfl_sea\n"
        f"      lights: {json.dumps(LIGHTS)}\n"
        f"      notify_action: notify.{PHONE}\n"
        "      flashes: 4\n"
    )


class House:
    """The automation's phone and lights: recorded service calls.

    The lights' services change the lights' states as lights do, so that the
    scene taken before the flashing has something to put back.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        self.hass = hass
        self.phone: list[ServiceCall] = async_mock_service(hass, "notify", PHONE)
        # Both light services in one list, in the order they were called.
        self.lights: list[tuple[str, dict[str, Any]]] = []
        for service in ("turn_on", "turn_off"):
            hass.services.async_register("light", service, self._record)

    async def _record(self, call: ServiceCall) -> None:
        self.lights.append((call.service, dict(call.data)))
        targets = call.data["entity_id"]
        for entity_id in [targets] if isinstance(targets, str) else targets:
            if call.service == "turn_off":
                self.hass.states.async_set(entity_id, "off", RGB_LIGHT)
                continue
            shown = {
                "brightness": call.data.get("brightness", 255),
                "color_mode": "rgb",
                "rgb_color": list(call.data.get("rgb_color", WHITE)),
            }
            self.hass.states.async_set(entity_id, "on", RGB_LIGHT | shown)

    def flashes(self) -> list[Any]:
        """Return the colour of each flash; None for a light turned off."""
        return [
            data.get("rgb_color") if service == "turn_on" else None
            for service, data in self.lights
        ]


@pytest.fixture
async def house(
    configuration: None,
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> House:
    """A house following the Seahawks, with the automation from the blueprint on."""
    freezer.move_to(NFL_OVERTIME.start - timedelta(minutes=1))
    hass.states.async_set(
        "light.living_room",
        "on",
        {
            "brightness": 120,
            "color_mode": "rgb",
            "rgb_color": [255, 180, 120],
            "supported_color_modes": ["rgb"],
        },
    )
    hass.states.async_set("light.kitchen", "off", {"supported_color_modes": ["rgb"]})
    register(hass, NFL_GAME)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert await async_setup_component(hass, "scene", {})
    assert await async_setup_component(hass, "automation", {})
    # HA AI set automations up already: a reload reads configuration.yaml.
    await hass.services.async_call("automation", "reload", blocking=True)
    assert hass.states.get(AUTOMATION).state == "on"
    return House(hass)


async def run_out(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the flashing's delays pass, half a second at a time, until it is done.

    The clock is frozen, the event loop's too: a delay ends only when the test
    moves it on. Waiting for Home Assistant to be idle before would wait for
    the automation's run, which waits for its delays: deadlock.
    """
    for _ in range(40):
        freezer.tick(timedelta(seconds=0.5))
        async_fire_time_changed(hass)
        for _ in range(20):
            await asyncio.sleep(0)
    await hass.async_block_till_done()


async def show(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, sensor: Sensor, step: Step
) -> None:
    """Show a state of the game at its time; let what it sets off run out."""
    freezer.move_to(step.at)
    async_fire_time_changed(hass, step.at)
    await hass.async_block_till_done()
    hass.states.async_set(sensor.entity_id, step.state, attributes(sensor, step))
    await run_out(hass, freezer)


async def fire(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, payload: str
) -> None:
    """Hand a message to the automation's MQTT trigger; let its run run out."""
    async_fire_mqtt_message(hass, TOPIC, payload)
    await run_out(hass, freezer)


def moment(**fields: Any) -> str:
    """Return a `scored` message as HA AI sends it, with `fields` changed."""
    now = dt_util.now()
    payload: dict[str, Any] = {
        "moment": "scored",
        "team": "nfl_sea",
        "team_name": "Seahawks",
        "opponent": "49ers",
        "team_score": 7,
        "opponent_score": 0,
        "points": 7,
        "clock": "6:12 - 1st",
        "team_colors": ["#002a5c", "#69be28"],
        "event_id": "4f3c2a9d1b8e4e0f9a7c6b5d4e3f2a1b",
        "timestamp": now.isoformat(),
        "ttl": 30,
        "expires_at": (now + timedelta(seconds=30)).isoformat(),
        "source": "ha_ai",
        "schema": 1,
    }
    payload.update(fields)
    return json.dumps(payload)


async def test_a_touchdown_flashes_the_team_colours_and_reaches_the_phone(
    house: House,
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
) -> None:
    # The game goes live, then the Seahawks score (7-0), then the 49ers (7-3).
    sensor = register(hass, NFL_GAME)
    for step in NFL_OVERTIME.steps[:4]:
        await show(hass, freezer, sensor, step)

    [call] = house.phone
    assert call.data == {
        "title": "Seahawks scored!",
        "message": "Seahawks 7, 49ers 0 (6:12 - 1st)",
    }
    # Four flashes through the team's colours, then the lights as they were.
    assert house.flashes()[:8] == [
        SEAHAWKS[0],
        None,
        SEAHAWKS[1],
        None,
        SEAHAWKS[0],
        None,
        SEAHAWKS[1],
        None,
    ]
    assert all(
        data["entity_id"] == LIGHTS and data.get("brightness", 255) == 255
        for _, data in house.lights[:8]
    )
    restored = {
        data["entity_id"]: (service, data) for service, data in house.lights[8:]
    }
    # The kitchen was off, as the last flash left it: nothing to put back.
    assert restored.keys() == {"light.living_room"}
    service, data = restored["light.living_room"]
    assert service == "turn_on"
    assert (data["brightness"], list(data["rgb_color"])) == (120, [255, 180, 120])
    living_room = hass.states.get("light.living_room")
    assert (living_room.state, living_room.attributes["brightness"]) == ("on", 120)
    assert hass.states.get("light.kitchen").state == "off"
    assert hass.states.get(SCENE) is not None

    # The opponent's field goal is no score of the team's.
    await show(hass, freezer, sensor, NFL_OVERTIME.steps[4])
    assert len(house.phone) == 1
    assert len(house.lights) == 9


async def test_without_usable_colours_the_lights_flash_white(
    house: House, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    await fire(hass, freezer, moment(team_colors=[]))
    assert house.flashes()[:8] == [WHITE, None] * 4

    # Black is left out (a black light is an off light), and what is no colour.
    house.lights.clear()
    colours = ["#000000", "orange", 7, "#fe5823"]
    await fire(hass, freezer, moment(team_colors=colours))
    assert house.flashes()[:8] == [[254, 88, 35], None] * 4
    assert len(house.phone) == 2


async def test_stale_and_odd_messages_flash_nothing(
    house: House, hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    expired = (dt_util.now() - timedelta(seconds=1)).isoformat()
    for payload in (
        moment(expires_at=expired),
        moment(moment="opponent_scored"),
        "not json",
        "[1, 2]",
    ):
        await fire(hass, freezer, payload)
    # Another team's score is not this automation's.
    async_fire_mqtt_message(hass, "ha-ai/events/sports/mls_clb/scored", moment())
    await run_out(hass, freezer)
    assert house.phone == []
    assert house.lights == []
