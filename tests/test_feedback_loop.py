"""The whole feedback loop, from a person's hand to a revised automation.

A deployed routine turns the bedroom lamp on at 07:00. The lamp is a Zigbee one:
it reports its new state a moment later, with a context of its own. For six
mornings a person switches it off at the wall two minutes later, and on again at
07:32. Nothing in this test counts an override or an acted time itself: the
override follower sees them, the health table keeps them, the suggestions turn
them into a revision that moves the automation to 07:32, and, once accepted, the
automation runs at 07:32 under the same id.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import Context, HomeAssistant
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import MqttMockHAClient

from .conftest import published
from .fixtures_common import mock_hass_config, no_cooldown  # noqa: F401
from .habit_helpers import MORNING, analyse
from .test_automation_revise import (
    EXECUTED,
    automations_file,
    call,
    deployed_from,
    house,  # noqa: F401
    listed,
    local,
    refresh_after_runs,
    settle,
)

LAMP = "light.bedroom"
OVERRIDES = "sensor.ha_ai_automation_overrides_this_week"
KEPT = "sensor.ha_ai_automation_runs_kept"


async def at_the_wall(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    day: int,
    hour: int,
    minute: int,
    state: str,
) -> None:
    """The lamp reports a change nobody commanded: a press on its wall switch."""
    freezer.move_to(local(day, hour, minute))
    hass.states.async_set(LAMP, state, context=Context())
    await settle(hass)


async def run_reported_by_the_lamp(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, day: int
) -> None:
    """The 07:00 run calls light.turn_on; the lamp reports `on` a second later."""
    freezer.move_to(local(day, 7))
    async_fire_time_changed(hass)
    await settle(hass)
    freezer.move_to(local(day, 7, 0).replace(second=1))
    hass.states.async_set(LAMP, "on", context=Context())
    await settle(hass)


@pytest.mark.usefixtures("house")
async def test_a_person_undoing_a_routine_moves_it_to_when_they_act(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    freezer.move_to(local(0, 6))
    await analyse(hass, [MORNING])
    routine = await deployed_from(hass, "routine")
    automation_id = routine["automation_id"]
    runs = setup_entry.runtime_data.runs

    for day in range(6):
        await run_reported_by_the_lamp(hass, freezer, day)
        await at_the_wall(hass, freezer, day, 7, 2, "off")
        await at_the_wall(hass, freezer, day, 7, 32, "on")
        await at_the_wall(hass, freezer, day, 23, 0, "off")
    await refresh_after_runs(hass, freezer)

    recent = runs.table.recent_runs(automation_id)
    assert [run.overridden for run in recent] == [True] * 6
    assert [run.acted_at for run in recent] == [local(day, 7, 32) for day in range(6)]
    assert int(hass.states.get(OVERRIDES).state) == 6
    assert hass.states.get(KEPT).state == "0.0"

    [revision] = await listed(hass, kind="revise")
    assert revision["automation"]["id"] == automation_id
    assert revision["automation"]["triggers"] == [{"trigger": "time", "at": "07:32:00"}]
    assert "switched off by hand on 6 of its last 6 runs" in revision["description"]

    await call(hass, "accept_suggestion", suggestion_id=revision["suggestion_id"])
    await settle(hass)
    [written] = automations_file(tmp_path)
    assert (written["id"], written["triggers"]) == (
        automation_id,
        [{"trigger": "time", "at": "07:32:00"}],
    )

    # The revised automation runs at 07:32 and is kept: its run is reported.
    mqtt_mock.async_publish.reset_mock()
    freezer.move_to(local(6, 7))
    async_fire_time_changed(hass)
    await settle(hass)
    assert not [p for _, p, _, _ in published(mqtt_mock, EXECUTED)]
    freezer.move_to(local(6, 7, 32))
    async_fire_time_changed(hass)
    await settle(hass)
    [report] = [p for _, p, _, _ in published(mqtt_mock, EXECUTED)]
    assert (report["automation_id"], report["suggestion_id"], report["success"]) == (
        automation_id,
        revision["suggestion_id"],
        True,
    )
