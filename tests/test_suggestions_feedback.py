"""The user's answers change the order of the suggestions, and a restart keeps them.

Every scenario compares a bedroom light routine (`ROUTINE`) with a kitchen pair
(`PAIR`, another kind, category and area) whose rank is a little below it (or a
little above it) while there are no answers; what the user accepts, dismisses or
overrides among other bedroom light routines moves the routine past the pair.
Orders are read where a user reads them: `ha_ai.get_suggestions` (best first)
and the pending sensor's top list.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    MqttMockHAClient,
)

from custom_components.ha_ai.const import DOMAIN
from custom_components.ha_ai.engine.habits.model import TimeOfDayPattern
from custom_components.ha_ai.engine.suggestions.findings import suggestion_id
from custom_components.ha_ai.engine.suggestions.model import SuggestionKind

from .fixtures_common import mock_hass_config, no_cooldown  # noqa: F401
from .habit_helpers import COFFEE, MORNING, add_house, analyse, writable_automations

PENDING = "sensor.ha_ai_suggestions_pending"
SUGGESTIONS_STORE = f"{DOMAIN}.suggestions"


def routine(pattern_id: str, hour: int) -> TimeOfDayPattern:
    """Return a bedroom light routine like `MORNING`, at another hour."""
    return replace(MORNING, pattern_id=pattern_id, minute_of_day=hour * 60)


# Rank without answers: 0.8 x (0.5 + 0.5 x 20/21) = 0.781 for each routine;
# the pair: 0.8 x (0.5 + 0.5 x 25/30) = 0.733 just below it, 0.873 x ... = 0.8 above.
ROUTINE = MORNING
OTHERS = [routine(f"tod_other_{hour}", hour) for hour in (6, 12, 18)]
FRESH = routine("tod_fresh", 21)
PAIR = replace(COFFEE, confidence=0.8)
BETTER_PAIR = replace(COFFEE, confidence=0.873)


def sid(pattern: Any) -> str:
    kind = (
        SuggestionKind.ROUTINE
        if isinstance(pattern, TimeOfDayPattern)
        else SuggestionKind.USED_TOGETHER
    )
    return suggestion_id(kind, pattern.pattern_id)


@pytest.fixture
async def house(hass: HomeAssistant, tmp_path: Path) -> None:
    """The test house: the bedroom light in the Bedroom, the pair in the Kitchen."""
    areas = ar.async_get(hass)
    registry = er.async_get(hass)
    for entity_id, area in (
        ("light.bedroom", "Bedroom"),
        ("light.kitchen", "Kitchen"),
        ("switch.coffee", "Kitchen"),
    ):
        domain, object_id = entity_id.split(".")
        entry = registry.async_get_or_create(
            domain, "demo", object_id, suggested_object_id=object_id
        )
        assert entry.entity_id == entity_id
        area_id = (areas.async_get_area_by_name(area) or areas.async_create(area)).id
        registry.async_update_entity(entity_id, area_id=area_id)
    add_house(hass)
    await writable_automations(hass, tmp_path)


async def call(hass: HomeAssistant, service: str, **data: Any) -> Any:
    return await hass.services.async_call(
        DOMAIN,
        service,
        data,
        blocking=True,
        return_response=service != "dismiss_suggestion",
    )


async def waiting(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Return the suggestions waiting for an answer, best first."""
    return list((await call(hass, "get_suggestions", status="new"))["suggestions"])


def order(suggestions: list[dict[str, Any]], *patterns: Any) -> list[str]:
    """Return which of `patterns` the list holds, in its order."""
    wanted = {sid(pattern): pattern.pattern_id for pattern in patterns}
    return [
        wanted[item["suggestion_id"]]
        for item in suggestions
        if item["suggestion_id"] in wanted
    ]


def feedback(suggestions: list[dict[str, Any]], pattern: Any) -> float:
    (found,) = [s for s in suggestions if s["suggestion_id"] == sid(pattern)]
    return float(found["feedback"])


def top(hass: HomeAssistant) -> list[str]:
    state = hass.states.get(PENDING)
    assert state is not None
    return [item["suggestion_id"] for item in state.attributes["top_suggestions"]]


async def restart(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.usefixtures("house")
async def test_dismissing_routines_ranks_a_fresh_one_of_their_kind_lower(
    hass: HomeAssistant, mqtt_mock: MqttMockHAClient, setup_entry: MockConfigEntry
) -> None:
    await analyse(hass, [*OTHERS, ROUTINE, PAIR])
    before = await waiting(hass)
    assert order(before, ROUTINE, PAIR) == ["tod_morning", "pair_coffee"]
    assert {item["feedback"] for item in before} == {1.0}

    for other in OTHERS:
        await call(hass, "dismiss_suggestion", suggestion_id=sid(other))
    # The answers are kept across a restart.
    await restart(hass, setup_entry)
    await analyse(hass, [*OTHERS, ROUTINE, PAIR, FRESH])

    after = await waiting(hass)
    # Dismissed suggestions never come back, whatever is found again.
    assert not {sid(other) for other in OTHERS} & {s["suggestion_id"] for s in after}
    ranked = order(after, ROUTINE, PAIR, FRESH)
    assert ranked[0] == "pair_coffee"
    assert sorted(ranked[1:]) == ["tod_fresh", "tod_morning"]
    assert top(hass)[0] == sid(PAIR)
    # Three dismissals on the routine's category, kind and area: 0.5 + 2/7.
    assert (
        feedback(after, ROUTINE)
        == feedback(after, FRESH)
        == pytest.approx(0.786, abs=0.001)
    )
    assert feedback(after, PAIR) == 1.0


@pytest.mark.usefixtures("house")
async def test_accepted_and_kept_ranks_its_kind_higher_until_it_is_deleted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
) -> None:
    accepted = OTHERS[0]
    await analyse(hass, [accepted, ROUTINE, BETTER_PAIR])
    assert order(await waiting(hass), ROUTINE, BETTER_PAIR) == [
        "pair_coffee",
        "tod_morning",
    ]

    response = await call(hass, "accept_suggestion", suggestion_id=sid(accepted))
    assert response["status"] == "deployed"
    await analyse(hass, [accepted, ROUTINE, BETTER_PAIR])
    kept = await waiting(hass)
    assert order(kept, ROUTINE, BETTER_PAIR) == ["tod_morning", "pair_coffee"]
    assert feedback(kept, ROUTINE) == pytest.approx(1.1)
    assert top(hass)[0] == sid(ROUTINE)

    # Deleted in the automation editor, it no longer counts as kept.
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    automation_id = response["automation_id"]
    answer = await client.delete(f"/api/config/automation/config/{automation_id}")
    assert answer.status == 200
    await hass.async_block_till_done(wait_background_tasks=True)
    await analyse(hass, [accepted, ROUTINE, BETTER_PAIR])
    gone = await waiting(hass)
    assert order(gone, ROUTINE, BETTER_PAIR) == ["pair_coffee", "tod_morning"]
    assert feedback(gone, ROUTINE) == 1.0


@pytest.mark.usefixtures("house")
async def test_overrides_of_a_deployed_automation_rank_its_kind_lower(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    setup_entry: MockConfigEntry,
) -> None:
    accepted = OTHERS[0]
    await analyse(hass, [accepted, ROUTINE, PAIR])
    response = await call(hass, "accept_suggestion", suggestion_id=sid(accepted))
    automation_id = response["automation_id"]
    (automation,) = hass.states.async_entity_ids("automation")

    # The automation runs four times, and each time a person undoes it.
    runs = setup_entry.runtime_data.runs
    for _ in range(4):
        await hass.services.async_call(
            "automation", "trigger", {"entity_id": automation}, blocking=True
        )
        await hass.async_block_till_done(wait_background_tasks=True)
        runs.async_record_override(automation_id)
    health = runs.table.get(automation_id)
    assert (health.runs, health.overrides) == (4, 4)

    await analyse(hass, [accepted, ROUTINE, PAIR])
    overridden = await waiting(hass)
    assert order(overridden, ROUTINE, PAIR) == ["pair_coffee", "tod_morning"]
    # Kept once, overridden four times: 0.5 + (1 + 2) / (5 + 4).
    assert feedback(overridden, ROUTINE) == pytest.approx(0.833, abs=0.001)

    # A restart counts no override twice.
    await restart(hass, setup_entry)
    await analyse(hass, [accepted, ROUTINE, PAIR])
    again = await waiting(hass)
    assert feedback(again, ROUTINE) == feedback(overridden, ROUTINE)
    assert order(again, ROUTINE, PAIR) == ["pair_coffee", "tod_morning"]

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, setup_entry)
    tally = diagnostics["suggestions"]["feedback"]
    assert tally["kinds"]["routine"] == {
        "kept": 1,
        "dismissed": 0,
        "overridden": 4,
        "factor": 0.833,
    }
    assert tally["areas"] == {"count": 1, "kept": 1, "dismissed": 0, "overridden": 4}
    assert tally["kept_automations"] == 1
    # Area names are the user's words: counted, never named.
    assert "Bedroom" not in json.dumps(tally)


@pytest.mark.usefixtures("house")
async def test_a_damaged_tally_loses_only_its_bad_records(
    hass: HomeAssistant,
    hass_storage: dict[str, Any],
    hass_client: ClientSessionGenerator,
    mqtt_mock: MqttMockHAClient,
    config_entry: MockConfigEntry,
) -> None:
    answer = {"kept": 0, "dismissed": 10, "overridden": 0}
    hass_storage[SUGGESTIONS_STORE] = {
        "version": 1,
        "minor_version": 1,
        "key": SUGGESTIONS_STORE,
        "data": {
            "book": {"version": 1, "suggestions": []},
            "unannounced": [],
            "feedback": {
                "version": 1,
                "answers": [
                    {"dimension": "kind", "name": "routine", **answer},
                    {"dimension": "kind", "name": "used_together", "kept": -3},
                    {"dimension": "mood", "name": "sad", **answer},
                ],
                "accepted": [{"suggestion_id": 3}],
            },
        },
    }
    config_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()

    await analyse(hass, [ROUTINE, PAIR])
    found = await waiting(hass)
    assert order(found, ROUTINE, PAIR) == ["pair_coffee", "tod_morning"]
    assert feedback(found, PAIR) == 1.0
    # Ten dismissals of the kind, none of its category or area.
    assert feedback(found, ROUTINE) == pytest.approx(
        (0.5 + 2 / 14) ** (1 / 3), abs=0.001
    )
    diagnostics = await get_diagnostics_for_config_entry(
        hass, hass_client, config_entry
    )
    report = diagnostics["stores"][SUGGESTIONS_STORE]
    assert report["dropped_records"] == 3
    assert report["outcome"] != "set_aside"
