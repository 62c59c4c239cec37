"""The blueprint that runs actions when a household routine begins.

The routines are handed on as the analysis does (see test_household_live); the
house's changes are made as a person would make them, and the automations made
from the blueprint record what they run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.blueprint.errors import MissingInput
from homeassistant.components.blueprint.models import BlueprintInputs
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from . import test_household_live as live
from .blueprint_helpers import BLUEPRINTS, install_blueprint, load_blueprint
from .engine.household_live.routines import HOUSEHOLD, TUESDAY, at
from .fixtures_common import mock_hass_config, no_cooldown  # noqa: F401
from .test_household_live import EVENT, Learned, learn, move_to

# The household's fixtures, as this module's own.
house = live.house
learned = live.learned
start = live.start

BLUEPRINT = BLUEPRINTS / "when_a_household_routine_begins.yaml"


def test_the_blueprint_is_valid_and_asks_when_and_what() -> None:
    blueprint = load_blueprint(BLUEPRINT)
    assert blueprint.validate() is None
    assert blueprint.domain == "automation"
    assert set(blueprint.inputs) == {"household", "moments", "actions"}
    use: dict[str, Any] = {"use_blueprint": {"path": BLUEPRINT.name, "input": {}}}
    with pytest.raises(MissingInput, match="actions"):
        BlueprintInputs(blueprint, use).validate()
    use["use_blueprint"]["input"] = {"actions": [{"action": "test.morning"}]}
    inputs = BlueprintInputs(blueprint, use)
    inputs.validate()
    automation = inputs.async_substitute()
    assert automation["triggers"][0]["entity_id"] == EVENT
    assert automation["variables"]["moments"] == ["morning_routine"]
    assert automation["actions"] == [{"action": "test.morning"}]


def automation(automation_id: str, inputs: str) -> str:
    """Return an automation made from the blueprint, in automations.yaml."""
    return (
        f"- id: {automation_id}\n"
        f"  alias: {automation_id}\n"
        "  use_blueprint:\n"
        f"    path: ha_ai/{BLUEPRINT.name}\n"
        "    input:\n"
        f"{inputs}"
    )


@pytest.fixture
def configuration(tmp_path: Path) -> None:
    """The blueprint where Home Assistant looks, and two automations using it.

    One with the defaults (the morning), one for leaving and coming home.
    """
    install_blueprint(tmp_path, BLUEPRINT)
    (tmp_path / "automations.yaml").write_text(
        automation(
            "morning_coffee",
            "      actions:\n"
            "        - action: test.morning\n"
            "          data:\n"
            "            moment: '{{ moment }}'\n"
            "            routine_id: '{{ routine_id }}'\n"
            "            level: '{{ level }}'\n"
            "            started_by: '{{ started_by }}'\n",
        )
        + automation(
            "presence",
            "      moments: [away, back_home]\n"
            "      actions:\n"
            "        - action: test.presence\n"
            "          data:\n"
            "            moment: '{{ moment }}'\n",
        )
    )


class Household:
    """HA AI set up in the house, what it learns, and what the automations ran."""

    def __init__(
        self,
        entry: MockConfigEntry,
        mined: Learned,
        calls: dict[str, list[ServiceCall]],
    ) -> None:
        self.entry = entry
        self.learned = mined
        self.calls = calls


@pytest.fixture
async def household(
    configuration: None,
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    house: MockConfigEntry,
    learned: Learned,
) -> Household:
    """HA AI in the house (test_household_live's fixtures), the automations on."""
    calls = {
        name: async_mock_service(hass, "test", name) for name in ("morning", "presence")
    }
    assert await async_setup_component(hass, "automation", {})
    # HA AI set automations up already: a reload reads configuration.yaml.
    await hass.services.async_call("automation", "reload", blocking=True)
    assert hass.states.get("automation.morning_coffee").state == "on"
    assert hass.states.get("automation.presence").state == "on"
    return Household(house, learned, calls)


def moments(calls: list[ServiceCall]) -> list[str]:
    return [call.data["moment"] for call in calls]


async def test_each_automation_runs_for_its_own_moments(
    configuration: None,
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    freezer: FrozenDateTimeFactory,
    household: Household,
) -> None:
    automations = household.calls
    learn(hass, household.entry, household.learned, HOUSEHOLD)
    await move_to(hass, freezer, at(TUESDAY, 6, 40))
    hass.states.async_set("light.bedroom", "on")
    await hass.async_block_till_done(wait_background_tasks=True)
    [morning] = automations["morning"]
    assert dict(morning.data) == {
        "moment": "morning_routine",
        "routine_id": "morning_weekdays",
        "level": "established",
        "started_by": {"entity_id": "light.bedroom", "state": "on"},
    }
    assert automations["presence"] == []

    await move_to(hass, freezer, at(TUESDAY, 8))
    hass.states.async_set("person.anna", "not_home")
    await move_to(hass, freezer, at(TUESDAY, 8, 10))
    hass.states.async_set("person.ben", "work")
    await move_to(hass, freezer, at(TUESDAY, 17))
    hass.states.async_set("person.ben", "home")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert moments(automations["presence"]) == ["away", "back_home"]
    assert len(automations["morning"]) == 1

    # The entity coming back after a reload (restored, with its last event) is
    # not a new moment; a change of its attributes alone neither.
    assert await hass.config_entries.async_reload(household.entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    last = hass.states.get(EVENT)
    assert last is not None
    assert last.attributes["event_type"] == "back_home"
    hass.states.async_set(
        EVENT, last.state, {**last.attributes, "friendly_name": "Home"}
    )
    await hass.async_block_till_done()
    assert len(automations["morning"]) == 1
    assert len(automations["presence"]) == 2
