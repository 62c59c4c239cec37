"""HA AI's own automations judged again from their runs: revise and remove suggestions.

Real automations run in the harness (a frozen clock for the time triggers, a
state change for the others, a service that raises for the failures); the
overrides are counted through the runs' public method, with the run ids the
`executed` reports carry.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.typing import (
    MqttMockHAClient,
    WebSocketGenerator,
)

from custom_components.ha_ai.automations.check import async_check_automation
from custom_components.ha_ai.const import DOMAIN
from custom_components.ha_ai.engine.household.model import HouseholdRoutines
from custom_components.ha_ai.suggestions.manager import REFRESH_COOLDOWN

from .conftest import published
from .engine.automations_revise.helpers import candidates
from .engine.automations_revise.helpers import run as engine_run
from .fixtures_common import mock_hass_config, no_cooldown  # noqa: F401
from .habit_helpers import COFFEE, MORNING, add_house, analyse, writable_automations
from .test_household_suggestions import BEDTIME, register_event_entity

EXECUTED = "ha-ai/responses/automation/executed"
FAILED = "ha-ai/responses/automation/failed"
DEPLOYED = "sensor.ha_ai_deployed_suggestions"


@pytest.fixture
async def house(hass: HomeAssistant, tmp_path: Path) -> None:
    """The patterns' entities and services, and an automations.yaml to write."""
    add_house(hass)
    await writable_automations(hass, tmp_path)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """Return a local time `day` days after Monday 5 January 2026."""
    monday = datetime(2026, 1, 5, tzinfo=dt_util.get_default_time_zone())
    return monday + timedelta(days=day, hours=hour, minutes=minute)


async def settle(hass: HomeAssistant) -> None:
    for _ in range(2):
        await hass.async_block_till_done(wait_background_tasks=True)


async def call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        service,
        data,
        blocking=True,
        return_response=service != "dismiss_suggestion",
    )


async def listed(hass: HomeAssistant, **filters: Any) -> list[dict[str, Any]]:
    return list((await call(hass, "get_suggestions", **filters))["suggestions"])


async def deployed_from(hass: HomeAssistant, kind: str) -> dict[str, Any]:
    """Accept the one suggestion of `kind`; return it with its automation id."""
    [suggestion] = await listed(hass, kind=kind)
    response = await call(
        hass, "accept_suggestion", suggestion_id=suggestion["suggestion_id"]
    )
    await settle(hass)
    assert response["status"] == "deployed"
    return {**suggestion, "automation_id": response["automation_id"]}


async def refresh_after_runs(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """Let the debounced refresh that changed runs asked for happen."""
    freezer.tick(timedelta(seconds=REFRESH_COOLDOWN + 1))
    async_fire_time_changed(hass)
    await settle(hass)


def last_run_id(mqtt_mock: MqttMockHAClient, topic: str = EXECUTED) -> str:
    runs = [p for _, p, _, _ in published(mqtt_mock, topic) if p.get("event") == "run"]
    return str(runs[-1]["run_id"])


def automations_file(tmp_path: Path) -> list[dict[str, Any]]:
    return list(yaml.safe_load((tmp_path / "automations.yaml").read_text()) or [])


async def morning_run(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, day: int
) -> None:
    """Let the 07:00 routine run on `day`."""
    freezer.move_to(local(day, 7))
    async_fire_time_changed(hass)
    await settle(hass)


@pytest.mark.usefixtures("house")
async def test_a_routine_undone_until_people_act_later_is_moved(
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
    mqtt_mock.async_publish.reset_mock()

    for day in range(6):
        await morning_run(hass, freezer, day)
        run_id = last_run_id(mqtt_mock)
        runs.async_record_override(automation_id, run_id=run_id)
        runs.table.record_acted(automation_id, run_id, local(day, 7, 32))
    await refresh_after_runs(hass, freezer)

    [revision] = await listed(hass, kind="revise")
    assert revision["status"] == "new"
    assert revision["title"] == (
        "The 07:00 Bedroom light automation: move it to 07:32, when you turn it "
        "on yourself"
    )
    assert revision["description"].startswith(
        "The 07:00 Bedroom light automation was switched off by hand on 6 of its "
        "last 6 runs."
    )
    assert revision["category"] == "lighting"
    assert revision["confidence"] == 1.0
    assert revision["automation"]["id"] == automation_id
    assert revision["automation"]["triggers"] == [{"trigger": "time", "at": "07:32:00"}]
    [announced] = [p for _, p, _, _ in published(mqtt_mock, "ha-ai/suggestions/new")]
    assert announced["kind"] == "revise"
    assert announced["suggestion_id"] == revision["suggestion_id"]

    response = await call(
        hass, "accept_suggestion", suggestion_id=revision["suggestion_id"]
    )
    await settle(hass)

    assert response == {
        "suggestion_id": revision["suggestion_id"],
        "status": "deployed",
        "automation_id": automation_id,
    }
    [written] = automations_file(tmp_path)
    assert written["id"] == automation_id
    assert written["triggers"] == [{"trigger": "time", "at": "07:32:00"}]
    assert written["actions"] == routine["automation"]["actions"]
    [original] = await listed(hass, kind="routine")
    assert original["status"] == "deployed"
    assert hass.states.get(DEPLOYED).state == "1"
    executed = [
        p
        for _, p, _, _ in published(mqtt_mock, EXECUTED)
        if p["suggestion_id"] == revision["suggestion_id"]
    ]
    assert [p["automation_id"] for p in executed] == [automation_id]

    # The runs before the revision were of the old automation: nothing more.
    await morning_run(hass, freezer, 6)
    await refresh_after_runs(hass, freezer)
    assert [s["status"] for s in await listed(hass, kind="revise")] == ["deployed"]
    freezer.move_to(local(7, 7, 32))
    async_fire_time_changed(hass)
    await settle(hass)
    assert runs.table.get(automation_id).last_run == local(7, 7, 32)


async def kitchen_run(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, day: int, hour: int
) -> None:
    """Turn the kitchen light on (and off again): the coffee automation runs."""
    freezer.move_to(local(day, hour))
    hass.states.async_set("light.kitchen", "on")
    await settle(hass)
    hass.states.async_set("light.kitchen", "off")
    await settle(hass)


@pytest.mark.usefixtures("house")
async def test_weekend_overrides_give_a_weekday_condition_dismissed_for_good(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    freezer.move_to(local(0, 6))
    await analyse(hass, [COFFEE])
    coffee = await deployed_from(hass, "used_together")
    automation_id = coffee["automation_id"]
    runs = setup_entry.runtime_data.runs
    await kitchen_run(hass, freezer, 0, 8)  # Monday, kept
    await kitchen_run(hass, freezer, 1, 8)  # Tuesday, kept
    for hour in range(8, 13):  # Saturday, undone each time
        await kitchen_run(hass, freezer, 5, hour)
        runs.async_record_override(automation_id, run_id=last_run_id(mqtt_mock))
    await refresh_after_runs(hass, freezer)

    [revision] = await listed(hass, kind="revise")
    assert revision["title"] == (
        "The Coffee machine automation: run it only on weekdays"
    )
    assert revision["description"] == (
        "The Coffee machine automation was switched off by hand on 5 of its last "
        "7 runs, all of them at weekends. Run it only on weekdays."
    )
    assert revision["automation"]["id"] == automation_id
    assert revision["automation"]["conditions"] == [
        {"condition": "time", "weekday": ["mon", "tue", "wed", "thu", "fri"]}
    ]
    assert revision["entities"] == ["switch.coffee"]

    await call(hass, "dismiss_suggestion", suggestion_id=revision["suggestion_id"])
    await kitchen_run(hass, freezer, 6, 9)  # Sunday, undone
    runs.async_record_override(automation_id, run_id=last_run_id(mqtt_mock))
    await refresh_after_runs(hass, freezer)
    # After a restart too, the dismissed one stays away; the next change comes.
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await settle(hass)
    await analyse(hass, [COFFEE])

    suggestions = await listed(hass, kind="revise")
    assert sorted(s["status"] for s in suggestions) == ["dismissed", "new"]
    [dismissed] = [s for s in suggestions if s["status"] == "dismissed"]
    assert dismissed["suggestion_id"] == revision["suggestion_id"]
    [turn_off] = [s for s in suggestions if s["status"] == "new"]
    assert turn_off["title"] == "The Coffee machine automation: turn it off"
    assert turn_off["automation"] is None
    [written] = automations_file(tmp_path)
    assert "conditions" not in written or written["conditions"] == []

    response = await call(
        hass, "accept_suggestion", suggestion_id=turn_off["suggestion_id"]
    )
    await settle(hass)
    assert response["status"] == "deployed"
    [entity_id] = [
        state.entity_id
        for state in hass.states.async_all("automation")
        if state.attributes.get("id") == automation_id
    ]
    assert hass.states.get(entity_id).state == "off"
    # Turned off, it is judged for staleness only: nothing new is proposed.
    await analyse(hass, [COFFEE])
    assert [s["status"] for s in await listed(hass, status="new")] == []


async def fail(_call: ServiceCall) -> None:
    raise HomeAssistantError("The lamp is gone")


@pytest.mark.usefixtures("house")
async def test_a_failing_routine_is_turned_off_or_removed_once_its_entity_is_gone(
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
    hass.services.async_register("light", "turn_on", fail)
    for day in range(3):
        await morning_run(hass, freezer, day)
    await refresh_after_runs(hass, freezer)

    [turn_off] = await listed(hass, kind="revise")
    assert turn_off["title"] == "The 07:00 Bedroom light automation: turn it off"
    assert turn_off["description"] == (
        "The 07:00 Bedroom light automation failed 3 times in a row: The lamp is "
        "gone. Turn it off."
    )
    assert turn_off["automation"] is None

    hass.states.async_remove("light.bedroom")
    mqtt_mock.async_publish.reset_mock()
    await analyse(hass, [MORNING])

    assert await listed(hass, kind="revise") == []  # not drafted any more: gone
    [remove] = await listed(hass, kind="remove")
    assert remove["description"] == (
        "The 07:00 light.bedroom automation failed 3 times in a row: the entity "
        "light.bedroom no longer exists. Remove it."
    )
    assert remove["entities"] == ["light.bedroom"]
    assert remove["automation"] is None

    response = await call(
        hass, "accept_suggestion", suggestion_id=remove["suggestion_id"]
    )
    await settle(hass)

    assert response["status"] == "deployed"
    assert automations_file(tmp_path) == []
    assert not [
        s
        for s in hass.states.async_all("automation")
        if s.attributes.get("id") == automation_id
    ]
    [original] = await listed(hass, kind="routine")
    assert original["status"] == "dismissed"
    updates = [
        (p["suggestion_id"], p["status"])
        for _, p, _, _ in published(mqtt_mock, "ha-ai/suggestions/updated")
    ]
    assert updates == [
        (remove["suggestion_id"], "accepted"),
        (remove["suggestion_id"], "deployed"),
        (routine["suggestion_id"], "dismissed"),
    ]
    assert hass.states.get(DEPLOYED).state == "0"
    # Gone for good: the habit found again is not proposed again.
    mqtt_mock.async_publish.reset_mock()
    hass.states.async_set("light.bedroom", "off", {"friendly_name": "Bedroom light"})
    await analyse(hass, [MORNING])
    assert published(mqtt_mock, "ha-ai/suggestions/new") == []


@pytest.mark.usefixtures("house")
async def test_an_idle_automation_whose_habit_is_gone_is_proposed_for_removal(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    client = await hass_ws_client(hass)  # signed in before the clock moves on
    freezer.move_to(local(0, 6))
    await analyse(hass, [COFFEE])
    coffee = await deployed_from(hass, "used_together")

    # Two weeks and a day without a run: while the habit is there, it stays.
    freezer.move_to(local(15, 6))
    await analyse(hass, [COFFEE])
    assert await listed(hass, kind="remove") == []

    await analyse(hass, [])
    [remove] = await listed(hass, kind="remove")
    assert remove["description"] == (
        "The Coffee machine automation has not run for 15 days and the habit it "
        "came from is gone. Remove it."
    )
    assert remove["category"] == "appliances"
    await client.send_json_auto_id({"type": "ha_ai/suggestions/subscribe"})
    assert (await client.receive_json())["success"]
    [card_item] = [
        item
        for item in (await client.receive_json())["event"]["suggestions"]
        if item["kind"] == "remove"
    ]
    assert card_item["evidence"] == (
        "The Coffee machine automation has not run for 15 days and the habit it "
        "came from is gone."
    )
    assert card_item["revision"] == {
        "automation_id": coffee["automation_id"],
        "alias": coffee["automation"]["alias"],
        "change": "remove",
    }
    assert card_item["automation_yaml"] is None

    # A restart keeps it, and finds it again.
    assert await hass.config_entries.async_reload(setup_entry.entry_id)
    await settle(hass)
    await analyse(hass, [])
    assert [s["suggestion_id"] for s in await listed(hass, kind="remove")] == [
        remove["suggestion_id"]
    ]
    await call(hass, "accept_suggestion", suggestion_id=remove["suggestion_id"])
    await settle(hass)
    assert automations_file(tmp_path) == []


@pytest.mark.usefixtures("house")
async def test_a_revision_that_fails_validation_is_not_proposed(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    freezer.move_to(local(0, 6))
    await analyse(hass, [MORNING])
    routine = await deployed_from(hass, "routine")
    automation_id = routine["automation_id"]
    runs = setup_entry.runtime_data.runs
    for day in range(5):
        await morning_run(hass, freezer, day)
        run_id = last_run_id(mqtt_mock)
        runs.async_record_override(automation_id, run_id=run_id)
        runs.table.record_acted(automation_id, run_id, local(day, 8))
    # The light service is gone: the moved automation would call nothing.
    hass.services.async_remove("light", "turn_on")
    await refresh_after_runs(hass, freezer)

    [turn_off] = await listed(hass, kind="revise")
    assert turn_off["title"] == "The 07:00 Bedroom light automation: turn it off"


@pytest.mark.usefixtures("house")
async def test_accepting_a_revision_of_an_automation_no_longer_ours_fails(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    freezer.move_to(local(0, 6))
    await analyse(hass, [MORNING])
    routine = await deployed_from(hass, "routine")
    hass.services.async_register("light", "turn_on", fail)
    for day in range(3):
        await morning_run(hass, freezer, day)
    await refresh_after_runs(hass, freezer)
    [turn_off] = await listed(hass, kind="revise")
    # Removed meanwhile (a remote command, say): it is not HA AI's any more.
    await setup_entry.runtime_data.deployer.async_remove(routine["automation_id"])
    mqtt_mock.async_publish.reset_mock()

    with pytest.raises(HomeAssistantError, match="not one HA AI"):
        await call(hass, "accept_suggestion", suggestion_id=turn_off["suggestion_id"])
    await settle(hass)

    [failed] = [p for _, p, _, _ in published(mqtt_mock, FAILED)]
    assert failed["suggestion_id"] == turn_off["suggestion_id"]
    assert failed["automation_id"] == routine["automation_id"]
    [listed_failed] = await listed(hass, kind="revise", status="failed")
    assert "not one HA AI deployed" in listed_failed["error"]
    assert automations_file(tmp_path) == []
    # An automation HA AI no longer follows is not judged: the revision goes.
    await refresh_after_runs(hass, freezer)
    assert await listed(hass, kind="revise") == []


async def failing_routine(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> dict[str, Any]:
    """Deploy the morning routine, let it fail 3 times; return the turn-off."""
    freezer.move_to(local(0, 6))
    await analyse(hass, [MORNING])
    await deployed_from(hass, "routine")
    hass.services.async_register("light", "turn_on", fail)
    for day in range(3):
        await morning_run(hass, freezer, day)
    await refresh_after_runs(hass, freezer)
    [turn_off] = await listed(hass, kind="revise")
    return turn_off


@pytest.mark.usefixtures("house")
async def test_turning_off_an_automation_without_its_entity_fails_clearly(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    turn_off = await failing_routine(hass, freezer)
    registry = er.async_get(hass)
    [entry] = [e for e in registry.entities.values() if e.domain == "automation"]
    registry.async_remove(entry.entity_id)
    await settle(hass)

    with pytest.raises(HomeAssistantError, match="has no automation entity"):
        await call(hass, "accept_suggestion", suggestion_id=turn_off["suggestion_id"])

    [failed] = await listed(hass, kind="revise", status="failed")
    assert failed["suggestion_id"] == turn_off["suggestion_id"]


@pytest.mark.usefixtures("house")
async def test_turning_off_that_home_assistant_refuses_fails_clearly(
    hass: HomeAssistant,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    turn_off = await failing_routine(hass, freezer)
    hass.services.async_register("automation", "turn_off", fail)

    with pytest.raises(HomeAssistantError, match="could not turn automation"):
        await call(hass, "accept_suggestion", suggestion_id=turn_off["suggestion_id"])

    [failed] = await listed(hass, kind="revise", status="failed")
    assert "The lamp is gone" in failed["error"]


@pytest.mark.usefixtures("house")
async def test_an_idle_household_automation_whose_routine_is_gone_is_removed(
    hass: HomeAssistant,
    setup_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    freezer.move_to(local(0, 6))
    register_event_entity(hass, setup_entry)
    suggestions = setup_entry.runtime_data.suggestions
    await suggestions.async_refresh_patterns([], HouseholdRoutines(routines=(BEDTIME,)))
    await deployed_from(hass, "household")

    freezer.move_to(local(20, 6))
    await suggestions.async_refresh_patterns([], HouseholdRoutines(routines=(BEDTIME,)))
    assert await listed(hass, kind="remove") == []
    await suggestions.async_refresh_patterns([], HouseholdRoutines())

    [remove] = await listed(hass, kind="remove")
    assert remove["description"] == (
        "The Kitchen light automation has not run for 20 days and the habit it "
        "came from is gone. Remove it."
    )
    assert remove["entities"] == ["light.kitchen", "light.hall"]


def every_condition_revision() -> list[dict[str, Any]]:
    """Return a revision of the engine's for each side of each way runs differ."""
    found = []
    for field in ("sun_up", "home"):
        for side in (True, False):
            runs = [engine_run(day, **{field: not side}) for day in (0, 1)] + [
                engine_run(day, overridden=True, **{field: side}) for day in range(2, 7)
            ]
            found.append(candidates(runs)[0])
    for weekend in (True, False):
        days = (5, 6, 12, 13, 19) if weekend else (7, 8, 9, 10, 11)
        kept = (1, 2) if weekend else (5, 6)
        runs = [engine_run(day) for day in kept] + [
            engine_run(day, overridden=True) for day in days
        ]
        found.append(candidates(runs)[0])
    moved = [engine_run(day, overridden=True, acted="07:40") for day in range(5)]
    found.append(candidates(moved)[0])
    assert all(revision.automation is not None for revision in found)
    return [dict(revision.automation or {}) for revision in found]


@pytest.mark.usefixtures("house")
async def test_every_change_the_engine_proposes_passes_validation(
    hass: HomeAssistant, setup_entry: MockConfigEntry
) -> None:
    hass.states.async_set("zone.home", "1")
    safety = setup_entry.runtime_data.settings.suggestions.safety

    for automation in every_condition_revision():
        checked = await async_check_automation(
            hass, automation, automation_id=automation["id"], safety=safety
        )
        assert checked["id"] == automation["id"]
