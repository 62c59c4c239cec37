"""The blueprint that acts on a camera's recent activity.

The classifier's messages arrive on the mocked MQTT client; the quiet time
passes on a frozen clock; the automation made from the blueprint records what
it runs. While its run waits for the quiet, Home Assistant is never idle: the
tests let the event loop turn instead of waiting for that.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.blueprint.errors import MissingInput
from homeassistant.components.blueprint.models import BlueprintInputs
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from .blueprint_helpers import BLUEPRINTS, install_blueprint, load_blueprint
from .camera_helpers import (
    TIME_ZONE,
    camera_entities,
    event_payload,
    move_to,
    send_availability,
    send_event,
    state,
)
from .fixtures_common import mock_hass_config  # noqa: F401

BLUEPRINT = BLUEPRINTS / "act_on_camera_activity.yaml"
FRONT = camera_entities("front_door")["recent_activity"]
GARDEN = camera_entities("garden")["recent_activity"]
BACK_YARD = camera_entities("back_yard")["recent_activity"]
START = datetime(2025, 6, 3, 21, 0, tzinfo=ZoneInfo(TIME_ZONE))
QUIET = timedelta(minutes=5)  # the default quiet time


async def settle(hass: HomeAssistant) -> None:
    """Let what was set off run, without waiting for the automation's wait."""
    for _ in range(50):
        await asyncio.sleep(0)


async def later(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, moment: datetime
) -> None:
    """Move the frozen clock to `moment`; let the timers due and their effects run."""
    freezer.move_to(moment)
    async_fire_time_changed(hass, moment)
    await settle(hass)


def test_the_blueprint_is_valid_and_asks_for_cameras_and_actions() -> None:
    blueprint = load_blueprint(BLUEPRINT)
    assert blueprint.validate() is None
    assert blueprint.domain == "automation"
    assert set(blueprint.inputs) == {"cameras", "active_actions", "quiet_actions"}
    use: dict[str, Any] = {"use_blueprint": {"path": BLUEPRINT.name, "input": {}}}
    with pytest.raises(MissingInput, match="active_actions"):
        BlueprintInputs(blueprint, use).validate()
    use["use_blueprint"]["input"] = {
        "cameras": [FRONT],
        "active_actions": [{"action": "test.active"}],
    }
    inputs = BlueprintInputs(blueprint, use)
    inputs.validate()
    automation = inputs.async_substitute()
    assert automation["triggers"][0]["entity_id"] == [FRONT]
    assert automation["actions"][2] == {"sequence": []}


@pytest.fixture
def configuration(tmp_path: Path) -> None:
    """The blueprint where Home Assistant looks, and an automation for two cameras."""
    install_blueprint(tmp_path, BLUEPRINT)
    (tmp_path / "automations.yaml").write_text(
        "- id: porch_light\n"
        "  alias: Porch light\n"
        "  use_blueprint:\n"
        f"    path: ha_ai/{BLUEPRINT.name}\n"
        "    input:\n"
        f"      cameras: [{FRONT}, {GARDEN}]\n"
        "      active_actions:\n"
        "        - action: test.active\n"
        "          data:\n"
        "            camera: '{{ camera }}'\n"
        "            entity_id: '{{ trigger.entity_id }}'\n"
        "      quiet_actions:\n"
        "        - action: test.quiet\n"
    )


class Porch:
    """What the automation ran: `active` with its camera, and `quiet`."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.active: list[ServiceCall] = async_mock_service(hass, "test", "active")
        self.quiet: list[ServiceCall] = async_mock_service(hass, "test", "quiet")

    def runs(self) -> tuple[list[str], int]:
        """Return the cameras the active actions ran for, and the quiet runs."""
        return [call.data["entity_id"] for call in self.active], len(self.quiet)


@pytest.fixture
async def porch(
    configuration: None,
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
) -> Porch:
    """HA AI on a frozen clock, the automation on, three cameras known (quiet)."""
    await hass.config.async_set_time_zone(TIME_ZONE)
    freezer.move_to(START)
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    porch = Porch(hass)
    assert await async_setup_component(hass, "automation", {})
    await hass.services.async_call("automation", "reload", blocking=True)
    assert hass.states.get("automation.porch_light").state == "on"
    # A camera appears with its first event, its activity already on: nothing
    # was off, so nothing runs, nor when it falls quiet.
    for number, camera_id in enumerate(("front_door", "garden", "back_yard")):
        name = camera_id.replace("_", " ").title()
        send_event(
            hass,
            event_payload(camera_id, f"first-{number}", camera_name=name),
        )
    await hass.async_block_till_done()
    assert porch.runs() == ([], 0)
    await move_to(hass, freezer, START + QUIET + timedelta(seconds=1))
    assert {state(hass, e) for e in (FRONT, GARDEN, BACK_YARD)} == {STATE_OFF}
    assert porch.runs() == ([], 0)
    return porch


async def test_activity_runs_once_and_quiet_waits_for_every_camera(
    configuration: None,
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    porch: Porch,
) -> None:
    begin = START + QUIET + timedelta(seconds=1)

    def minutes(count: float) -> datetime:
        return begin + timedelta(minutes=count)

    send_event(hass, event_payload("front_door", "f1"))
    await settle(hass)
    assert state(hass, FRONT) == STATE_ON
    assert porch.runs() == ([FRONT], 0)
    assert porch.active[0].data["camera"] == "Front Door Recent activity"
    # More events while the activity lasts run nothing more.
    await later(hass, freezer, minutes(1))
    send_event(hass, event_payload("front_door", "f2"))
    # The garden's activity runs them again; a camera not chosen does not.
    await later(hass, freezer, minutes(3))
    send_event(hass, event_payload("garden", "g1", camera_name="Garden"))
    send_event(hass, event_payload("back_yard", "b1", camera_name="Back Yard"))
    await settle(hass)
    assert porch.runs() == ([FRONT, GARDEN], 0)

    # The front door falls quiet first: the garden is still active.
    await later(hass, freezer, minutes(6.1))
    assert (state(hass, FRONT), state(hass, GARDEN)) == (STATE_OFF, STATE_ON)
    assert porch.runs() == ([FRONT, GARDEN], 0)
    await later(hass, freezer, minutes(8.1))
    assert state(hass, GARDEN) == STATE_OFF
    assert porch.runs() == ([FRONT, GARDEN], 1)


async def test_a_camera_coming_back_runs_nothing(
    configuration: None,
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    config_entry: MockConfigEntry,
    porch: Porch,
) -> None:
    send_event(hass, event_payload("front_door", "f1"))
    await settle(hass)
    assert porch.runs() == ([FRONT], 0)
    # The classifier goes offline and comes back, HA AI reloads: the activity
    # is shown again as it was, which is no new activity and no quiet.
    send_availability(hass, "offline")
    await settle(hass)
    assert state(hass, FRONT) == STATE_UNAVAILABLE
    send_availability(hass, "online")
    await settle(hass)
    assert state(hass, FRONT) == STATE_ON
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await settle(hass)
    assert state(hass, FRONT) == STATE_ON
    assert porch.runs() == ([FRONT], 0)
